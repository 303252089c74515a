/** The scoring kernel before round two (4 rows together, float64 block), kept for bench/predict/kernels.ts only. */
import type { Frame, Row } from '../../src/core/frame.js'
import { invalidParameter } from '../../src/core/errors.js'
import type { XgboostPredictor } from '../../src/models/formats/xgboost.js'

/** Deeper trees would make the complete layout (2^depth leaves per tree) too large; those use the predictor. */
const MAX_DEPTH = 12
/** Rows per pass over the trees: their inputs stay in L1 while each tree's nodes are reused. */
const BLOCK = 128

/**
 * XGBoost margins with every tree padded to a complete binary tree of the forest's depth, so a row descends
 * `depth` levels with `i = 2i + 1 + right` and no data-dependent branch: random splits no longer cost a
 * mispredicted branch each. Padding nodes have a NaN threshold and go left, and the leaves under a padded leaf
 * repeat its value. Inputs are rounded to float32 and leaves summed in float32 in tree order, exactly as
 * `XgboostPredictor` (and XGBoost) do, so the margins are identical.
 */
export class XgboostFastMargins {
  private constructor(
    readonly features: readonly string[],
    private readonly groups: number,
    private readonly baseMargin: number,
    private readonly depth: number,
    private readonly treeGroup: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float64Array,
    private readonly defaultRight: Uint8Array,
    private readonly leaf: Float32Array,
  ) {}

  /** Undefined when the trees are too deep for the complete layout. */
  static compile(predictor: XgboostPredictor): XgboostFastMargins | undefined {
    const trees = predictor.trees()
    let depth = 0
    for (const t of trees) depth = Math.max(depth, treeDepth(t.feature, t.left, t.right, 0))
    if (depth > MAX_DEPTH) return undefined
    depth = Math.max(depth, 1)
    const inner = (1 << depth) - 1
    const leaves = 1 << depth
    const feature = new Int32Array(trees.length * inner)
    const threshold = new Float64Array(trees.length * inner).fill(Number.NaN)
    const defaultRight = new Uint8Array(trees.length * inner)
    const leaf = new Float32Array(trees.length * leaves)
    trees.forEach((t, ti) => {
      const fill = (node: number, slot: number, level: number): void => {
        if (t.feature[node]! < 0) {
          // A leaf above the bottom: its padded subtree always goes left, so give every leaf under it its value.
          const width = 1 << (depth - level)
          const first = ti * leaves + leftmostLeaf(slot, depth - level, inner)
          leaf.fill(t.value[node]!, first, first + width)
          return
        }
        const at = ti * inner + slot
        feature[at] = t.feature[node]!
        threshold[at] = Math.fround(t.threshold[node]!)
        defaultRight[at] = t.missingGoesLeft[node] === 1 ? 0 : 1
        fill(t.left[node]!, 2 * slot + 1, level + 1)
        fill(t.right[node]!, 2 * slot + 2, level + 1)
      }
      fill(0, 0, 0)
    })
    return new XgboostFastMargins(predictor.features, predictor.model.groups, predictor.baseMargin, depth, Int32Array.from(predictor.treeGroups()), feature, threshold, defaultRight, leaf)
  }

  private rowInput: Float64Array | undefined
  private rowMargins: Float64Array | undefined

  /**
   * Margins of one JSON row into scratch reused by the next call (nothing allocated per row). Missing features
   * (null/undefined) are NaN, as in `XgboostPredictor.predictRow`.
   */
  marginsRow(row: Row): Float64Array {
    const names = this.features
    const x = (this.rowInput ??= new Float64Array(names.length))
    const m = (this.rowMargins ??= new Float64Array(this.groups))
    for (let f = 0; f < names.length; f++) {
      const v = row[names[f]!]
      if (typeof v === 'number') x[f] = Math.fround(v)
      else if (v === null || v === undefined) x[f] = Number.NaN
      else if (typeof v === 'boolean') x[f] = v ? 1 : 0
      else throw invalidParameter(`Feature '${names[f]}' must be a number (or null when missing), got ${JSON.stringify(v)}.`)
    }
    m.fill(this.baseMargin)
    const { depth, treeGroup, feature, threshold, defaultRight, leaf } = this
    const inner = (1 << depth) - 1
    const leaves = 1 << depth
    for (let t = 0; t < treeGroup.length; t++) {
      const nodeBase = t * inner
      let k = 0
      for (let d = 0; d < depth; d++) {
        const at = nodeBase + k
        const v = x[feature[at]!]!
        k = 2 * k + 1 + (+(v >= threshold[at]!) | (+(v !== v) & defaultRight[at]!))
      }
      const g = treeGroup[t]!
      m[g] = Math.fround(m[g]! + leaf[t * leaves + k - inner]!)
    }
    return m
  }

