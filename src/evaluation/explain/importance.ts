import { invalidParameter } from '../../core/errors.js'
import { Frame } from '../../core/frame.js'
import type { Column } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import type { ShapValues } from './tree-shap.js'

/** Scores predictions against the truth, e.g. `(y, p) => rocAuc(y, p)`. */
export type ImportanceMetric = (yTrue: Float64Array, yPred: Float64Array) => number

export interface PermutationOptions {
  /** Shuffles per feature (default 5). */
  repeats?: number
  seed?: number
  /** Whether a larger metric is better (default true); for losses pass false, so a drop is still positive. */
  greaterIsBetter?: boolean
  /** Columns to permute (default: every column but the target). */
  features?: readonly string[]
}

export interface FeatureImportance {
  feature: string
  /** Mean over repeats of how much the metric got worse when this feature was shuffled. */
  mean: number
  std: number
  /** One drop per repeat, in repeat order. */
  drops: number[]
}

export interface PermutationImportance {
  method: 'permutation'
  baseline: number
  repeats: number
  seed: number
  /** In the order the features were given. */
  importances: FeatureImportance[]
}

/**
 * Permutation importance for any model (Breiman 2001; scikit-learn's `permutation_importance`): shuffle one
 * column at a time, score the model again, and report how much the metric worsens, mean and std over
 * `repeats` shuffles. `target` is a column of `frame` (numeric values, or a categorical column's codes) or the
 * truth itself. Each permuted frame shares every other column with `frame`; one buffer per feature is reused.
 */
export async function permutationImportance(
  predictFn: (frame: Frame) => Float64Array | Promise<Float64Array>,
  frame: Frame,
  target: string | Float64Array,
  metric: ImportanceMetric,
  options: PermutationOptions = {},
): Promise<PermutationImportance> {
  const repeats = options.repeats ?? 5
  const seed = options.seed ?? 0
  const sign = options.greaterIsBetter === false ? -1 : 1
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 10_000) throw invalidParameter(`repeats must be an integer in 1..10000, got ${repeats}.`)
  if (frame.rows < 2) throw invalidParameter(`Permutation importance needs at least 2 rows, got ${frame.rows}.`)
  const yTrue = typeof target === 'string' ? targetValues(frame.column(target)) : target
  if (yTrue.length !== frame.rows) throw invalidParameter(`'target' has ${yTrue.length} values for ${frame.rows} rows; give one per row.`)
  const features = options.features ?? frame.names.filter((n) => n !== target)
  if (features.length === 0) throw invalidParameter('There are no features to permute; the frame holds only the target.')
  for (const name of features) frame.column(name)

  const score = async (f: Frame): Promise<number> => {
    const pred = await predictFn(f)
    const s = metric(yTrue, pred)
    if (!Number.isFinite(s)) throw invalidParameter(`The metric returned ${s}; it must be a finite number.`)
    return s
  }
  const baseline = await score(frame)
  const random = createRandom(seed)
  const importances: FeatureImportance[] = []
  for (const name of features) {
    const column = frame.column(name)
    const order = new Int32Array(frame.rows)
    const permuted = column.kind === 'numeric' ? new Float64Array(frame.rows) : new Int32Array(frame.rows)
    const drops: number[] = []
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < order.length; i++) order[i] = i
      random.shuffle(order)
      const shuffled = permute(column, order, permuted)
      const drop = sign * (baseline - (await score(frame.withColumn(shuffled))))
      // + 0 turns −0 (an unchanged loss times −1) into 0, which JSON keeps as written.
      drops.push(drop + 0)
    }
    const mean = drops.reduce((a, b) => a + b, 0) / repeats
    // Population std, as scikit-learn's permutation_importance (numpy's default ddof=0).
    const std = Math.sqrt(drops.reduce((a, d) => a + (d - mean) * (d - mean), 0) / repeats)
    importances.push({ feature: name, mean, std, drops })
  }
  return { method: 'permutation', baseline, repeats, seed, importances }
}

function permute(column: Column, order: Int32Array, into: Float64Array | Int32Array): Column {
  if (column.kind === 'numeric') {
    const out = into as Float64Array
    for (let i = 0; i < order.length; i++) out[i] = column.values[order[i]!]!
    return { kind: 'numeric', name: column.name, dtype: column.dtype, values: out }
  }
  const out = into as Int32Array
  for (let i = 0; i < order.length; i++) out[i] = column.codes[order[i]!]!
  return { kind: 'categorical', name: column.name, codes: out, categories: column.categories }
}

function targetValues(column: Column): Float64Array {
  return column.kind === 'numeric' ? column.values : Float64Array.from(column.codes)
}

export interface GlobalImportance {
  method: 'mean_abs_shap'
  rows: number
  /** Per feature, sorted by importance (largest first); `byOutput` has one value per output (class). */
  features: Array<{ feature: string; importance: number; byOutput: number[] }>
}

/**
 * Global importance from SHAP values: mean |SHAP| per feature over rows (summed over outputs for multiclass,
 * also reported per output). Plain JSON, to store with a model version for the UI.
 */
export function globalImportance(shap: ShapValues): GlobalImportance {
  const { rows, nGroups, features, values } = shap
  const nFeatures = features.length
  const width = nFeatures + 1
  if (values.length !== rows * nGroups * width) throw invalidParameter(`SHAP values have ${values.length} entries; expected rows·outputs·(features + 1) = ${rows * nGroups * width}.`)
  if (rows === 0) throw invalidParameter('SHAP values have no rows; explain at least one row first.')
  const sums = new Float64Array(nGroups * nFeatures)
  for (let i = 0; i < rows; i++) {
    for (let g = 0; g < nGroups; g++) {
      const o = (i * nGroups + g) * width
      for (let f = 0; f < nFeatures; f++) sums[g * nFeatures + f]! += Math.abs(values[o + f]!)
    }
  }
  const out = features.map((feature, f) => {
    const byOutput: number[] = []
    for (let g = 0; g < nGroups; g++) byOutput.push(sums[g * nFeatures + f]! / rows)
    return { feature, importance: byOutput.reduce((a, b) => a + b, 0), byOutput }
  })
  out.sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : 1))
  return { method: 'mean_abs_shap', rows, features: out }
}
