import type { Random } from '../../core/random.js'
import type { Criterion } from './params.js'
import type { TrainingData } from './training-data.js'

export interface BuildOptions {
  criterion: Criterion
  /** Depth limit; a very large number for none. */
  maxDepth: number
  minSamplesSplit: number
  minSamplesLeaf: number
  /** Features tried per split, already resolved to a count. */
  maxFeatures: number
  minImpurityDecrease: number
}

/** One grown tree; thresholds are still bin indices (the caller maps them to raw values). */
export interface TreeArrays {
  nodeCount: number
  /** -1 marks a leaf. */
  feature: Int32Array
  thresholdBin: Int32Array
  left: Int32Array
  right: Int32Array
  /** nodeCount × nOut: class probabilities or the mean target. */
  value: Float64Array
}

const EPSILON = 1e-12
const MAX_BINS = 256

/**
 * CART over pre-binned features: per node one pass over its rows fills a histogram of the sampled features
 * (class weights per bin, or weight and weighted target sum), a scan over the bins finds the best cut, and
 * the node's rows are partitioned in place. Scratch arrays are allocated once per builder and reused per tree.
 */
export class TreeBuilder {
  private readonly stats: number
  private readonly hist: Float64Array
  private readonly counts: Int32Array
  private readonly totals: Float64Array
  private readonly leftAcc: Float64Array
  private readonly featureOrder: Int32Array
  private capacity = 0
  private feature = new Int32Array(0)
  private thresholdBin = new Int32Array(0)
  private left = new Int32Array(0)
  private right = new Int32Array(0)
  private value = new Float64Array(0)
  private nodeCount = 0
  private bestProxy = -Infinity
  private bestFeature = -1
  private bestBin = -1

  constructor(
    private readonly data: TrainingData,
    private readonly options: BuildOptions,
  ) {
    const classification = options.criterion !== 'squared_error'
    this.stats = classification ? data.nOut : 2
    this.hist = new Float64Array(options.maxFeatures * MAX_BINS * this.stats)
    this.counts = new Int32Array(options.maxFeatures * MAX_BINS)
    this.totals = new Float64Array(this.stats)
    this.leftAcc = new Float64Array(this.stats)
    this.featureOrder = new Int32Array(data.nFeatures)
  }

  /** Grows one tree on `indices[0..count)` (reordered in place) with per-row `weight`. */
  build(indices: Int32Array, count: number, weight: Float64Array, random: Random): TreeArrays {
    this.nodeCount = 0
    this.ensureCapacity(64)
    for (let f = 0; f < this.data.nFeatures; f++) this.featureOrder[f] = f
    const stackStart: number[] = []
    const stackEnd: number[] = []
    const stackDepth: number[] = []
    const stackNode: number[] = []
    let rootWeight = 0
    for (let j = 0; j < count; j++) rootWeight += weight[indices[j]!]!
    stackStart.push(0)
    stackEnd.push(count)
    stackDepth.push(0)
    stackNode.push(this.newNode())
    // Every split adds two nodes and removes one entry, so the loop ends after at most 2·count iterations.
    while (stackNode.length > 0) {
      const node = stackNode.pop()!
      const start = stackStart.pop()!
      const end = stackEnd.pop()!
      const depth = stackDepth.pop()!
      const split = this.splitNode(node, indices, start, end, depth, weight, rootWeight, random)
      if (split < 0) continue
      const l = this.newNode()
      const r = this.newNode()
      this.left[node] = l
      this.right[node] = r
      stackNode.push(r, l)
      stackStart.push(split, start)
      stackEnd.push(end, split)
      stackDepth.push(depth + 1, depth + 1)
    }
    const n = this.nodeCount
    return {
      nodeCount: n,
      feature: this.feature.slice(0, n),
      thresholdBin: this.thresholdBin.slice(0, n),
      left: this.left.slice(0, n),
      right: this.right.slice(0, n),
      value: this.value.slice(0, n * this.data.nOut),
    }
  }

  private newNode(): number {
    if (this.nodeCount === this.capacity) this.ensureCapacity(this.capacity * 2)
    const id = this.nodeCount++
    this.feature[id] = -1
    this.left[id] = -1
    this.right[id] = -1
    return id
  }

