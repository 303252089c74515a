import { invalidParameter } from '../../core/errors.js'
import type { ShapTree } from '../../evaluation/explain/shap-tree.js'
import { nextUp } from './binning.js'
import type { GrownTree } from './tree-grower.js'

/**
 * Boosted trees compiled to flat typed arrays, all trees in one set. Node k sends a row left when
 * x[feature[k]] < threshold[k] (XGBoost's rule, shared with ShapTree), right otherwise, and NaN left when
 * missingLeft[k] is 1; a leaf has feature −1 and its (learning-rate-scaled) margin in value[k]. Tree t adds to
 * output t % nOut; the margin of output c is base[c] plus its trees' leaves.
 */
export interface BoostedTrees {
  nOut: number
  base: Float64Array
  roots: Int32Array
  feature: Int32Array
  threshold: Float64Array
  left: Int32Array
  right: Int32Array
  missingLeft: Uint8Array
  value: Float64Array
  cover: Float64Array
}

/** Concatenates grown trees, turning bin thresholds into raw values (bins ≤ b ⇔ x < nextUp(edge b)). */
export function compileTrees(trees: readonly GrownTree[], edges: readonly Float64Array[], nOut: number, base: Float64Array): BoostedTrees {
  let total = 0
  for (const t of trees) total += t.nodeCount
  const out: BoostedTrees = {
    nOut,
    base: Float64Array.from(base),
    roots: new Int32Array(trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    right: new Int32Array(total),
    missingLeft: new Uint8Array(total),
    value: new Float64Array(total),
    cover: new Float64Array(total),
  }
  let offset = 0
  trees.forEach((t, ti) => {
    out.roots[ti] = offset
    for (let k = 0; k < t.nodeCount; k++) {
      const at = offset + k
      const f = t.feature[k]!
      out.feature[at] = f
      out.value[at] = t.value[k]!
      out.cover[at] = t.cover[k]!
      if (f < 0) {
        out.left[at] = -1
        out.right[at] = -1
        continue
      }
      const e = edges[f]!
      // The last value bin on the left means every present value goes left.
      out.threshold[at] = t.bin[k]! >= e.length ? Number.POSITIVE_INFINITY : nextUp(e[t.bin[k]!]!)
      out.left[at] = offset + t.left[k]!
      out.right[at] = offset + t.right[k]!
      out.missingLeft[at] = t.missingLeft[k]!
    }
    offset += t.nodeCount
  })
  return out
}

/** Adds every tree's leaf to margins (rows × nOut, row-major), tree-outer so one tree's nodes stay in cache. */
export function addMargins(model: BoostedTrees, columns: readonly Float64Array[], rows: number, margins: Float64Array): void {
  const { roots, feature, threshold, left, right, missingLeft, value, nOut } = model
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!
    const c = t % nOut
    for (let i = 0; i < rows; i++) {
      let k = root
      let f = feature[k]!
      while (f >= 0) {
        const x = columns[f]![i]!
        k = x < threshold[k]! ? left[k]! : x >= threshold[k]! ? right[k]! : missingLeft[k] === 1 ? left[k]! : right[k]!
        f = feature[k]!
      }
      margins[i * nOut + c]! += value[k]!
    }
  }
}

/** One tree per entry in ShapTree form (node ids local to the tree) for TreeSHAP. */
export function toShapTrees(model: BoostedTrees): ShapTree[] {
  const out: ShapTree[] = []
  for (let t = 0; t < model.roots.length; t++) {
    const s = model.roots[t]!
    const e = t + 1 < model.roots.length ? model.roots[t + 1]! : model.feature.length
    const shift = (a: Int32Array): Int32Array => a.slice(s, e).map((v) => (v < 0 ? -1 : v - s))
    out.push({
      feature: model.feature.slice(s, e),
      threshold: model.threshold.slice(s, e),
      left: shift(model.left),
      right: shift(model.right),
      missingGoesLeft: model.missingLeft.slice(s, e),
      value: model.value.slice(s, e),
      cover: model.cover.slice(s, e),
    })
  }
  return out
}

/** JSON form: Infinity thresholds are written as null (JSON has no Infinity). */
export function treesToJson(m: BoostedTrees): Record<string, unknown> {
  return {
    nOut: m.nOut,
    base: Array.from(m.base),
    roots: Array.from(m.roots),
    feature: Array.from(m.feature),
    threshold: Array.from(m.threshold, (v) => (Number.isFinite(v) ? v : null)),
    left: Array.from(m.left),
    right: Array.from(m.right),
    missingLeft: Array.from(m.missingLeft),
    value: Array.from(m.value),
    cover: Array.from(m.cover),
  }
}

/** Rebuilds from JSON, checking every index so a corrupt file cannot make scoring loop or read out of range. */
export function treesFromJson(raw: unknown, nFeatures: number, nOut: number): BoostedTrees {
  const bad = (what: string): never => {
    throw invalidParameter(`Saved gbdt model is corrupt: ${what}. Re-save the model.`)
  }
  if (typeof raw !== 'object' || raw === null) return bad('state.trees is not an object')
  const r = raw as Record<string, unknown>
  const nums = (key: string, allowNull = false): number[] => {
    const v = r[key]
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' || (allowNull && x === null))) return bad(`'${key}' is not an array of numbers`)
    return (v as Array<number | null>).map((x) => (x === null ? Number.POSITIVE_INFINITY : x))
  }
  if (r['nOut'] !== nOut) bad(`'nOut' is ${JSON.stringify(r['nOut'])}, expected ${nOut}`)
  const m: BoostedTrees = {
    nOut,
    base: Float64Array.from(nums('base')),
    roots: Int32Array.from(nums('roots')),
    feature: Int32Array.from(nums('feature')),
    threshold: Float64Array.from(nums('threshold', true)),
    left: Int32Array.from(nums('left')),
    right: Int32Array.from(nums('right')),
    missingLeft: Uint8Array.from(nums('missingLeft')),
    value: Float64Array.from(nums('value')),
    cover: Float64Array.from(nums('cover')),
  }
  const n = m.feature.length
  if (m.base.length !== nOut) bad('base has the wrong length')
  if ([m.threshold, m.left, m.right, m.missingLeft, m.value, m.cover].some((a) => a.length !== n)) bad('array lengths differ')
  if (m.roots.length === 0 || m.roots.length % nOut !== 0) bad('the tree count is not a multiple of the outputs')
  for (let t = 0; t < m.roots.length; t++) {
    if (m.roots[t]! < 0 || m.roots[t]! >= n || (t > 0 && m.roots[t]! <= m.roots[t - 1]!)) bad('a root is out of range')
  }
  for (let k = 0; k < n; k++) {
    const f = m.feature[k]!
    if (f === -1) continue
    // Children come after their parent, which also rules out cycles.
    if (f < 0 || f >= nFeatures || m.left[k]! <= k || m.right[k]! <= k || m.left[k]! >= n || m.right[k]! >= n) bad(`node ${k} is malformed`)
  }
  return m
}
