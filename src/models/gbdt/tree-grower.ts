import type { BinnedFeatures } from './binning.js'
import { accumulateRange, accumulateRows, slotMatrix } from './histogram.js'
import type { HistogramPool } from './histogram-pool.js'
import { CategoricalSplitFinder } from './categorical-split.js'

/** Growth limits and penalties, already validated. */
export interface GrowOptions {
  maxLeaves: number
  maxDepth: number | null
  minChildWeight: number
  minSamplesLeaf: number
  minSplitGain: number
  lambda: number
  alpha: number
  learningRate: number
  /** Categorical features (see GbdtParams): one-vs-rest below this many rankable categories. Default 4. */
  maxCatToOnehot?: number
  /** Rows a category needs at a node to be ranked. Default 10. */
  minDataPerCategory?: number
  /** Hessian smoothing when ranking categories. Default 10. */
  catSmooth?: number
}

/**
 * One grown tree over bins. Node k splits on `feature[k]` sending bins ≤ `bin[k]` left (and the missing bin
 * left when `missingLeft[k]` is 1), or is a leaf (feature −1) with `value[k]` (already scaled by the learning
 * rate). `cover[k]` is the hessian sum that reached the node.
 */
export interface GrownTree {
  nodeCount: number
  feature: Int32Array
  bin: Int32Array
  missingLeft: Uint8Array
  left: Int32Array
  right: Int32Array
  value: Float64Array
  cover: Float64Array
  /**
   * Per node: null for a threshold split, else (a categorical split) a mask over the feature's bins, missing bin
   * included: bin b goes left when cats[k][b] is 1.
   */
  cats: Array<Uint8Array | null>
}

/** Replaces a leaf's Newton value (e.g. by a median of residuals for absolute error); rows are rowIdx[start, end). */
export type LeafValue = (rowIdx: Int32Array, start: number, end: number, newtonValue: number) => number

/**
 * Leaf-wise (best-first) histogram tree growth. Histograms are flat Float64Arrays of [gradient, hessian] per
 * bin (all features' bins laid end to end) plus a row count per bin; only the smaller child's histogram is
 * built from rows, the larger one is its parent's minus the smaller's. Buffers are allocated once per fit and
 * reused by every tree.
 */
export class TreeGrower {
  private readonly offset: Int32Array
  readonly totalBins: number
  private readonly pool: Float64Array[] = []
  private readonly countPool: Float64Array[] = []
  private readonly free: number[] = []
  // Per leaf (indexed by node id) while growing.
  private readonly start: Int32Array
  private readonly end: Int32Array
  private readonly depth: Int32Array
  private readonly histOf: Int32Array
  private readonly sumG: Float64Array
  private readonly sumH: Float64Array
  private readonly bestGain: Float64Array
  private readonly bestFeature: Int32Array
  private readonly bestBin: Int32Array
  private readonly bestMissingLeft: Uint8Array
  /** Gradient and hessian sums of the best split's left child, read off the histogram. */
  private readonly bestGL: Float64Array
  private readonly bestHL: Float64Array
  private readonly maxNodes: number
  private readonly partitionScratch: Int32Array
  private readonly needCounts: boolean
  /** Bin matrix resolved to histogram positions (see histogram.ts); built once per fit. */
  readonly slots: Uint16Array
  /** Histograms of large leaves are built on worker threads when set. */
  workers: HistogramPool | null = null
  private readonly spare: Float64Array
  /** The bin matrix column-major (byCol[f * rows + row]): a split reads one feature of ascending rows. */
  private readonly byCol: Uint8Array
  /** The best categorical split's left mask per node (256 bytes each: bins incl. missing fit a byte). */
  private readonly bestCatMask: Uint8Array
  // Scratch for ranking a node's categories.
  private readonly categorical: CategoricalSplitFinder