  private ensureCapacity(capacity: number): void {
    if (capacity <= this.capacity) return
    const grow = <T extends Int32Array | Float64Array>(a: T, size: number, make: (n: number) => T): T => {
      const next = make(size)
      next.set(a.subarray(0, Math.min(a.length, size)))
      return next
    }
    this.feature = grow(this.feature, capacity, (n) => new Int32Array(n))
    this.thresholdBin = grow(this.thresholdBin, capacity, (n) => new Int32Array(n))
    this.left = grow(this.left, capacity, (n) => new Int32Array(n))
    this.right = grow(this.right, capacity, (n) => new Int32Array(n))
    this.value = grow(this.value, capacity * this.data.nOut, (n) => new Float64Array(n))
    this.capacity = capacity
  }

  /** Sets the node's value; splits it when allowed. Returns the partition point, or -1 for a leaf. */
  private splitNode(node: number, indices: Int32Array, start: number, end: number, depth: number, weight: Float64Array, rootWeight: number, random: Random): number {
    const { bins, y, nFeatures, nOut } = this.data
    const { criterion, minSamplesLeaf } = this.options
    const classification = criterion !== 'squared_error'
    const S = this.stats
    const totals = this.totals
    totals.fill(0)
    let sumSq = 0
    for (let j = start; j < end; j++) {
      const i = indices[j]!
      const w = weight[i]!
      if (classification) totals[y[i]! | 0]! += w
      else {
        const v = y[i]!
        totals[0]! += w
        totals[1]! += w * v
        sumSq += w * v * v
      }
    }
    let W = 0
    if (classification) for (let k = 0; k < S; k++) W += totals[k]!
    else W = totals[0]!
    const base = node * nOut
    if (classification) for (let k = 0; k < S; k++) this.value[base + k] = totals[k]! / W
    else this.value[base] = totals[1]! / W

    const nNode = end - start
    const parentProxy = proxyOf(criterion, totals, W)
    // Impurity × W: gini W − Σt²/W, entropy W·H, variance Σwy² − S²/W.
    const weightedImpurity = criterion === 'gini' ? W - parentProxy : criterion === 'entropy' ? -parentProxy : sumSq - parentProxy
    if (
      depth >= this.options.maxDepth ||
      nNode < this.options.minSamplesSplit ||
      nNode < 2 * minSamplesLeaf ||
      weightedImpurity <= EPSILON * W
    ) {
      return -1
    }

    // As scikit-learn: draw features without replacement until m non-constant ones (at this node) were
    // tried or none are left; a partial Fisher–Yates over featureOrder does the drawing.
    const m = this.options.maxFeatures
    const order = this.featureOrder
    this.bestProxy = -Infinity
    this.bestFeature = -1
    let drawn = 0
    let usable = 0
    while (usable < m && drawn < nFeatures) {
      const batch = Math.min(m - usable, nFeatures - drawn)
      if (m < nFeatures) {
        for (let s = drawn; s < drawn + batch; s++) {
          const r = s + random.int(nFeatures - s)
          const t = order[s]!
          order[s] = order[r]!
          order[r] = t
        }
      }
      usable += this.evaluateFeatures(drawn, batch, indices, start, end, weight)
      drawn += batch
    }
    const bestFeature = this.bestFeature
    const bestBin = this.bestBin
    const bestProxy = this.bestProxy
    if (bestFeature < 0) return -1
    const improvement = (bestProxy - parentProxy) / rootWeight
    if (improvement + EPSILON < this.options.minImpurityDecrease) return -1

    this.feature[node] = bestFeature
    this.thresholdBin[node] = bestBin
    let lo = start
    let hi = end - 1
    while (lo <= hi) {
      const i = indices[lo]!
      if (bins[i * nFeatures + bestFeature]! <= bestBin) lo++
      else {
        indices[lo] = indices[hi]!
        indices[hi] = i
        hi--
      }
    }
    return lo
  }

