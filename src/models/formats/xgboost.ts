import { invalidParameter } from '../../core/errors.js'
import type { Frame, Row } from '../../core/frame.js'
import type { ShapTree } from '../../evaluation/explain/shap-tree.js'
import { FastForest } from '../../scoring/fast-forest.js'
import type { Algorithm, Predictor, SavedModel, Task } from '../predictor.js'
import { parseXgboostModel, xgboostModelToJson } from './xgboost-json.js'
import type { XgboostModel } from './xgboost-json.js'

export { parseXgboostModel, XGBOOST_OBJECTIVES } from './xgboost-json.js'
export type { XgboostModel, XgboostObjective } from './xgboost-json.js'

export const XGBOOST_KIND = 'xgboost'

export interface XgboostPredictorOptions {
  /** Name of the predicted column (default 'label'). */
  target?: string
  /** Class labels in XGBoost's class order (default '0', '1', ...). */
  classes?: readonly string[]
}

/**
 * All trees in one set of flat arrays. Thresholds and leaf values are float32 arrays because XGBoost scores in
 * float32: inputs are rounded to float32, compared with `<`, and leaf values are summed in float32 — doing the
 * same is what makes keel's predictions equal XGBoost's, not merely close.
 */
interface CompiledTrees {
  roots: Int32Array
  group: Int32Array
  feature: Int32Array
  threshold: Float32Array
  left: Int32Array
  right: Int32Array
  defaultLeft: Uint8Array
  value: Float32Array
}

/** Rows scored together per pass over the trees: enough to reuse a tree's nodes in cache, small enough for L1. */
const BLOCK = 64

/** Scores an imported XGBoost model exactly as XGBoost 1.7's CPU predictor does. */
export class XgboostPredictor implements Predictor {
  readonly kind = XGBOOST_KIND
  readonly task: Task
  readonly features: readonly string[]
  readonly target: string
  readonly classes?: readonly string[]
  private readonly compiled: CompiledTrees
  /** Complete-tree layout for batches (identical margins); undefined when the trees are too deep for it. */
  private readonly fast: FastForest | undefined
  private readonly rowInput: Float32Array
  private readonly rowMargin: Float64Array

  constructor(
    readonly model: XgboostModel,
    options: XgboostPredictorOptions = {},
  ) {
    this.task = model.objective === 'reg:squarederror' ? 'regression' : 'classification'
    this.features = model.features
    this.target = options.target ?? 'label'
    if (this.task === 'classification') {
      const k = model.objective === 'binary:logistic' ? 2 : model.groups
      const classes = options.classes ?? Array.from({ length: k }, (_, i) => String(i))
      if (classes.length !== k) throw invalidParameter(`'classes' has ${classes.length} labels, but the XGBoost model predicts ${k} classes.`)
      this.classes = [...classes]
    }
    this.compiled = compile(model.trees, model.treeGroup)
    this.fast = FastForest.compile({ trees: model.trees, treeGroup: model.treeGroup, groups: model.groups, base: new Float64Array(model.groups).fill(model.baseMargin), float32: true }, model.features.length)
    this.rowInput = new Float32Array(model.features.length)
    this.rowMargin = new Float64Array(model.groups)
  }

  static fromJson(json: unknown, options: XgboostPredictorOptions = {}): XgboostPredictor {
    return new XgboostPredictor(parseXgboostModel(json), options)
  }

  /** Width of `predictProba` rows. */
  get outputs(): number {
    return this.classes?.length ?? 1
  }

  /** The trees for TreeSHAP (XGBoost's split rule). Contributions add up to `margin` after `baseMargin`. */
  trees(): ShapTree[] {
    return this.model.trees
  }

  /** The class (output group) each tree of `trees()` adds to. */
  treeGroups(): Int32Array {
    return this.model.treeGroup
  }

  /** XGBoost's bias before any tree, in margin space (logit(base_score) for binary:logistic). */
  get baseMargin(): number {
    return this.model.baseMargin
  }

  /** Raw margins (XGBoost's output_margin=True): rows × groups, row-major. */
  predictMargin(frame: Frame): Float64Array {
    return this.margins(frame)
  }

  predict(frame: Frame): Float64Array {
    const m = this.margins(frame)
    const n = frame.rows
    const out = new Float64Array(n)
    const { objective, groups } = this.model
    for (let i = 0; i < n; i++) {
      if (objective === 'reg:squarederror') out[i] = m[i]!
      else if (objective === 'binary:logistic') out[i] = m[i]! > 0 ? 1 : 0
      else out[i] = argmax(m, i * groups, groups)
    }
    return out
  }