  constructor(
    private readonly data: BinnedFeatures,
    private readonly options: GrowOptions,
    /** Allocate the slot matrix in shared memory, for a HistogramPool. */
    shared = false,
  ) {
    const nF = data.nFeatures
    this.offset = new Int32Array(nF + 1)
    for (let f = 0; f < nF; f++) this.offset[f + 1] = this.offset[f]! + data.numValueBins[f]! + 1
    this.totalBins = this.offset[nF]!
    this.maxNodes = 2 * options.maxLeaves - 1
    this.partitionScratch = new Int32Array(data.rows)
    this.needCounts = options.minSamplesLeaf > 1
    this.categorical = new CategoricalSplitFinder(options, (g, h) => this.score(g, h))
    this.slots = slotMatrix(data.bins, nF, this.offset, shared)
    this.spare = new Float64Array(this.totalBins * 2)
    this.byCol = new Uint8Array(data.bins.length)
    for (let r = 0, q = 0; r < data.rows; r++) for (let f = 0; f < nF; f++) this.byCol[f * data.rows + r] = data.bins[q++]!
    const m = this.maxNodes
    this.start = new Int32Array(m)
    this.end = new Int32Array(m)
    this.depth = new Int32Array(m)
    this.histOf = new Int32Array(m)
    this.sumG = new Float64Array(m)
    this.sumH = new Float64Array(m)
    this.bestGain = new Float64Array(m)
    this.bestFeature = new Int32Array(m)
    this.bestBin = new Int32Array(m)
    this.bestMissingLeft = new Uint8Array(m)
    this.bestGL = new Float64Array(m)
    this.bestHL = new Float64Array(m)
    this.bestCatMask = new Uint8Array(data.categorical.includes(1) ? m * 256 : 0)
    // A histogram lives per open leaf, plus one while a split is in flight.
    for (let i = 0; i <= options.maxLeaves; i++) {
      this.pool.push(new Float64Array(this.totalBins * 2))
      this.countPool.push(new Float64Array(this.totalBins))
      this.free.push(i)
    }
  }

  /**
   * Grows one tree on rows rowIdx[0, nRows) with interleaved gradients gh[2r], hessians gh[2r + 1], over the
   * features in `active`. Reorders rowIdx so every leaf's rows are contiguous; `leafRows` receives, per node,
   * that range (start, end) for leaves so the caller can update predictions without walking the tree.
   */
  grow(gh: Float64Array, rowIdx: Int32Array, nRows: number, active: Int32Array, leafValue: LeafValue | null): GrownTree & { start: Int32Array; end: Int32Array } {
    const o = this.options
    const m = this.maxNodes
    const tree = {
      nodeCount: 1,
      feature: new Int32Array(m).fill(-1),
      bin: new Int32Array(m),
      missingLeft: new Uint8Array(m),
      left: new Int32Array(m).fill(-1),
      right: new Int32Array(m).fill(-1),
      value: new Float64Array(m),
      cover: new Float64Array(m),
      cats: new Array<Uint8Array | null>(m).fill(null),
    }
    // Every row in play: restart from ascending order (the last tree left rows grouped by its leaves), so every
    // leaf's rows stay ascending and histograms read the bin matrix forwards.
    const allRows = nRows === this.data.rows
    if (allRows) for (let i = 0; i < nRows; i++) rowIdx[i] = i
    this.start[0] = 0
    this.end[0] = nRows
    this.depth[0] = 0
    const rootHist = this.free.pop()!
    this.histOf[0] = rootHist
    this.buildHistogram(gh, rowIdx, 0, nRows, active, rootHist)
    let g = 0
    let h = 0
    for (let p = 0; p < nRows; p++) {
      const r = rowIdx[p]!
      g += gh[2 * r]!
      h += gh[2 * r + 1]!
    }
    this.sumG[0] = g
    this.sumH[0] = h
    this.findBestSplit(0, active)
    let leaves = 1
    const open: number[] = [0]
    while (leaves < o.maxLeaves) {
      let pick = -1
      let best = 0
      for (let j = 0; j < open.length; j++) {
        const leaf = open[j]!
        if (this.bestGain[leaf]! > best) {
          best = this.bestGain[leaf]!
          pick = j
        }
      }
      if (pick < 0) break
      const node = open[pick]!
      open[pick] = open[open.length - 1]!
      open.pop()
      const [l, r] = this.split(tree, node, gh, rowIdx, active)
      leaves++
      open.push(l, r)
    }
    // Finish: leaf values, release histograms.
    for (let k = 0; k < tree.nodeCount; k++) {
      tree.cover[k] = this.sumH[k]!
      if (tree.feature[k]! >= 0) continue
      this.free.push(this.histOf[k]!)
      this.histOf[k] = -1
      const newton = -o.learningRate * this.leafWeight(this.sumG[k]!, this.sumH[k]!)
      tree.value[k] = leafValue === null ? newton : leafValue(rowIdx, this.start[k]!, this.end[k]!, newton)
    }
    return { ...tree, start: this.start, end: this.end }
  }

  private leafWeight(g: number, h: number): number {
    const a = this.options.alpha
    const t = g > a ? g - a : g < -a ? g + a : 0
    return t / (h + this.options.lambda)
  }

  private score(g: number, h: number): number {
    const a = this.options.alpha
    const t = g > a ? g - a : g < -a ? g + a : 0
    return (t * t) / (h + this.options.lambda)
  }

