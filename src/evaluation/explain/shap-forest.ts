import { invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import type { FlatForest } from '../../models/tree/flat-forest.js'
import type { ShapTree } from './shap-tree.js'
import type { ShapEnsemble } from './tree-shap.js'

export interface ForestShapOptions {
  /**
   * Rows whose counts per node become the covers: pass the training frame. keel's FlatForest does not store
   * how many training rows reached each node, so the covers are recounted here (see below).
   */
  background: Frame
  /** Model feature names, in the forest's feature order (a Predictor's `features`). */
  features: readonly string[]
}

/**
 * Converts keel's flat trees (decision tree or random forest, `src/models/tree/`) into TreeSHAP's form.
 *
 * - Split rule: keel sends `x ≤ t` left; TreeSHAP (XGBoost's rule) sends `x < t'` left. With t' the next double
 *   above t the two are the same for every finite or infinite x. keel refuses NaN features, so
 *   `missingGoesLeft` is 0, which is also where keel's own `NaN ≤ t` comparison would send it.
 * - Values: a forest averages its trees, so each leaf value is divided by the number of trees; output c (one
 *   per class for classifiers, probabilities; one for regression) is a group of trees sharing the structure.
 *   The SHAP values then sum to `predictProba` (classification) or `predict` (regression).
 * - Cover: the number of `background` rows reaching each node. For a single tree trained without sample
 *   weights this is exactly the training count; for a bootstrapped forest the true cover is the in-bag
 *   (weighted) count, which keel does not keep, so the explanation uses the whole training set instead.
 */
export function shapEnsembleFromForest(forest: FlatForest, options: ForestShapOptions): ShapEnsemble {
  const { background, features } = options
  if (background.rows === 0) throw invalidParameter("'background' has no rows; pass the training frame so each node's cover can be counted.")
  const columns = features.map((name) => background.numeric(name))
  const nTrees = forest.roots.length
  const nOut = forest.nOut
  const trees: ShapTree[] = []
  const group: number[] = []
  for (let t = 0; t < nTrees; t++) {
    const start = forest.roots[t]!
    const end = t + 1 < nTrees ? forest.roots[t + 1]! : forest.feature.length
    const n = end - start
    const feature = new Int32Array(n)
    const threshold = new Float64Array(n)
    const left = new Int32Array(n)
    const right = new Int32Array(n)
    const cover = new Float64Array(n)
    for (let k = 0; k < n; k++) {
      const f = forest.feature[start + k]!
      feature[k] = f
      if (f >= 0) {
        threshold[k] = nextUp(forest.threshold[start + k]!)
        left[k] = forest.left[start + k]! - start
        right[k] = forest.right[start + k]! - start
      } else {
        left[k] = -1
        right[k] = -1
      }
    }
    countRows(forest, start, columns, background.rows, cover)
    const missingGoesLeft = new Uint8Array(n)
    for (let c = 0; c < nOut; c++) {
      const value = new Float64Array(n)
      for (let k = 0; k < n; k++) if (feature[k]! < 0) value[k] = forest.value[(start + k) * nOut + c]! / nTrees
      trees.push({ feature, threshold, left, right, missingGoesLeft, value, cover })
      group.push(c)
    }
  }
  return { trees, nFeatures: features.length, group, nGroups: nOut }
}

/** Counts the rows reaching each node of the tree starting at `start` (node k of it at `cover[k]`). */
function countRows(forest: FlatForest, start: number, columns: readonly Float64Array[], rows: number, cover: Float64Array): void {
  const { feature, threshold, left, right } = forest
  for (let i = 0; i < rows; i++) {
    let k = start
    cover[0]!++
    let f = feature[k]!
    while (f >= 0) {
      const x = columns[f]![i]!
      if (Number.isNaN(x)) throw invalidParameter(`Background feature column ${f} is missing at row ${i}; impute it as the model's training data was.`)
      k = x <= threshold[k]! ? left[k]! : right[k]!
      cover[k - start]!++
      f = feature[k]!
    }
  }
}

/** The smallest double greater than `x` (x finite or -Infinity), so that `v ≤ x` ⇔ `v < nextUp(x)`. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x
  if (x === 0) return Number.MIN_VALUE
  const scratch = new DataView(new ArrayBuffer(8))
  scratch.setFloat64(0, x)
  const bits = scratch.getBigInt64(0)
  scratch.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n)
  return scratch.getFloat64(0)
}
