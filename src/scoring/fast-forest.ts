/** Deeper trees would make the complete layout (2^depth leaves per tree) too large; those use their predictor. */
export const MAX_FAST_DEPTH = 12
/** Rows per pass over the trees: their inputs stay in L1 while each tree's nodes are reused. */
const BLOCK = 128

/** One tree, XGBoost's rule: `x < threshold` → left, `x >= threshold` → right, NaN → `missingGoesLeft`. */
export interface FastTreeSource {
  readonly feature: Int32Array
  readonly threshold: ArrayLike<number>
  readonly left: Int32Array
  readonly right: Int32Array
  readonly missingGoesLeft: Uint8Array
  readonly value: ArrayLike<number>
}

export interface FastForestSource {
  readonly trees: readonly FastTreeSource[]
  /** Output (group) each tree adds to. */
  readonly treeGroup: Int32Array
  readonly groups: number
  /** Starting margin per group. */
  readonly base: ArrayLike<number>
  /**
   * XGBoost's arithmetic: inputs and thresholds rounded to float32, leaves summed in float32 (`Math.fround`)
   * in tree order. Otherwise (keel's gbdt) float64 comparisons and float64 sums, in tree order.
   */
  readonly float32: boolean
}

/** Input columns of a row range: float64 (a Frame's) or float32 (shared with workers). */
export type FastColumns = readonly Float64Array[] | readonly Float32Array[]

/**
 * Trees compiled for batch scoring. Every tree is padded to a complete binary tree of the forest's depth, so a
 * row descends `depth` levels with `k = 2k + 1 + right` and no data-dependent branch (random splits would
 * otherwise cost a mispredicted branch each). Padding nodes have a NaN threshold (never `>=`) and default
 * left, and the leaves under a padded leaf repeat its value. Rows of a block are copied row-major and descend
 * eight at a time. Measured (bench/predict/kernels.ts): float32 inputs/thresholds and feature+threshold
 * interleaved were no faster than float64 values (V8 converts each float32 load), so XGBoost's float32
 * values are held as float64, which compares identically.
 */
export class FastForest {
  private readonly inner: number
  private readonly leaves: number
  private readonly nodes: Int32Array
  private readonly thr64: Float64Array
  private readonly defaultRight: Uint8Array
  private readonly leaf: Float64Array
  private readonly treeGroup: Int32Array
  private readonly base: Float64Array
  private readonly xb64: Float64Array
  private readonly pos = new Int32Array(BLOCK)

  private constructor(
    readonly nFeatures: number,
    readonly groups: number,
    readonly depth: number,
    readonly float32: boolean,
    source: FastForestSource,
  ) {
    const trees = source.trees
    const inner = (1 << depth) - 1
    const leaves = 1 << depth
    this.inner = inner
    this.leaves = leaves
    this.nodes = new Int32Array(trees.length * inner)
    this.thr64 = new Float64Array(trees.length * inner).fill(Number.NaN)
    this.defaultRight = new Uint8Array(trees.length * inner)
    // float32 leaves are exact in a Float64Array; the sum rounds with Math.fround as XGBoost does.
    this.leaf = new Float64Array(trees.length * leaves)
    this.treeGroup = Int32Array.from(source.treeGroup)
    this.base = Float64Array.from(source.base)
    this.xb64 = new Float64Array(BLOCK * nFeatures)
    trees.forEach((t, ti) => {
      const fill = (node: number, slot: number, level: number): void => {
        if (t.feature[node]! < 0) {
          const width = 1 << (depth - level)
          const first = ti * leaves + leftmostLeaf(slot, depth - level, inner)
          const v = float32 ? Math.fround(t.value[node]!) : t.value[node]!
          this.leaf.fill(v, first, first + width)
          return
        }
        const at = ti * inner + slot
        this.nodes[at] = t.feature[node]!
        this.thr64[at] = float32 ? Math.fround(t.threshold[node]!) : t.threshold[node]!
        this.defaultRight[at] = t.missingGoesLeft[node] === 1 ? 0 : 1
        fill(t.left[node]!, 2 * slot + 1, level + 1)
        fill(t.right[node]!, 2 * slot + 2, level + 1)
      }
      fill(0, 0, 0)
    })
  }

  /** Undefined when a tree is deeper than {@link MAX_FAST_DEPTH} or a feature index is out of range. */
  static compile(source: FastForestSource, nFeatures: number): FastForest | undefined {
    let depth = 0
    for (const t of source.trees) {
      for (let k = 0; k < t.feature.length; k++) if (t.feature[k]! >= nFeatures) return undefined
      depth = Math.max(depth, treeDepth(t, 0, 0))
      if (depth > MAX_FAST_DEPTH) return undefined
    }
    if (source.treeGroup.length !== source.trees.length) return undefined
    return new FastForest(nFeatures, source.groups, Math.max(depth, 1), source.float32, source)
  }

  /**
   * Adds the margins of rows [start, end) of `columns` into `out` (rows × groups, row-major, row `start` at
   * `outRow`), after setting each to the base. Scratch is per instance: one instance per thread.
   */
  margins(columns: FastColumns, start: number, end: number, out: Float64Array, outRow = start): void {
    const groups = this.groups
    for (let i = start; i < end; i++) for (let g = 0; g < groups; g++) out[(outRow + i - start) * groups + g] = this.base[g]!
    for (let b = start; b < end; b += BLOCK) {
      const rows = Math.min(BLOCK, end - b)
      const o = (outRow + b - start) * groups
      this.block(columns, b, rows, out, o)
    }
  }