  /** Raw margins, rows × groups row-major, for rows [start, end) of `frame`. */
  margins(frame: Frame, start = 0, end = frame.rows): Float64Array {
    const nf = this.features.length
    const columns: Float64Array[] = []
    for (const name of this.features) {
      if (!frame.has(name)) {
        const missing = this.features.filter((f) => !frame.has(f))
        throw invalidParameter(`The data lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} of the XGBoost model.`)
      }
      columns.push(frame.numeric(name))
    }
    const n = end - start
    const groups = this.groups
    const out = new Float64Array(n * groups).fill(this.baseMargin)
    // float32-rounded inputs held as float64: the comparisons XGBoost makes, without a conversion per load.
    const x = new Float64Array(BLOCK * nf)
    const pos = new Int32Array(BLOCK)
    const { depth, treeGroup, feature, threshold, defaultRight, leaf } = this
    const inner = (1 << depth) - 1
    const leaves = 1 << depth
    const trees = treeGroup.length
    for (let b = 0; b < n; b += BLOCK) {
      const rows = Math.min(BLOCK, n - b)
      let missing = false
      for (let f = 0; f < nf; f++) {
        const col = columns[f]!
        for (let i = 0; i < rows; i++) {
          const v = Math.fround(col[start + b + i]!)
          x[i * nf + f] = v
          if (v !== v) missing = true
        }
      }
      for (let t = 0; t < trees; t++) {
        const nodeBase = t * inner
        const leafBase = t * leaves
        const g = treeGroup[t]!
        // Level by level over the block: each row's step is independent of the others', so the CPU overlaps
        // the rows' load chains instead of waiting on one row's descent.
        if (missing) {
          pos.fill(0, 0, rows)
          for (let d = 0; d < depth; d++) {
            for (let i = 0; i < rows; i++) {
              const k = pos[i]!
              const at = nodeBase + k
              const v = x[i * nf + feature[at]!]!
              // Right when v >= threshold, or when v is missing and the default is right; branch-free.
              pos[i] = 2 * k + 1 + (+(v >= threshold[at]!) | (+(v !== v) & defaultRight[at]!))
            }
          }
        } else {
          // No missing value in the block: four rows descend together, four independent load chains in
          // registers, so the CPU overlaps them.
          let i = 0
          for (; i + 4 <= rows; i += 4) {
            const b0 = i * nf
            const b1 = b0 + nf
            const b2 = b1 + nf
            const b3 = b2 + nf
            let k0 = 0
            let k1 = 0
            let k2 = 0
            let k3 = 0
            for (let d = 0; d < depth; d++) {
              const a0 = nodeBase + k0
              const a1 = nodeBase + k1
              const a2 = nodeBase + k2
              const a3 = nodeBase + k3
              k0 = 2 * k0 + 1 + +(x[b0 + feature[a0]!]! >= threshold[a0]!)
              k1 = 2 * k1 + 1 + +(x[b1 + feature[a1]!]! >= threshold[a1]!)
              k2 = 2 * k2 + 1 + +(x[b2 + feature[a2]!]! >= threshold[a2]!)
              k3 = 2 * k3 + 1 + +(x[b3 + feature[a3]!]! >= threshold[a3]!)
            }
            pos[i] = k0
            pos[i + 1] = k1
            pos[i + 2] = k2
            pos[i + 3] = k3
          }
          for (; i < rows; i++) {
            let k = 0
            for (let d = 0; d < depth; d++) {
              const at = nodeBase + k
              k = 2 * k + 1 + +(x[i * nf + feature[at]!]! >= threshold[at]!)
            }
            pos[i] = k
          }
        }
        for (let i = 0; i < rows; i++) {
          const o = (b + i) * groups + g
          out[o] = Math.fround(out[o]! + leaf[leafBase + pos[i]! - inner]!)
        }
      }
    }
    return out
  }
}

function treeDepth(feature: Int32Array, left: Int32Array, right: Int32Array, node: number): number {
  if (feature[node]! < 0) return 0
  return 1 + Math.max(treeDepth(feature, left, right, left[node]!), treeDepth(feature, left, right, right[node]!))
}

/** Index (among the bottom level's leaves) of the leftmost leaf under `slot`, `below` levels further down. */
function leftmostLeaf(slot: number, below: number, inner: number): number {
  let s = slot
  for (let i = 0; i < below; i++) s = 2 * s + 1
  return s - inner
}