  predictProba(frame: Frame): Float64Array {
    this.requireClassifier('predictProba')
    const m = this.margins(frame)
    const k = this.outputs
    const out = new Float64Array(frame.rows * k)
    for (let i = 0; i < frame.rows; i++) this.transform(m, i * this.model.groups, out, i * k)
    return out
  }

  predictRow(row: Row): number {
    const m = this.marginRow(row)
    if (this.model.objective === 'reg:squarederror') return m[0]!
    if (this.model.objective === 'binary:logistic') return m[0]! > 0 ? 1 : 0
    return argmax(m, 0, this.model.groups)
  }

  predictProbaRow(row: Row, out?: Float64Array): Float64Array {
    this.requireClassifier('predictProbaRow')
    const k = this.outputs
    const target = out ?? new Float64Array(k)
    if (target.length < k) throw invalidParameter(`predictProbaRow: 'out' needs ${k} slots, got ${target.length}.`)
    this.transform(this.marginRow(row), 0, target, 0)
    return target
  }

  save(): SavedModel {
    const saved: SavedModel = {
      format: 'keel-model',
      formatVersion: 1,
      kind: XGBOOST_KIND,
      task: this.task,
      features: [...this.features],
      target: this.target,
      state: { xgboost: xgboostModelToJson(this.model) },
    }
    if (this.classes !== undefined) saved.classes = [...this.classes]
    return saved
  }

  static load(saved: SavedModel): XgboostPredictor {
    if (saved.format !== 'keel-model' || saved.kind !== XGBOOST_KIND) {
      throw invalidParameter(`Saved model is of kind '${saved.kind}', not '${XGBOOST_KIND}'; load it with its own algorithm.`)
    }
    const state = saved.state as { xgboost?: unknown } | null
    if (typeof state !== 'object' || state === null || state.xgboost === undefined) {
      throw invalidParameter('Saved XGBoost model has no state.xgboost; re-import the model.')
    }
    const model = parseXgboostModel(state.xgboost)
    if (model.features.join('\u0000') !== saved.features.join('\u0000')) {
      throw invalidParameter('Saved XGBoost model is corrupt: its features differ from the trees’ features. Re-import the model.')
    }
    const options: XgboostPredictorOptions = { target: saved.target }
    if (saved.classes !== undefined) options.classes = saved.classes
    return new XgboostPredictor(model, options)
  }

  /** Margin → probabilities, in float32 like XGBoost (sigmoid, or softmax with the max subtracted). */
  private transform(m: Float64Array, at: number, out: Float64Array, to: number): void {
    const { objective, groups } = this.model
    if (objective === 'binary:logistic') {
      const p = Math.fround(1 / (1 + Math.exp(-m[at]!)))
      out[to] = 1 - p
      out[to + 1] = p
      return
    }
    let max = -Infinity
    for (let c = 0; c < groups; c++) if (m[at + c]! > max) max = m[at + c]!
    let sum = 0
    for (let c = 0; c < groups; c++) {
      const e = Math.exp(m[at + c]! - max)
      out[to + c] = e
      sum += e
    }
    for (let c = 0; c < groups; c++) out[to + c] = Math.fround(out[to + c]! / sum)
  }

  private margins(frame: Frame): Float64Array {
    const nf = this.features.length
    const n = frame.rows
    if (this.fast !== undefined) {
      const columns = this.features.map((name) => {
        if (!frame.has(name)) throw missingFeatures(this.features, frame)
        return frame.numeric(name)
      })
      const out = new Float64Array(n * this.model.groups)
      this.fast.margins(columns, 0, n, out, 0)
      return out
    }
    // Row-major float32 copy of the inputs: the rounding XGBoost's DMatrix does, and one row per cache line run.
    const x = new Float32Array(n * nf)
    for (let f = 0; f < nf; f++) {
      const name = this.features[f]!
      if (!frame.has(name)) throw missingFeatures(this.features, frame)
      const values = frame.numeric(name)
      for (let i = 0; i < n; i++) x[i * nf + f] = values[i]!
    }
    const groups = this.model.groups
    const out = new Float64Array(n * groups).fill(this.model.baseMargin)
    const { roots, group, feature, threshold, left, right, defaultLeft, value } = this.compiled
    for (let start = 0; start < n; start += BLOCK) {
      const end = Math.min(n, start + BLOCK)
      for (let t = 0; t < roots.length; t++) {
        const root = roots[t]!
        const g = group[t]!
        for (let i = start; i < end; i++) {
          const base = i * nf
          let k = root
          let f = feature[k]!
          while (f >= 0) {
            const v = x[base + f]!
            k = v < threshold[k]! ? left[k]! : v >= threshold[k]! ? right[k]! : defaultLeft[k] === 1 ? left[k]! : right[k]!
            f = feature[k]!
          }
          const o = i * groups + g
          out[o] = Math.fround(out[o]! + value[k]!)
        }
      }
    }
    return out
  }

