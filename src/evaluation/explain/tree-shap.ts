import { invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import { goesLeft, validateShapTree } from './shap-tree.js'
import type { ShapTree } from './shap-tree.js'

/**
 * A tree ensemble to explain: each tree adds its leaf value to the margin of output `group[t]` (one output for
 * regression and binary models, one per class for multiclass), which starts at `base[group]`.
 */
export interface ShapEnsemble {
  trees: readonly ShapTree[]
  nFeatures: number
  /** Output each tree adds to; omitted means every tree feeds output 0. */
  group?: ArrayLike<number>
  /** Number of outputs (default 1). */
  nGroups?: number
  /** Starting margin per output (e.g. XGBoost's base_score in margin space); default 0. */
  base?: ArrayLike<number>
  /**
   * Round inputs to float32 before comparing them with thresholds, as XGBoost does (its thresholds are
   * float32; a float64 input just below one can round onto it and go right). Set it for XGBoost trees.
   */
  float32Inputs?: boolean
}

/**
 * SHAP values for a batch: `values[(row·nGroups + g)·(nFeatures + 1) + f]`, the last slot of each block being
 * the bias (the expected margin). Each block sums to that row's margin for output g, exactly up to rounding.
 */
export interface ShapValues {
  rows: number
  nGroups: number
  features: string[]
  values: Float64Array
}

/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, Algorithm 2): per tree one recursive walk that
 * tracks, for the unique features on the current path, the weight of every subset size (EXTEND / UNWIND), so a
 * tree costs O(leaves · depth²) instead of enumerating 2^features subsets. Conditional expectations weight
 * each branch by `cover`, exactly as XGBoost's `pred_contribs` does (its RegTree::TreeShap is the model here).
 * Zero-cover conventions: a branch with zero cover that the row does not take adds nothing; a node whose own
 * cover is 0 splits its weight evenly between its children.
 * Scratch buffers are sized once per ensemble; explaining a row allocates nothing.
 */
export class TreeShapExplainer {
  readonly nFeatures: number
  readonly nGroups: number
  private readonly trees: readonly ShapTree[]
  private readonly group: Int32Array
  private readonly base: Float64Array
  /** Expected value (cover-weighted mean of leaves) per tree. */
  private readonly expected: Float64Array
  // The path of depth d lives at offset d·(d+1)/2 .. in these arrays (one copy per recursion level).
  private readonly pathFeature: Int32Array
  private readonly pathZero: Float64Array
  private readonly pathOne: Float64Array
  private readonly pathWeight: Float64Array
  private readonly float32Inputs: boolean
  private readonly rounded: Float64Array
  private tree!: ShapTree
  private row: ArrayLike<number> = []
  private phi: Float64Array = new Float64Array(0)
  private phiOffset = 0

  constructor(ensemble: ShapEnsemble) {
    const { trees, nFeatures } = ensemble
    if (!Number.isInteger(nFeatures) || nFeatures < 1) throw invalidParameter(`nFeatures must be a positive integer, got ${nFeatures}.`)
    if (trees.length === 0) throw invalidParameter('The ensemble has no trees; there is nothing to explain.')
    const nGroups = ensemble.nGroups ?? 1
    if (!Number.isInteger(nGroups) || nGroups < 1) throw invalidParameter(`nGroups must be a positive integer, got ${nGroups}.`)
    this.nFeatures = nFeatures
    this.nGroups = nGroups
    this.float32Inputs = ensemble.float32Inputs === true
    this.rounded = new Float64Array(nFeatures)
    this.trees = trees
    this.group = new Int32Array(trees.length)
    if (ensemble.group !== undefined) {
      if (ensemble.group.length !== trees.length) throw invalidParameter(`'group' has ${ensemble.group.length} entries for ${trees.length} trees; give one per tree.`)
      for (let t = 0; t < trees.length; t++) {
        const g = ensemble.group[t]!
        if (!Number.isInteger(g) || g < 0 || g >= nGroups) throw invalidParameter(`'group' of tree ${t} is ${g}; it must be in 0..${nGroups - 1}.`)
        this.group[t] = g
      }
    }
    this.base = new Float64Array(nGroups)
    if (ensemble.base !== undefined) {
      if (ensemble.base.length !== nGroups) throw invalidParameter(`'base' has ${ensemble.base.length} entries for ${nGroups} outputs; give one per output.`)
      for (let g = 0; g < nGroups; g++) this.base[g] = ensemble.base[g]!
    }
    let maxDepth = 0
    this.expected = new Float64Array(trees.length)
    trees.forEach((tree, t) => {
      maxDepth = Math.max(maxDepth, validateShapTree(tree, nFeatures, `#${t}`))
      this.expected[t] = meanValue(tree)
    })
    // Level L (0 = root) starts at offset ≤ 1 + 2 + … + (L + 1) and holds ≤ L + 2 elements (a dummy for the
    // root plus one per split above), so (D + 2)(D + 3)/2 slots cover a tree of depth D; one level spare.
    const levels = maxDepth + 3
    const size = (levels * (levels + 1)) / 2
    this.pathFeature = new Int32Array(size)
    this.pathZero = new Float64Array(size)
    this.pathOne = new Float64Array(size)
    this.pathWeight = new Float64Array(size)
  }