  /** One row (`x` in feature order, NaN = missing) into `out` (groups); allocates nothing. */
  marginsRow(x: Float64Array, out: Float64Array): void {
    const { depth, inner, leaves, nodes, thr64, defaultRight, leaf, treeGroup, float32 } = this
    for (let g = 0; g < this.groups; g++) out[g] = this.base[g]!
    for (let t = 0; t < treeGroup.length; t++) {
      const nb = t * inner
      let k = 0
      for (let d = 0; d < depth; d++) {
        const at = nb + k
        const v = float32 ? Math.fround(x[nodes[at]!]!) : x[nodes[at]!]!
        k = 2 * k + 1 + (+(v >= thr64[at]!) | (+(v !== v) & defaultRight[at]!))
      }
      const g = treeGroup[t]!
      const v = out[g]! + leaf[t * leaves + k - inner]!
      out[g] = float32 ? Math.fround(v) : v
    }
  }

  private block(columns: FastColumns, from: number, rows: number, out: Float64Array, o: number): void {
    const nf = this.nFeatures
    const x = this.xb64
    let missing = false
    // float32 mode: inputs rounded as XGBoost's DMatrix does, held as float64 (no conversion per load).
    const round = this.float32
    for (let f = 0; f < nf; f++) {
      const col = columns[f]!
      for (let i = 0; i < rows; i++) {
        const v = round ? Math.fround(col[from + i]!) : col[from + i]!
        x[i * nf + f] = v
        if (v !== v) missing = true
      }
    }
    const { depth, inner, leaves, nodes, thr64, defaultRight, leaf, treeGroup, pos, groups } = this
    const trees = treeGroup.length
    for (let t = 0; t < trees; t++) {
      const nb = t * inner
      if (missing) {
        pos.fill(0, 0, rows)
        for (let d = 0; d < depth; d++) {
          for (let i = 0; i < rows; i++) {
            const a = nb + pos[i]!
            const v = x[i * nf + nodes[a]!]!
            pos[i] = 2 * pos[i]! + 1 + (+(v >= thr64[a]!) | (+(v !== v) & defaultRight[a]!))
          }
        }
      } else {
        let i = 0
        for (; i + 8 <= rows; i += 8) {
          const b0 = i * nf
          let k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0
          for (let d = 0; d < depth; d++) {
            const a0 = nb + k0, a1 = nb + k1, a2 = nb + k2, a3 = nb + k3
            const a4 = nb + k4, a5 = nb + k5, a6 = nb + k6, a7 = nb + k7
            k0 = 2 * k0 + 1 + +(x[b0 + nodes[a0]!]! >= thr64[a0]!)
            k1 = 2 * k1 + 1 + +(x[b0 + nf + nodes[a1]!]! >= thr64[a1]!)
            k2 = 2 * k2 + 1 + +(x[b0 + 2 * nf + nodes[a2]!]! >= thr64[a2]!)
            k3 = 2 * k3 + 1 + +(x[b0 + 3 * nf + nodes[a3]!]! >= thr64[a3]!)
            k4 = 2 * k4 + 1 + +(x[b0 + 4 * nf + nodes[a4]!]! >= thr64[a4]!)
            k5 = 2 * k5 + 1 + +(x[b0 + 5 * nf + nodes[a5]!]! >= thr64[a5]!)
            k6 = 2 * k6 + 1 + +(x[b0 + 6 * nf + nodes[a6]!]! >= thr64[a6]!)
            k7 = 2 * k7 + 1 + +(x[b0 + 7 * nf + nodes[a7]!]! >= thr64[a7]!)
          }
          pos[i] = k0
          pos[i + 1] = k1
          pos[i + 2] = k2
          pos[i + 3] = k3
          pos[i + 4] = k4
          pos[i + 5] = k5
          pos[i + 6] = k6
          pos[i + 7] = k7
        }
        for (; i < rows; i++) {
          let k = 0
          for (let d = 0; d < depth; d++) {
            const a = nb + k
            k = 2 * k + 1 + +(x[i * nf + nodes[a]!]! >= thr64[a]!)
          }
          pos[i] = k
        }
      }
      const lb = t * leaves - inner
      const g = treeGroup[t]!
      if (round) {
        for (let i = 0; i < rows; i++) {
          const at = o + i * groups + g
          out[at] = Math.fround(out[at]! + leaf[lb + pos[i]!]!)
        }
      } else {
        for (let i = 0; i < rows; i++) out[o + i * groups + g]! += leaf[lb + pos[i]!]!
      }
    }
  }
}

function treeDepth(t: FastTreeSource, node: number, level: number): number {
  if (t.feature[node]! < 0 || level > MAX_FAST_DEPTH) return 0
  return 1 + Math.max(treeDepth(t, t.left[node]!, level + 1), treeDepth(t, t.right[node]!, level + 1))
}

/** Index (among the bottom level's leaves) of the leftmost leaf under `slot`, `below` levels further down. */
function leftmostLeaf(slot: number, below: number, inner: number): number {
  let s = slot
  for (let i = 0; i < below; i++) s = 2 * s + 1
  return s - inner
}
