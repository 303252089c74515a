import { invalidParameter } from '../../core/errors.js'

/**
 * The tree shape TreeSHAP works on, shared by every model format that can be explained (XGBoost, keel's own
 * forests, ...). Arrays are indexed by node id; node 0 is the root.
 *
 * Split rule (XGBoost's): a row goes to `left[n]` when `x[feature[n]] < threshold[n]`, to `right[n]` otherwise,
 * and to `left[n]` when the value is NaN and `missingGoesLeft[n]` is 1 (else `right[n]`).
 * Leaves have `feature[n] === -1` and carry their margin-space output in `value[n]`.
 * `cover[n]` is the training weight that reached the node (hessian sum for boosted trees, sample count for
 * forests); TreeSHAP takes conditional expectations with it, so children's covers should sum to the parent's.
 * Categorical splits (keel's gbdt): a node with `catStart[n] ≥ 0` reads the feature as a category code c and
 * goes left when `catMask[catStart[n] + c]` is 1 (NaN still by `missingGoesLeft`); its threshold is unused.
 */
export interface ShapTree {
  feature: Int32Array
  threshold: Float64Array
  left: Int32Array
  right: Int32Array
  missingGoesLeft: Uint8Array
  value: Float64Array
  cover: Float64Array
  catStart?: Int32Array
  catMask?: Uint8Array
}

/** Follows the split rule above for one row; returns the leaf's node id. */
export function shapTreeLeaf(tree: ShapTree, row: ArrayLike<number>): number {
  let node = 0
  // A well-formed tree reaches a leaf in fewer steps than it has nodes; the bound catches cycles.
  for (let steps = 0; steps <= tree.feature.length; steps++) {
    const f = tree.feature[node]!
    if (f < 0) return node
    node = goesLeft(tree, node, row[f]!) ? tree.left[node]! : tree.right[node]!
  }
  throw invalidParameter('ShapTree is malformed: no leaf is reached from the root (a cycle); rebuild the tree.')
}

/** Whether value `x` takes node `node`'s left branch (x < threshold, NaN by `missingGoesLeft`). */
export function goesLeft(tree: ShapTree, node: number, x: number): boolean {
  if (Number.isNaN(x)) return tree.missingGoesLeft[node] === 1
  const cs = tree.catStart === undefined ? -1 : tree.catStart[node]!
  return cs >= 0 ? tree.catMask?.[cs + x] === 1 : x < tree.threshold[node]!
}

/**
 * Checks a tree's arrays once, so the explainers can walk it without bounds checks going wrong:
 * equal lengths, children inside the tree, features inside `nFeatures`, finite non-negative covers, and no
 * cycles (every node reached at most once from the root). Returns the tree's depth (edges on the longest path).
 */
export function validateShapTree(tree: ShapTree, nFeatures: number, label = 'tree'): number {
  const n = tree.feature.length
  const bad = (what: string): never => {
    throw invalidParameter(`ShapTree ${label} is malformed: ${what}.`)
  }
  if (n === 0) bad('it has no nodes')
  for (const [name, a] of [
    ['threshold', tree.threshold],
    ['left', tree.left],
    ['right', tree.right],
    ['missingGoesLeft', tree.missingGoesLeft],
    ['value', tree.value],
    ['cover', tree.cover],
  ] as const) {
    if (a.length !== n) bad(`'${name}' has ${a.length} entries but 'feature' has ${n}`)
  }
  if (tree.catStart !== undefined && (tree.catStart.length !== n || tree.catMask === undefined)) bad(`'catStart' needs ${n} entries and a 'catMask'`)
  const seen = new Uint8Array(n)
  const depthOf = new Int32Array(n)
  const stack = [0]
  seen[0] = 1
  let depth = 0
  // Each node is pushed at most once (seen), so the loop runs at most n times.
  while (stack.length > 0) {
    const k = stack.pop()!
    const c = tree.cover[k]!
    if (!(c >= 0) || !Number.isFinite(c)) bad(`node ${k} has cover ${c}; covers must be finite and ≥ 0`)
    const f = tree.feature[k]!
    if (f < 0) {
      if (f !== -1) bad(`node ${k} has feature ${f}; leaves use -1`)
      if (!Number.isFinite(tree.value[k]!)) bad(`leaf ${k} has value ${tree.value[k]}`)
      if (depthOf[k]! > depth) depth = depthOf[k]!
      continue
    }
    if (f >= nFeatures) bad(`node ${k} splits on feature ${f}, but the model has ${nFeatures} features`)
    for (const child of [tree.left[k]!, tree.right[k]!]) {
      if (child < 0 || child >= n) bad(`node ${k} has child ${child}, outside 0..${n - 1}`)
      if (seen[child] === 1) bad(`node ${child} is reached twice (a cycle or shared child)`)
      seen[child] = 1
      depthOf[child] = depthOf[k]! + 1
      stack.push(child)
    }
  }
  return depth
}
