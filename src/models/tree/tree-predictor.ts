import { invalidParameter } from '../../core/errors.js'
import type { Frame, Row } from '../../core/frame.js'
import type { Predictor, SavedModel, Task } from '../predictor.js'
import { forestFromJson, forestToJson } from './flat-forest.js'
import type { FlatForest } from './flat-forest.js'

/**
 * Scores a compiled forest (a decision tree is a forest of one). Frame and row scoring share the same walk:
 * the leaf values of every tree are averaged (class probabilities, or the regression mean).
 */
export class TreePredictor implements Predictor {
  readonly classes?: readonly string[]
  private readonly scratch: Float64Array

  constructor(
    readonly kind: string,
    readonly task: Task,
    readonly features: readonly string[],
    readonly target: string,
    classes: readonly string[] | undefined,
    readonly forest: FlatForest,
    private readonly params: object,
  ) {
    if (classes !== undefined) this.classes = classes
    this.scratch = new Float64Array(forest.nOut)
  }

  get treeCount(): number {
    return this.forest.roots.length
  }

  predict(frame: Frame): Float64Array {
    const scores = this.score(frame)
    if (this.task === 'regression') return scores
    const k = this.forest.nOut
    const out = new Float64Array(frame.rows)
    for (let i = 0; i < frame.rows; i++) out[i] = argmax(scores, i * k, k)
    return out
  }

  predictProba(frame: Frame): Float64Array {
    this.requireClassifier('predictProba')
    return this.score(frame)
  }

  predictRow(row: Row): number {
    this.scoreRow(row, this.scratch)
    return this.task === 'regression' ? this.scratch[0]! : argmax(this.scratch, 0, this.forest.nOut)
  }

  predictProbaRow(row: Row, out?: Float64Array): Float64Array {
    this.requireClassifier('predictProbaRow')
    const target = out ?? new Float64Array(this.forest.nOut)
    if (target.length < this.forest.nOut) throw invalidParameter(`predictProbaRow: 'out' needs ${this.forest.nOut} slots, got ${target.length}.`)
    this.scoreRow(row, target)
    return target
  }

  save(): SavedModel {
    const saved: SavedModel = {
      format: 'keel-model',
      formatVersion: 1,
      kind: this.kind,
      task: this.task,
      features: [...this.features],
      target: this.target,
      state: { params: this.params, forest: forestToJson(this.forest) },
    }
    if (this.classes !== undefined) saved.classes = [...this.classes]
    return saved
  }

  static load(kind: string, saved: SavedModel): TreePredictor {
    if (saved.format !== 'keel-model' || saved.kind !== kind) {
      throw invalidParameter(`Saved model is of kind '${saved.kind}', not '${kind}'; load it with its own algorithm.`)
    }
    const state = saved.state as { params?: unknown; forest?: unknown } | null
    if (typeof state !== 'object' || state === null) throw invalidParameter('Saved tree model has no state; re-save the model.')
    const forest = forestFromJson(state.forest, saved.features.length)
    const expectedOut = saved.task === 'classification' ? (saved.classes?.length ?? -1) : 1
    if (forest.nOut !== expectedOut) throw invalidParameter('Saved tree model is corrupt: leaf width does not match its classes. Re-save the model.')
    const params = typeof state.params === 'object' && state.params !== null ? state.params : {}
    return new TreePredictor(kind, saved.task, saved.features, saved.target, saved.classes, forest, params)
  }

  /** Averages the trees' leaf values for every row: rows × nOut, row-major. */
  private score(frame: Frame): Float64Array {
    const columns = this.featureColumns(frame)
    const { roots, feature, threshold, left, right, value, nOut } = this.forest
    const n = frame.rows
    const out = new Float64Array(n * nOut)
    // Tree-outer order keeps one tree's nodes hot in cache while every row walks it.
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t]!
      for (let i = 0; i < n; i++) {
        let k = root
        let f = feature[k]!
        while (f >= 0) {
          k = columns[f]![i]! <= threshold[k]! ? left[k]! : right[k]!
          f = feature[k]!
        }
        const o = i * nOut
        const v = k * nOut
        for (let c = 0; c < nOut; c++) out[o + c]! += value[v + c]!
      }
    }
    const scale = 1 / roots.length
    for (let j = 0; j < out.length; j++) out[j]! *= scale
    return out
  }

  private scoreRow(row: Row, out: Float64Array): void {
    const names = this.features
    for (let f = 0; f < names.length; f++) {
      const v = row[names[f]!]
      if (typeof v === 'boolean') continue
      if (typeof v !== 'number') {
        throw invalidParameter(
          v === null || v === undefined
            ? `Feature '${names[f]}' is missing from the row; send every feature the model was trained on (impute missing values first).`
            : `Feature '${names[f]}' must be a number, got ${JSON.stringify(v)}.`,
        )
      }
      if (Number.isNaN(v)) throw invalidParameter(`Feature '${names[f]}' is NaN; impute missing values before scoring.`)
    }
    const { roots, feature, threshold, left, right, value, nOut } = this.forest
    for (let c = 0; c < nOut; c++) out[c] = 0
    for (let t = 0; t < roots.length; t++) {
      let k = roots[t]!
      let f = feature[k]!
      while (f >= 0) {
        const raw = row[names[f]!]
        const x = typeof raw === 'boolean' ? (raw ? 1 : 0) : (raw as number)
        k = x <= threshold[k]! ? left[k]! : right[k]!
        f = feature[k]!
      }
      const v = k * nOut
      for (let c = 0; c < nOut; c++) out[c]! += value[v + c]!
    }
    const scale = 1 / roots.length
    for (let c = 0; c < nOut; c++) out[c]! *= scale
  }

  private featureColumns(frame: Frame): Float64Array[] {
    const missing = this.features.filter((name) => !frame.has(name))
    if (missing.length > 0) {
      throw invalidParameter(
        `The frame lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} that the model was trained on; it needs: ${this.features.join(', ')}.`,
      )
    }
    return this.features.map((name) => {
      const values = frame.numeric(name)
      for (let i = 0; i < values.length; i++) {
        if (Number.isNaN(values[i]!)) throw invalidParameter(`Feature '${name}' is missing at row ${i}; impute missing values before scoring.`)
      }
      return values
    })
  }

  private requireClassifier(method: string): void {
    if (this.task !== 'classification') throw invalidParameter(`${method} needs a classifier; this ${this.kind} model is a regressor (use predict).`)
  }
}

function argmax(a: Float64Array, offset: number, k: number): number {
  let best = 0
  for (let c = 1; c < k; c++) if (a[offset + c]! > a[offset + best]!) best = c
  return best
}
