import { invalidParameter } from '../../core/errors.js'
import { Frame, numericColumn } from '../../core/frame.js'
import type { Row, RowValue } from '../../core/frame.js'
import type { ShapTree } from '../../evaluation/explain/shap-tree.js'
import type { Predictor, SavedModel, Task } from '../predictor.js'
import { addMargins, toShapTrees, treesFromJson, treesToJson } from './boosted-trees.js'
import type { BoostedTrees } from './boosted-trees.js'
import type { Objective } from './params.js'
import { categoryCodes } from './training-input.js'

export const GBDT = 'gbdt'

/**
 * Scores boosted trees. Missing values (NaN in a frame; null, undefined or NaN in a row) follow each split's
 * learned default direction. Probabilities: sigmoid of the margin (logistic) or softmax (multiclass).
 * Categorical features take strings (or numbers, matched by their string form); a category not kept in
 * training (unseen, or beyond the maxBins − 1 most frequent) goes right at every categorical split.
 */
export class GbdtPredictor implements Predictor {
  readonly kind = GBDT
  readonly classes?: readonly string[]
  private readonly margin: Float64Array
  private readonly nClasses: number
  /** Per feature: category → code for categorical features (see BoostedTrees), null for numeric ones. */
  private readonly codeOf: Array<Map<string, number> | null>
  /** Whether any split is categorical (scorers without category support must fall back to this predictor). */
  readonly hasCategorical: boolean

  constructor(
    readonly task: Task,
    readonly features: readonly string[],
    readonly target: string,
    classes: readonly string[] | undefined,
    readonly objective: Exclude<Objective, 'auto'>,
    readonly model: BoostedTrees,
    private readonly params: object,
    /** Rounds kept (the best round when early stopping). */
    readonly rounds: number,
  ) {
    if (classes !== undefined) this.classes = classes
    this.nClasses = classes?.length ?? 0
    this.margin = new Float64Array(model.nOut)
    this.hasCategorical = model.categories !== undefined
    this.codeOf = features.map((_, f) => {
      const dict = model.categories?.[f]
      return dict == null ? null : new Map(dict.map((c, i) => [c, i]))
    })
  }

  /** The frame with every categorical feature replaced by its codes (NaN missing): what the trees compare. */
  encodeFrame(frame: Frame): Frame {
    if (!this.hasCategorical) return frame
    const columns = this.featureColumns(frame)
    return new Frame(this.features.map((name, f) => numericColumn(name, columns[f]!)))
  }

  /** Margins (log-odds, class scores or regression values): rows × nOut. */
  predictMargin(frame: Frame): Float64Array {
    const columns = this.featureColumns(frame)
    const { nOut, base } = this.model
    const out = new Float64Array(frame.rows * nOut)
    for (let i = 0; i < frame.rows; i++) for (let c = 0; c < nOut; c++) out[i * nOut + c] = base[c]!
    addMargins(this.model, columns, frame.rows, out)
    return out
  }

  predict(frame: Frame): Float64Array {
    if (this.task === 'regression') return this.predictMargin(frame)
    const p = this.predictProba(frame)
    const k = this.nClasses
    const out = new Float64Array(frame.rows)
    for (let i = 0; i < frame.rows; i++) {
      let best = 0
      for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c
      out[i] = best
    }
    return out
  }

  predictProba(frame: Frame): Float64Array {
    this.requireClassifier('predictProba')
    const m = this.predictMargin(frame)
    const k = this.nClasses
    const out = new Float64Array(frame.rows * k)
    for (let i = 0; i < frame.rows; i++) this.toProba(m, i * this.model.nOut, out, i * k)
    return out
  }

  predictRow(row: Row): number {
    this.rowMargin(row)
    if (this.task === 'regression') return this.margin[0]!
    if (this.model.nOut === 1) return this.margin[0]! > 0 ? 1 : 0
    let best = 0
    for (let c = 1; c < this.model.nOut; c++) if (this.margin[c]! > this.margin[best]!) best = c
    return best
  }

  predictProbaRow(row: Row, out?: Float64Array): Float64Array {
    this.requireClassifier('predictProbaRow')
    const target = out ?? new Float64Array(this.nClasses)
    if (target.length < this.nClasses) throw invalidParameter(`predictProbaRow: 'out' needs ${this.nClasses} slots, got ${target.length}.`)
    this.rowMargin(row)
    this.toProba(this.margin, 0, target, 0)
    return target
  }

  /** The trees in TreeSHAP's form (margin space; tree t explains output t % nOut). */
  trees(): ShapTree[] {
    return toShapTrees(this.model)
  }

  /** The output (class) each tree of `trees()` adds to. */
  treeGroups(): Int32Array {
    const { nOut } = this.model
    return Int32Array.from({ length: this.model.roots.length }, (_, t) => t % nOut)
  }

  /** The starting margin of each output, before any tree. */
  get baseMargins(): readonly number[] {
    return Array.from(this.model.base)
  }

  /** gbdt compares float64 inputs with its thresholds (no float32 rounding, unlike XGBoost). */
  readonly float32Inputs = false

