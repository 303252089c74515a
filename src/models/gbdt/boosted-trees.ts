import { invalidParameter } from '../../core/errors.js'
import type { ShapTree } from '../../evaluation/explain/shap-tree.js'
import { nextUp } from './binning.js'
import type { GrownTree } from './tree-grower.js'

/**
 * Boosted trees compiled to flat typed arrays, all trees in one set. Node k sends a row left when
 * x[feature[k]] < threshold[k] (XGBoost's rule, shared with ShapTree), right otherwise, and NaN left when
 * missingLeft[k] is 1; a leaf has feature −1 and its (learning-rate-scaled) margin in value[k]. Tree t adds to
 * output t % nOut; the margin of output c is base[c] plus its trees' leaves.
 * Categorical features (when `categories` is set) are scored as codes (see CategoryMap in training-input.ts:
 * code i = categories[f][i], code categories[f].length = "other"/unseen, NaN = missing); a node with
 * catStart[k] ≥ 0 sends code c left when catMask[catStart[k] + c] is 1 (never for "other"), NaN by missingLeft.
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
  /** Per feature: a categorical feature's kept categories (code order), null for numeric; absent when none. */
  categories?: Array<string[] | null>
  /** Per node: where its code mask starts in catMask (width categories[f].length + 1), −1 for threshold splits. */
  catStart?: Int32Array
  catMask?: Uint8Array
}

/** Concatenates grown trees, turning bin thresholds into raw values (bins ≤ b ⇔ x < nextUp(edge b)). */
export function compileTrees(
  trees: readonly GrownTree[], edges: readonly Float64Array[], nOut: number, base: Float64Array, cats?: ReadonlyArray<{ categories: string[] } | null>,
): BoostedTrees {
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
  const categorical = cats !== undefined && cats.some((c) => c !== null)
  const catMask: number[] = []
  if (categorical) {
    out.categories = cats.map((c) => (c === null ? null : [...c.categories]))
    out.catStart = new Int32Array(total).fill(-1)
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
      const mask = t.cats[k]
      if (mask != null && out.catStart !== undefined) {
        // Value bins are codes 0..k ("other" last); the mask's final entry (the missing bin) is missingLeft.
        out.catStart[at] = catMask.length
        for (let c = 0; c < mask.length - 1; c++) catMask.push(mask[c]!)
        out.threshold[at] = Number.NaN
        out.left[at] = offset + t.left[k]!
        out.right[at] = offset + t.right[k]!
        out.missingLeft[at] = t.missingLeft[k]!
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
  if (categorical) out.catMask = Uint8Array.from(catMask)
  return out
}

/** Adds every tree's leaf to margins (rows × nOut, row-major), tree-outer so one tree's nodes stay in cache. */
export function addMargins(model: BoostedTrees, columns: readonly Float64Array[], rows: number, margins: Float64Array): void {
  const { roots, feature, threshold, left, right, missingLeft, value, nOut, catStart, catMask } = model
  if (catStart !== undefined && catMask !== undefined) {
    addMarginsCategorical(model, catStart, catMask, columns, rows, margins)
    return
  }
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

/** addMargins for models with categorical splits (kept apart so numeric-only scoring pays no extra test). */
function addMarginsCategorical(model: BoostedTrees, catStart: Int32Array, catMask: Uint8Array, columns: readonly Float64Array[], rows: number, margins: Float64Array): void {
  const { roots, feature, threshold, left, right, missingLeft, value, nOut } = model
  for (let t = 0; t < roots.length; t++) {
    const root = roots[t]!
    const c = t % nOut
    for (let i = 0; i < rows; i++) {
      let k = root
      let f = feature[k]!
      while (f >= 0) {
        const x = columns[f]![i]!
        const cs = catStart[k]!
        if (Number.isNaN(x)) k = missingLeft[k] === 1 ? left[k]! : right[k]!
        else if (cs >= 0) k = catMask[cs + x] === 1 ? left[k]! : right[k]!
        else k = x < threshold[k]! ? left[k]! : right[k]!
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
    const tree: ShapTree = {
      feature: model.feature.slice(s, e),
      threshold: model.threshold.slice(s, e),
      left: shift(model.left),
      right: shift(model.right),
      missingGoesLeft: model.missingLeft.slice(s, e),
      value: model.value.slice(s, e),
      cover: model.cover.slice(s, e),
    }
    // Categorical nodes keep their masks (shared, not copied): the input is the feature's code.
    if (model.catStart !== undefined && model.catMask !== undefined) {
      tree.catStart = model.catStart.slice(s, e)
      tree.catMask = model.catMask
    }
    out.push(tree)
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
    ...(m.categories !== undefined && m.catStart !== undefined && m.catMask !== undefined
      ? { categories: m.categories, catStart: Array.from(m.catStart), catMask: Array.from(m.catMask) }
      : {}),
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
  if (r['categories'] !== undefined) categoricalFromJson(r, m, nFeatures, bad)
  return m
}

/** Reads and checks the categorical part: one dictionary (or null) per feature, masks inside catMask. */
function categoricalFromJson(r: Record<string, unknown>, m: BoostedTrees, nFeatures: number, bad: (what: string) => never): void {
  const cats = r['categories']
  if (!Array.isArray(cats) || cats.length !== nFeatures) bad(`'categories' must hold one entry per feature (${nFeatures})`)
  const categories = (cats as unknown[]).map((c, f) => {
    if (c === null) return null
    if (!Array.isArray(c) || !c.every((x) => typeof x === 'string')) return bad(`'categories' entry ${f} is not null or a list of strings`)
    return [...(c as string[])]
  })
  const start = r['catStart']
  const mask = r['catMask']
  if (!Array.isArray(start) || !start.every((x) => Number.isInteger(x))) return bad("'catStart' is not an array of integers")
  if (!Array.isArray(mask) || !mask.every((x) => x === 0 || x === 1)) return bad("'catMask' is not an array of 0/1")
  const catStart = Int32Array.from(start as number[])
  const catMask = Uint8Array.from(mask as number[])
  if (catStart.length !== m.feature.length) bad("'catStart' has the wrong length")
  for (let k = 0; k < catStart.length; k++) {
    const f = m.feature[k]!
    const dict = f >= 0 ? categories[f] : null
    if (catStart[k]! < 0) {
      if (dict != null) bad(`node ${k} splits categorical feature ${f} by a threshold`)
      continue
    }
    if (dict == null || catStart[k]! + dict.length + 1 > catMask.length) bad(`node ${k}'s category mask is out of range`)
  }
  m.categories = categories
  m.catStart = catStart
  m.catMask = catMask
}
