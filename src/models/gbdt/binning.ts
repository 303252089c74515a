/**
 * Quantile binning for boosting, done once per fit: each feature gets ≤ maxBins value bins plus one reserved
 * bin for missing values (NaN), stored row-major in one byte matrix bins[row * nFeatures + feature] so that a
 * row's features are adjacent while histograms are built. Adapted from the tree binning in
 * src/models/tree/training-data.ts, which refuses missing values.
 */
export interface BinnedFeatures {
  rows: number
  nFeatures: number
  bins: Uint8Array
  /** Value bins per feature; the missing bin of feature f is numValueBins[f]. */
  numValueBins: Int32Array
  /** Bin b (< numValueBins − 1) holds values ≤ edges[f][b]; the last value bin holds the rest. */
  edges: Float64Array[]
  /**
   * 1 for a feature split by category sets: its value bins are category codes (bin c = code c, the last value
   * bin is "other"), unordered, and a split sends a set of bins left.
   */
  categorical: Uint8Array
}

/** Above this many rows quantile edges come from an evenly strided sample (as histogram GBMs do). */
const EDGE_SAMPLE = 200_000

export function computeEdges(values: Float64Array, maxBins: number): Float64Array {
  const n = values.length
  const distinct = new Set<number>()
  for (let i = 0; i < n && distinct.size <= maxBins; i++) {
    const v = values[i]!
    if (!Number.isNaN(v)) distinct.add(v)
  }
  if (distinct.size <= maxBins) {
    const sorted = Float64Array.from(distinct).sort()
    const out = new Float64Array(Math.max(0, sorted.length - 1))
    for (let j = 1; j < sorted.length; j++) out[j - 1] = midpoint(sorted[j - 1]!, sorted[j]!)
    return out
  }
  let present = 0
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i]!)) present++
  const m = Math.min(present, EDGE_SAMPLE)
  const stride = present / m
  const sample = new Float64Array(m)
  // Evenly strided over the present values only, so missing values do not thin the sample.
  let k = 0
  let seen = 0
  let nextAt = 0
  for (let i = 0; i < n && k < m; i++) {
    const v = values[i]!
    if (Number.isNaN(v)) continue
    if (seen >= nextAt) {
      sample[k++] = v
      nextAt = Math.floor(k * stride)
    }
    seen++
  }
  const sorted = sample.subarray(0, k).sort()
  const out: number[] = []
  for (let q = 1; q < maxBins; q++) {
    let j = Math.floor((q * k) / maxBins)
    const v = sorted[j]!
    while (j < k && sorted[j] === v) j++
    if (j >= k) break
    const edge = midpoint(v, sorted[j]!)
    if (out.length === 0 || edge > out[out.length - 1]!) out.push(edge)
  }
  return Float64Array.from(out)
}

/**
 * Edges per feature: quantiles for numeric features; for a categorical one (cats[f] set, codes 0..k with k the
 * "other" code) the k half-way points, so bin c holds code c even when a code is absent from the data.
 */
export function featureEdges(columns: readonly Float64Array[], cats: ReadonlyArray<{ categories: readonly string[] } | null>, maxBins: number): Float64Array[] {
  return columns.map((c, f) => {
    const map = cats[f]
    if (map === null || map === undefined) return computeEdges(c, maxBins)
    return Float64Array.from({ length: map.categories.length }, (_, j) => j + 0.5)
  })
}

/** Bins columns with given edges (training edges for training and validation data alike); cats marks categorical features. */
export function binColumns(columns: readonly Float64Array[], edges: readonly Float64Array[], rows: number, cats?: ReadonlyArray<object | null>): BinnedFeatures {
  const nFeatures = columns.length
  const bins = new Uint8Array(rows * nFeatures)
  const numValueBins = new Int32Array(nFeatures)
  for (let f = 0; f < nFeatures; f++) {
    const values = columns[f]!
    const e = edges[f]!
    numValueBins[f] = e.length + 1
    const missingBin = e.length + 1
    for (let i = 0; i < rows; i++) {
      const x = values[i]!
      let b: number
      if (Number.isNaN(x)) b = missingBin
      else {
        // First edge ≥ x; prediction compares x < nextUp(edge), the same partition.
        // Branch-free lower bound (how many edges are < x, i.e. the first edge ≥ x): the compare feeds a select,
        // not a jump mispredicted half the time.
        let base = 0
        let len = e.length
        while (len > 1) {
          const half = len >>> 1
          base += e[base + half]! < x ? half : 0
          len -= half
        }
        b = len === 0 ? 0 : base + (e[base]! < x ? 1 : 0)
      }
      bins[i * nFeatures + f] = b
    }
  }
  const categorical = Uint8Array.from(columns, (_, f) => (cats?.[f] !== undefined && cats[f] !== null ? 1 : 0))
  return { rows, nFeatures, bins, numValueBins, edges: [...edges], categorical }
}

/** A threshold strictly between lo and hi where floating point allows, else lo. */
function midpoint(lo: number, hi: number): number {
  const mid = lo / 2 + hi / 2
  return Number.isFinite(mid) && mid >= lo && mid < hi ? mid : lo
}

/** The smallest double greater than x (x finite), so `x ≤ e` is exactly `x < nextUp(e)`. */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE
  const scratch = new DataView(new ArrayBuffer(8))
  scratch.setFloat64(0, x)
  const bits = scratch.getBigInt64(0)
  scratch.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n)
  return scratch.getFloat64(0)
}