  save(): SavedModel {
    const saved: SavedModel = {
      format: 'keel-model',
      formatVersion: 1,
      kind: GBDT,
      task: this.task,
      features: [...this.features],
      target: this.target,
      state: { params: this.params, objective: this.objective, rounds: this.rounds, trees: treesToJson(this.model) },
    }
    if (this.classes !== undefined) saved.classes = [...this.classes]
    return saved
  }

  static load(saved: SavedModel): GbdtPredictor {
    if (saved.format !== 'keel-model' || saved.kind !== GBDT) {
      throw invalidParameter(`Saved model is of kind '${saved.kind}', not '${GBDT}'; load it with its own algorithm.`)
    }
    const state = saved.state as { params?: unknown; objective?: unknown; rounds?: unknown; trees?: unknown } | null
    if (typeof state !== 'object' || state === null) throw invalidParameter('Saved gbdt model has no state; re-save the model.')
    const objective = state.objective
    const classification = objective === 'logistic' || objective === 'softmax'
    const regression = objective === 'squared_error' || objective === 'absolute_error' || objective === 'huber'
    if (!(classification && saved.task === 'classification') && !(regression && saved.task === 'regression')) {
      throw invalidParameter(`Saved gbdt model is corrupt: objective ${JSON.stringify(objective)} does not fit task '${saved.task}'. Re-save the model.`)
    }
    const nClasses = saved.classes?.length ?? 0
    if (classification && nClasses < 2) throw invalidParameter('Saved gbdt model is corrupt: a classifier without classes. Re-save the model.')
    const nOut = objective === 'softmax' ? nClasses : 1
    const model = treesFromJson(state.trees, saved.features.length, nOut)
    const params = typeof state.params === 'object' && state.params !== null ? state.params : {}
    const rounds = typeof state.rounds === 'number' ? state.rounds : model.roots.length / nOut
    return new GbdtPredictor(saved.task, saved.features, saved.target, saved.classes, objective as Exclude<Objective, 'auto'>, model, params, rounds)
  }

  private toProba(margin: Float64Array, at: number, out: Float64Array, to: number): void {
    if (this.model.nOut === 1) {
      const p = 1 / (1 + Math.exp(-margin[at]!))
      out[to] = 1 - p
      out[to + 1] = p
      return
    }
    const k = this.model.nOut
    let max = -Infinity
    for (let c = 0; c < k; c++) if (margin[at + c]! > max) max = margin[at + c]!
    let sum = 0
    for (let c = 0; c < k; c++) {
      const e = Math.exp(margin[at + c]! - max)
      out[to + c] = e
      sum += e
    }
    for (let c = 0; c < k; c++) out[to + c]! /= sum
  }

  /** Walks every tree for one JSON row into this.margin; allocates nothing. */
  private rowMargin(row: Row): void {
    const names = this.features
    const { roots, feature, threshold, left, right, missingLeft, value, nOut, base } = this.model
    for (let c = 0; c < nOut; c++) this.margin[c] = base[c]!
    const { catStart, catMask } = this.model
    for (let f = 0; f < names.length; f++) {
      const v = row[names[f]!]
      if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') continue
      if (typeof v === 'string' && this.codeOf[f] !== null) continue
      throw invalidParameter(`Feature '${names[f]}' must be a number (or null when missing), got ${JSON.stringify(v)}.`)
    }
    for (let t = 0; t < roots.length; t++) {
      let k = roots[t]!
      let f = feature[k]!
      while (f >= 0) {
        const raw = row[names[f]!]
        if (catStart !== undefined && catMask !== undefined && catStart[k]! >= 0) {
          const code = this.rowCode(f, raw)
          k = Number.isNaN(code) ? (missingLeft[k] === 1 ? left[k]! : right[k]!) : catMask[catStart[k]! + code] === 1 ? left[k]! : right[k]!
          f = feature[k]!
          continue
        }
        const x = typeof raw === 'number' ? raw : typeof raw === 'boolean' ? (raw ? 1 : 0) : Number.NaN
        k = x < threshold[k]! ? left[k]! : x >= threshold[k]! ? right[k]! : missingLeft[k] === 1 ? left[k]! : right[k]!
        f = feature[k]!
      }
      this.margin[t % nOut]! += value[k]!
    }
  }

  /** A row value's category code: NaN when missing, the "other" code when not a kept category. */
  private rowCode(f: number, raw: RowValue): number {
    if (raw === null || raw === undefined || raw === '' || (typeof raw === 'number' && Number.isNaN(raw))) return Number.NaN
    const map = this.codeOf[f]!
    return map.get(typeof raw === 'string' ? raw : String(typeof raw === 'boolean' ? (raw ? 1 : 0) : raw)) ?? map.size
  }

  private featureColumns(frame: Frame): Float64Array[] {
    const missing = this.features.filter((name) => !frame.has(name))
    if (missing.length > 0) {
      throw invalidParameter(
        `The frame lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} that the model was trained on; it needs: ${this.features.join(', ')}.`,
      )
    }
    return this.features.map((name, f) => {
      const dict = this.model.categories?.[f]
      return dict == null ? frame.numeric(name) : categoryCodes(frame.column(name), { categories: dict })
    })
  }

  private requireClassifier(method: string): void {
    if (this.task !== 'classification') throw invalidParameter(`${method} needs a classifier; this gbdt model is a regressor (use predict).`)
  }
}