  private split(tree: GrownTree, node: number, gh: Float64Array, rowIdx: Int32Array, active: Int32Array): [number, number] {
    const f = this.bestFeature[node]!
    const t = this.bestBin[node]!
    const missLeft = this.bestMissingLeft[node]!
    const nF = this.data.nFeatures
    const bins = this.data.bins
    const missingBin = this.data.numValueBins[f]!
    // Stable partition (left rows first, right rows through a scratch buffer): rows stay ascending within a
    // leaf, so histogram building reads the bin matrix forwards.
    const s = this.start[node]!
    const e = this.end[node]!
    const scratch = this.partitionScratch
    // Branch-free: the row is written to both sides and only the side it belongs to advances (the branch would
    // be mispredicted about half the time).
    let mid = s
    let nr = 0
    const col = this.byCol.subarray(f * this.data.rows, (f + 1) * this.data.rows)
    const catMask = this.data.categorical[f] === 1 ? this.bestCatMask.slice(node * 256, node * 256 + missingBin + 1) : null
    if (catMask !== null) {
      tree.cats[node] = catMask
      for (let p = s; p < e; p++) {
        const row = rowIdx[p]!
        const goLeft = catMask[col[row]!]!
        rowIdx[mid] = row
        scratch[nr] = row
        mid += goLeft
        nr += 1 - goLeft
      }
    }
    for (let p = catMask === null ? s : e; p < e; p++) {
      const row = rowIdx[p]!
      const b = col[row]!
      const goLeft = b === missingBin ? missLeft : b <= t ? 1 : 0
      rowIdx[mid] = row
      scratch[nr] = row
      mid += goLeft
      nr += 1 - goLeft
    }
    const gl = this.bestGL[node]!
    const hl = this.bestHL[node]!
    rowIdx.set(scratch.subarray(0, nr), mid)
    const l = tree.nodeCount
    const r = l + 1
    tree.nodeCount += 2
    tree.feature[node] = f
    tree.bin[node] = t
    tree.missingLeft[node] = missLeft
    tree.left[node] = l
    tree.right[node] = r
    this.start[l] = s
    this.end[l] = mid
    this.start[r] = mid
    this.end[r] = e
    this.depth[l] = this.depth[r] = this.depth[node]! + 1
    this.sumG[l] = gl
    this.sumH[l] = hl
    this.sumG[r] = this.sumG[node]! - gl
    this.sumH[r] = this.sumH[node]! - hl
    // Build the smaller child from rows; the larger one takes the parent's buffer minus the smaller's.
    const parentHist = this.histOf[node]!
    const small = mid - s <= e - mid ? l : r
    const large = small === l ? r : l
    const smallHist = this.free.pop()!
    this.buildHistogram(gh, rowIdx, this.start[small]!, this.end[small]!, active, smallHist)
    const ph = this.pool[parentHist]!
    const sh = this.pool[smallHist]!
    const pc = this.countPool[parentHist]!
    const sc = this.countPool[smallHist]!
    for (let a = 0; a < active.length; a++) {
      const feat = active[a]!
      for (let slot = this.offset[feat]!; slot < this.offset[feat + 1]!; slot++) {
        ph[2 * slot] = ph[2 * slot]! - sh[2 * slot]!
        ph[2 * slot + 1] = ph[2 * slot + 1]! - sh[2 * slot + 1]!
        pc[slot] = pc[slot]! - sc[slot]!
      }
    }
    this.histOf[small] = smallHist
    this.histOf[large] = parentHist
    this.histOf[node] = -1
    this.findBestSplit(l, active)
    this.findBestSplit(r, active)
    return [l, r]
  }

  private buildHistogram(gh: Float64Array, rowIdx: Int32Array, s: number, e: number, active: Int32Array, slotIndex: number): void {
    const hist = this.pool[slotIndex]!
    const count = this.countPool[slotIndex]!
    hist.fill(0)
    if (this.needCounts) count.fill(0)
    const nF = this.data.nFeatures
    const bins = this.data.bins
    const off = this.offset
    if (!this.needCounts && active.length === nF) {
      // minSamplesLeaf = 1: row counts are never consulted, so skip a third of the histogram stores.
      const range = e - s === this.data.rows
      const pool = this.workers
      // The pool decides between worker threads and the calling thread, and may build from quantised gradients.
      if (pool !== null) pool.build(s, e, !range, hist, this.spare)
      else if (range) accumulateRange(this.slots, nF, gh, 0, e - s, hist, this.spare)
      else accumulateRows(this.slots, nF, gh, rowIdx, s, e, hist, this.spare)
      return
    }
    if (active.length === nF) {
      for (let p = s; p < e; p++) {
        const r = rowIdx[p]!
        const g = gh[2 * r]!
        const h = gh[2 * r + 1]!
        const base = r * nF
        for (let f = 0; f < nF; f++) {
          const slot = off[f]! + bins[base + f]!
          hist[2 * slot]! += g
          hist[2 * slot + 1]! += h
          count[slot]!++
        }
      }
      return
    }
    const nA = active.length
    for (let p = s; p < e; p++) {
      const r = rowIdx[p]!
      const g = gh[2 * r]!
      const h = gh[2 * r + 1]!
      const base = r * nF
      for (let a = 0; a < nA; a++) {
        const f = active[a]!
        const slot = off[f]! + bins[base + f]!
        hist[2 * slot]! += g
        hist[2 * slot + 1]! += h
        if (this.needCounts) count[slot]!++
      }
    }
  }