  /**
   * Fills histograms for features order[first .. first+batch) over the node's rows, scans them for the best
   * cut (kept in bestProxy/bestFeature/bestBin) and returns how many of them are not constant at this node.
   */
  private evaluateFeatures(first: number, batch: number, indices: Int32Array, start: number, end: number, weight: Float64Array): number {
    const { bins, nBins, y, nFeatures } = this.data
    const { criterion, minSamplesLeaf } = this.options
    const classification = criterion !== 'squared_error'
    const S = this.stats
    const order = this.featureOrder
    const hist = this.hist
    const counts = this.counts
    const nNode = end - start
    for (let s = 0; s < batch; s++) {
      const nb = nBins[order[first + s]!]!
      hist.fill(0, s * MAX_BINS * S, (s * MAX_BINS + nb) * S)
      counts.fill(0, s * MAX_BINS, s * MAX_BINS + nb)
    }
    for (let j = start; j < end; j++) {
      const i = indices[j]!
      const w = weight[i]!
      const row = i * nFeatures
      if (classification) {
        const c = y[i]! | 0
        for (let s = 0; s < batch; s++) {
          const slot = s * MAX_BINS + bins[row + order[first + s]!]!
          hist[slot * S + c]! += w
          counts[slot]!++
        }
      } else {
        const wy = w * y[i]!
        for (let s = 0; s < batch; s++) {
          const slot = s * MAX_BINS + bins[row + order[first + s]!]!
          hist[slot * 2]! += w
          hist[slot * 2 + 1]! += wy
          counts[slot]!++
        }
      }
    }
    const totals = this.totals
    const acc = this.leftAcc
    let usable = 0
    for (let s = 0; s < batch; s++) {
      const feature = order[first + s]!
      const nb = nBins[feature]!
      acc.fill(0)
      let nLeft = 0
      let lastFilled = -1
      let filled = 0
      for (let b = 0; b < nb; b++) {
        const slot = s * MAX_BINS + b
        const c = counts[slot]!
        if (c === 0) continue
        filled++
        // A cut between the previous filled bin and this one; its threshold bin sits midway through the gap.
        if (lastFilled >= 0 && nLeft >= minSamplesLeaf && nNode - nLeft >= minSamplesLeaf) {
          const proxy = splitProxy(criterion, acc, totals, S)
          if (proxy > this.bestProxy) {
            this.bestProxy = proxy
            this.bestFeature = feature
            this.bestBin = (lastFilled + b - 1) >> 1
          }
        }
        if (nNode - nLeft - c < minSamplesLeaf) {
          if (nNode - nLeft - c > 0) filled++ // rows remain in later bins: the feature is not constant
          break
        }
        for (let k = 0; k < S; k++) acc[k]! += hist[slot * S + k]!
        nLeft += c
        lastFilled = b
      }
      if (filled > 1) usable++
    }
    return usable
  }
}

/** A quantity whose increase equals the decrease of W·impurity (constant terms dropped). */
function proxyOf(criterion: Criterion, t: Float64Array, W: number): number {
  if (criterion === 'squared_error') return (t[1]! * t[1]!) / W
  if (criterion === 'gini') {
    let s = 0
    for (let k = 0; k < t.length; k++) s += t[k]! * t[k]!
    return s / W
  }
  let s = 0
  for (let k = 0; k < t.length; k++) if (t[k]! > 0) s += t[k]! * Math.log2(t[k]!)
  return s - W * Math.log2(W)
}

function splitProxy(criterion: Criterion, left: Float64Array, total: Float64Array, S: number): number {
  if (criterion === 'squared_error') {
    const wl = left[0]!
    const wr = total[0]! - wl
    const sl = left[1]!
    const sr = total[1]! - sl
    return (sl * sl) / wl + (sr * sr) / wr
  }
  let wl = 0
  let wr = 0
  if (criterion === 'gini') {
    let ql = 0
    let qr = 0
    for (let k = 0; k < S; k++) {
      const l = left[k]!
      const r = total[k]! - l
      wl += l
      wr += r
      ql += l * l
      qr += r * r
    }
    return ql / wl + qr / wr
  }
  let el = 0
  let er = 0
  for (let k = 0; k < S; k++) {
    const l = left[k]!
    const r = total[k]! - l
    wl += l
    wr += r
    if (l > 0) el += l * Math.log2(l)
    if (r > 0) er += r * Math.log2(r)
  }
  return el - wl * Math.log2(wl) + er - wr * Math.log2(wr)
}