  /** Width of one output's block: the features plus the bias. */
  get width(): number {
    return this.nFeatures + 1
  }

  /**
   * Writes one row's SHAP values into `out` (length nGroups·(nFeatures + 1), overwritten) starting at `offset`.
   * `row[f]` is feature f's value, NaN when missing.
   */
  explainRow(row: ArrayLike<number>, out: Float64Array, offset = 0): Float64Array {
    const width = this.width
    if (row.length < this.nFeatures) throw invalidParameter(`The row has ${row.length} values; the model has ${this.nFeatures} features.`)
    if (out.length < offset + this.nGroups * width) throw invalidParameter(`'out' needs ${this.nGroups * width} slots from offset ${offset}, has ${out.length - offset}.`)
    out.fill(0, offset, offset + this.nGroups * width)
    for (let g = 0; g < this.nGroups; g++) out[offset + g * width + this.nFeatures] = this.base[g]!
    if (this.float32Inputs) {
      for (let f = 0; f < this.nFeatures; f++) this.rounded[f] = Math.fround(row[f]!)
      this.row = this.rounded
    } else {
      this.row = row
    }
    this.phi = out
    for (let t = 0; t < this.trees.length; t++) {
      this.tree = this.trees[t]!
      this.phiOffset = offset + this.group[t]! * width
      out[this.phiOffset + this.nFeatures]! += this.expected[t]!
      this.recurse(0, 0, 0, 1, 1, -1)
    }
    return out
  }

  /** SHAP values for every row of `frame`; `features[f]` names the frame column of model feature f. */
  explainFrame(frame: Frame, features: readonly string[]): ShapValues {
    if (features.length !== this.nFeatures) throw invalidParameter(`${features.length} feature names given; the model has ${this.nFeatures} features.`)
    const missing = features.filter((name) => !frame.has(name))
    if (missing.length > 0) throw invalidParameter(`The frame lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} that the model needs.`)
    const columns = features.map((name) => frame.numeric(name))
    const rowBuffer = new Float64Array(this.nFeatures)
    const block = this.nGroups * this.width
    const values = new Float64Array(frame.rows * block)
    for (let i = 0; i < frame.rows; i++) {
      for (let f = 0; f < this.nFeatures; f++) rowBuffer[f] = columns[f]![i]!
      this.explainRow(rowBuffer, values, i * block)
    }
    return { rows: frame.rows, nGroups: this.nGroups, features: [...features], values }
  }

  /**
   * One node of Algorithm 2, laid out as XGBoost's RegTree::TreeShap: the path (elements 0..depth, element 0 a
   * dummy for the root) is copied from the parent's level at `parentAt` to the next level, then extended with
   * the split that led here, carrying the fractions of rows (`zero`: by cover) and of this row (`one`: 1 or 0).
   */
  private recurse(node: number, parentAt: number, depth: number, zero: number, one: number, feature: number): void {
    // A cold branch without cover carries no weight: every subset weight below it is 0.
    if (zero === 0 && one === 0) return
    const at = parentAt + depth + 1
    const { pathFeature, pathZero, pathOne, pathWeight } = this
    // Paths are a few elements long: a plain loop beats copyWithin's call overhead by far.
    for (let i = 0; i <= depth; i++) {
      pathFeature[at + i] = pathFeature[parentAt + i]!
      pathZero[at + i] = pathZero[parentAt + i]!
      pathOne[at + i] = pathOne[parentAt + i]!
      pathWeight[at + i] = pathWeight[parentAt + i]!
    }
    this.extend(at, depth, zero, one, feature)
    const tree = this.tree
    const split = tree.feature[node]!
    if (split < 0) {
      const leaf = tree.value[node]!
      const phi = this.phi
      for (let i = 1; i <= depth; i++) {
        const w = this.unwoundSum(at, depth, i)
        phi[this.phiOffset + pathFeature[at + i]!]! += w * (pathOne[at + i]! - pathZero[at + i]!) * leaf
      }
      return
    }
    const x = this.row[split]!
    const left = tree.left[node]!
    const right = tree.right[node]!
    const hotLeft = tree.catStart === undefined ? (Number.isNaN(x) ? tree.missingGoesLeft[node] === 1 : x < tree.threshold[node]!) : goesLeft(tree, node, x)
    const hot = hotLeft ? left : right
    const cold = hotLeft ? right : left
    const cover = tree.cover[node]!
    const hotZero = cover > 0 ? tree.cover[hot]! / cover : 0.5
    const coldZero = cover > 0 ? tree.cover[cold]! / cover : 0.5
    let incomingZero = 1
    let incomingOne = 1
    let d = depth
    // A feature split on again lower down is undone first, then redone with both splits' fractions combined.
    for (let k = 1; k <= d; k++) {
      if (pathFeature[at + k] === split) {
        incomingZero = pathZero[at + k]!
        incomingOne = pathOne[at + k]!
        this.unwind(at, d, k)
        d -= 1
        break
      }
    }
    this.recurse(hot, at, d + 1, hotZero * incomingZero, incomingOne, split)
    this.recurse(cold, at, d + 1, coldZero * incomingZero, 0, split)
  }

