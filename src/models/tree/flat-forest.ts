import { invalidParameter } from '../../core/errors.js'
import type { TreeArrays } from './tree-builder.js'

/**
 * Trees compiled to flat typed arrays, all trees of a forest in one set: node k splits on `feature[k]` at
 * `threshold[k]` (x ≤ threshold goes to `left[k]`), or is a leaf when feature[k] is -1 with its `nOut` values
 * at value[k·nOut ..]. `roots` holds each tree's first node. Scoring is a loop over these arrays, nothing else.
 */
export interface FlatForest {
  nOut: number
  roots: Int32Array
  feature: Int32Array
  threshold: Float64Array
  left: Int32Array
  right: Int32Array
  value: Float64Array
}

/** The JSON form in a SavedModel (plain number arrays; thresholds are finite so JSON keeps them exactly). */
export interface FlatForestJson {
  nOut: number
  roots: number[]
  feature: number[]
  threshold: number[]
  left: number[]
  right: number[]
  value: number[]
}

/** Concatenates trees, turning bin thresholds into raw feature values through the bin edges. */
export function compileForest(trees: readonly TreeArrays[], edges: readonly Float64Array[], nOut: number): FlatForest {
  let total = 0
  for (const t of trees) total += t.nodeCount
  const forest: FlatForest = {
    nOut,
    roots: new Int32Array(trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    value: new Float64Array(total * nOut),
  }
  let offset = 0
  trees.forEach((t, ti) => {
    forest.roots[ti] = offset
    for (let k = 0; k < t.nodeCount; k++) {
      const f = t.feature[k]!
      const at = offset + k
      forest.feature[at] = f
      if (f >= 0) {
        forest.threshold[at] = edges[f]![t.thresholdBin[k]!]!
        forest.left[at] = offset + t.left[k]!
        forest.right[at] = offset + t.right[k]!
      } else {
        forest.left[at] = -1
        forest.right[at] = -1
      }
    }
    forest.value.set(t.value, offset * nOut)
    offset += t.nodeCount
  })
  return forest
}

export function forestToJson(f: FlatForest): FlatForestJson {
  return {
    nOut: f.nOut,
    roots: Array.from(f.roots),
    feature: Array.from(f.feature),
    threshold: Array.from(f.threshold),
    left: Array.from(f.left),
    right: Array.from(f.right),
    value: Array.from(f.value),
  }
}

/** Rebuilds a forest from saved JSON, checking every index so a corrupt file cannot make scoring loop or crash. */
export function forestFromJson(raw: unknown, nFeatures: number): FlatForest {
  const bad = (what: string): never => {
    throw invalidParameter(`Saved tree model is corrupt: ${what}. Re-save the model.`)
  }
  if (typeof raw !== 'object' || raw === null) return bad('state.forest is not an object')
  const r = raw as Record<string, unknown>
  const nums = (key: string): number[] => {
    const v = r[key]
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) return bad(`'${key}' is not an array of numbers`)
    return v as number[]
  }
  const nOut = r['nOut']
  if (typeof nOut !== 'number' || !Number.isInteger(nOut) || nOut < 1) return bad("'nOut' is not a positive integer")
  const f: FlatForest = {
    nOut,
    roots: Int32Array.from(nums('roots')),
    feature: Int32Array.from(nums('feature')),
    threshold: Float64Array.from(nums('threshold')),
    left: Int32Array.from(nums('left')),
    right: Int32Array.from(nums('right')),
    value: Float64Array.from(nums('value')),
  }
  const n = f.feature.length
  if (f.threshold.length !== n || f.left.length !== n || f.right.length !== n || f.value.length !== n * nOut) bad('array lengths differ')
  if (f.roots.length === 0) bad('no trees')
  for (const root of f.roots) if (root < 0 || root >= n) bad('a root is out of range')
  for (let k = 0; k < n; k++) {
    const feat = f.feature[k]!
    if (feat === -1) continue
    // Children always come after their parent, which also rules out cycles.
    if (feat < 0 || feat >= nFeatures || f.left[k]! <= k || f.right[k]! <= k || f.left[k]! >= n || f.right[k]! >= n) bad(`node ${k} is malformed`)
  }
  return f
}