  /** Best split of a leaf over the active features, trying missing values on both sides. Gain as XGBoost's (½ Δloss). */
  private findBestSplit(node: number, active: Int32Array): void {
    const o = this.options
    this.bestGain[node] = 0
    this.bestFeature[node] = -1
    const n = this.end[node]! - this.start[node]!
    if ((o.maxDepth !== null && this.depth[node]! >= o.maxDepth) || n < 2 * o.minSamplesLeaf) return
    const hist = this.pool[this.histOf[node]!]!
    const count = this.countPool[this.histOf[node]!]!
    const G = this.sumG[node]!
    const H = this.sumH[node]!
    const parentScore = this.score(G, H)
    const minLeaf = o.minSamplesLeaf
    // Without counts (minSamplesLeaf = 1) a child is non-empty when its hessian is positive.
    const minH = this.needCounts ? o.minChildWeight : Math.max(o.minChildWeight, 1e-300)
    let bestGain = o.minSplitGain
    let bestF = -1
    let bestB = 0
    let bestML = 0
    let bestGL = 0
    let bestHL = 0
    for (let a = 0; a < active.length; a++) {
      const f = active[a]!
      if (this.data.categorical[f] === 1) {
        const slot = this.histOf[node]!
        const cat = this.categorical
        if (cat.find(this.pool[slot]!, this.needCounts ? this.countPool[slot]! : null, this.offset[f]!, this.data.numValueBins[f]!, n, G, H, parentScore, minH, bestGain, this.bestCatMask, node * 256)) {
          bestGain = cat.gain
          bestF = f
          bestB = -1
          bestML = cat.missingLeft
          bestGL = cat.gl
          bestHL = cat.hl
        }
        continue
      }
      const off = this.offset[f]!
      const nb = this.data.numValueBins[f]!
      const ms = off + nb
      const mg = hist[2 * ms]!
      const mh = hist[2 * ms + 1]!
      const mc = this.needCounts ? count[ms]! : mh > 0 ? 1 : 0
      let gl = 0
      let hl = 0
      let cl = 0
      for (let b = 0; b < nb; b++) {
        const slot = off + b
        gl += hist[2 * slot]!
        hl += hist[2 * slot + 1]!
        if (this.needCounts) cl += count[slot]!
        // Missing values to the right.
        let cr = this.needCounts ? n - cl : 1
        if ((cl >= minLeaf || !this.needCounts) && cr >= minLeaf && hl >= minH && H - hl >= minH) {
          const gain = 0.5 * (this.score(gl, hl) + this.score(G - gl, H - hl) - parentScore)
          if (gain > bestGain) {
            bestGain = gain
            bestF = f
            bestB = b
            // With no missing values here the direction is free: send missing rows to the heavier (hessian) side.
            bestML = mc === 0 && hl > H - hl ? 1 : 0
            bestGL = gl
            bestHL = hl
          }
        }
        if (mc === 0) continue
        // Missing values to the left.
        const gl2 = gl + mg
        const hl2 = hl + mh
        const cl2 = this.needCounts ? cl + mc : 1
        cr = this.needCounts ? n - cl2 : 1
        if (cl2 >= minLeaf && cr >= minLeaf && hl2 >= minH && H - hl2 >= minH) {
          const gain = 0.5 * (this.score(gl2, hl2) + this.score(G - gl2, H - hl2) - parentScore)
          if (gain > bestGain) {
            bestGain = gain
            bestF = f
            bestB = b
            bestML = 1
            bestGL = gl2
            bestHL = hl2
          }
        }
      }
    }
    if (bestF < 0) return
    this.bestGain[node] = bestGain
    this.bestFeature[node] = bestF
    this.bestBin[node] = bestB
    this.bestMissingLeft[node] = bestML
    this.bestGL[node] = bestGL
    this.bestHL[node] = bestHL
  }
}