  /** EXTEND: adds one feature with fractions (zero, one) to the path of `depth` elements at `at`. */
  private extend(at: number, depth: number, zero: number, one: number, feature: number): void {
    const w = this.pathWeight
    this.pathFeature[at + depth] = feature
    this.pathZero[at + depth] = zero
    this.pathOne[at + depth] = one
    w[at + depth] = depth === 0 ? 1 : 0
    for (let i = depth - 1; i >= 0; i--) {
      w[at + i + 1]! += (one * w[at + i]! * (i + 1)) / (depth + 1)
      w[at + i] = (zero * w[at + i]! * (depth - i)) / (depth + 1)
    }
  }

  /** UNWIND: removes element `index` from the path whose last element is at `at + last`. */
  private unwind(at: number, last: number, index: number): void {
    const w = this.pathWeight
    const one = this.pathOne[at + index]!
    const zero = this.pathZero[at + index]!
    let nextOne = w[at + last]!
    for (let i = last - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = w[at + i]!
        w[at + i] = (nextOne * (last + 1)) / ((i + 1) * one)
        nextOne = tmp - (w[at + i]! * zero * (last - i)) / (last + 1)
      } else {
        w[at + i] = (w[at + i]! * (last + 1)) / (zero * (last - i))
      }
    }
    for (let i = index; i < last; i++) {
      this.pathFeature[at + i] = this.pathFeature[at + i + 1]!
      this.pathZero[at + i] = this.pathZero[at + i + 1]!
      this.pathOne[at + i] = this.pathOne[at + i + 1]!
    }
  }

  /** The total path weight if element `index` were unwound, without modifying the path. */
  private unwoundSum(at: number, last: number, index: number): number {
    const w = this.pathWeight
    const one = this.pathOne[at + index]!
    const zero = this.pathZero[at + index]!
    let nextOne = w[at + last]!
    let total = 0
    for (let i = last - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = (nextOne * (last + 1)) / ((i + 1) * one)
        total += tmp
        nextOne = w[at + i]! - (tmp * zero * (last - i)) / (last + 1)
      } else if (zero !== 0) {
        total += w[at + i]! / zero / ((last - i) / (last + 1))
      }
    }
    return total
  }
}

/** SHAP values of one row for a single-output ensemble: `out` gets nFeatures contributions then the bias. */
export function treeShap(trees: readonly ShapTree[], row: ArrayLike<number>, out: Float64Array, base = 0): Float64Array {
  return new TreeShapExplainer({ trees, nFeatures: out.length - 1, base: [base] }).explainRow(row, out)
}

/** Cover-weighted mean of a tree's leaves: its expected output, the bias TreeSHAP starts from. */
export function meanValue(tree: ShapTree): number {
  // Children come after parents in the arrays produced by keel and XGBoost, but not necessarily; a post-order
  // walk with an explicit stack handles any order (validateShapTree has ruled out cycles).
  const n = tree.feature.length
  const mean = new Float64Array(n)
  const order: number[] = []
  const stack = [0]
  while (stack.length > 0 && order.length <= n) {
    const k = stack.pop()!
    order.push(k)
    if (tree.feature[k]! >= 0) stack.push(tree.left[k]!, tree.right[k]!)
  }
  for (let j = order.length - 1; j >= 0; j--) {
    const k = order[j]!
    if (tree.feature[k]! < 0) {
      mean[k] = tree.value[k]!
      continue
    }
    const l = tree.left[k]!
    const r = tree.right[k]!
    const c = tree.cover[k]!
    mean[k] = c > 0 ? (mean[l]! * tree.cover[l]! + mean[r]! * tree.cover[r]!) / c : (mean[l]! + mean[r]!) / 2
  }
  return mean[0]!
}