  /** One row into preallocated scratch; the returned margins are overwritten by the next call. */
  private marginRow(row: Row): Float64Array {
    const names = this.features
    const x = this.rowInput
    for (let f = 0; f < names.length; f++) {
      const v = row[names[f]!]
      if (typeof v === 'number') x[f] = v
      else if (v === null || v === undefined) x[f] = Number.NaN // XGBoost's missing value: the default direction
      else if (typeof v === 'boolean') x[f] = v ? 1 : 0
      else throw invalidParameter(`Feature '${names[f]}' must be a number (or null when missing), got ${JSON.stringify(v)}.`)
    }
    const m = this.rowMargin
    m.fill(this.model.baseMargin)
    const { roots, group, feature, threshold, left, right, defaultLeft, value } = this.compiled
    for (let t = 0; t < roots.length; t++) {
      let k = roots[t]!
      let f = feature[k]!
      while (f >= 0) {
        const v = x[f]!
        k = v < threshold[k]! ? left[k]! : v >= threshold[k]! ? right[k]! : defaultLeft[k] === 1 ? left[k]! : right[k]!
        f = feature[k]!
      }
      const g = group[t]!
      m[g] = Math.fround(m[g]! + value[k]!)
    }
    return m
  }

  private requireClassifier(method: string): void {
    if (this.task !== 'classification') throw invalidParameter(`${method} needs a classifier; this XGBoost model is a regressor (use predict).`)
  }
}

function missingFeatures(features: readonly string[], frame: Frame): Error {
  const missing = features.filter((name) => !frame.has(name))
  return invalidParameter(
    `The frame lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} of the XGBoost model; it needs: ${features.join(', ')}.`,
  )
}

function compile(trees: readonly ShapTree[], treeGroup: Int32Array): CompiledTrees {
  let total = 0
  for (const t of trees) total += t.feature.length
  const c: CompiledTrees = {
    roots: new Int32Array(trees.length),
    group: Int32Array.from(treeGroup),
    feature: new Int32Array(total),
    threshold: new Float32Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    defaultLeft: new Uint8Array(total),
    value: new Float32Array(total),
  }
  let offset = 0
  trees.forEach((t, ti) => {
    c.roots[ti] = offset
    const n = t.feature.length
    c.feature.set(t.feature, offset)
    c.threshold.set(t.threshold, offset)
    c.defaultLeft.set(t.missingGoesLeft, offset)
    c.value.set(t.value, offset)
    for (let k = 0; k < n; k++) {
      c.left[offset + k] = t.feature[k]! < 0 ? -1 : offset + t.left[k]!
      c.right[offset + k] = t.feature[k]! < 0 ? -1 : offset + t.right[k]!
    }
    offset += n
  })
  return c
}

function argmax(a: Float64Array, offset: number, k: number): number {
  let best = 0
  for (let c = 1; c < k; c++) if (a[offset + c]! > a[offset + best]!) best = c
  return best
}

/**
 * Registers kind 'xgboost' so `loadModel` loads imported models. XGBoost models are imported
 * (`keel models import --format xgboost`), never trained by keel.
 */
const NOT_TRAINABLE = "Algorithm 'xgboost' is for imported models; train in XGBoost and run `keel models import --format xgboost <model.json>`."

export const xgboostImported: Algorithm<Record<string, never>> = {
  name: XGBOOST_KIND,
  tasks: ['classification', 'regression'],
  defaults: {},
  // Refused while params are checked, so a training spec naming it fails before any run is created.
  resolveParams(): Record<string, never> {
    throw invalidParameter(NOT_TRAINABLE)
  },
  fit(): Promise<Predictor> {
    return Promise.reject(invalidParameter(NOT_TRAINABLE))
  },
  load(saved: SavedModel): Predictor {
    return XgboostPredictor.load(saved)
  },
}
