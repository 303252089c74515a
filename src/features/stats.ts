/** Order statistics as numpy computes them (linear interpolation), over the non-missing values only. */

/** The finite-or-infinite (non-NaN) values, sorted ascending. */
export function sortedPresent(values: Float64Array): Float64Array {
  let n = 0
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++
  const out = new Float64Array(n)
  let j = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isNaN(v)) out[j++] = v
  }
  return out.sort()
}

/** numpy.percentile(..., method='linear') on sorted values, including numpy's two-sided lerp. */
export function percentileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const position = (q / 100) * (n - 1)
  const lo = Math.floor(position)
  const hi = Math.min(lo + 1, n - 1)
  const t = position - lo
  const a = sorted[lo]!
  const b = sorted[hi]!
  const diff = b - a
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
}

export function medianSorted(sorted: Float64Array): number {
  const n = sorted.length
  if (n === 0) return Number.NaN
  const mid = n >> 1
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Mean of the non-missing values, and how many there were. */
export function presentMean(values: Float64Array): { mean: number; count: number } {
  let sum = 0
  let count = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isNaN(v)) continue
    sum += v
    count++
  }
  return { mean: count === 0 ? Number.NaN : sum / count, count }
}

/** Population variance (ddof 0) around `mean`, two-pass for accuracy. */
export function presentVariance(values: Float64Array, mean: number): number {
  let sum = 0
  let correction = 0
  let count = 0
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isNaN(v)) continue
    const d = v - mean
    sum += d * d
    correction += d
    count++
  }
  // The correction term removes the rounding error of `mean` (as scikit-learn's _incremental_mean_and_var does).
  return count === 0 ? Number.NaN : (sum - (correction * correction) / count) / count
}

/** Counts of each code of a categorical column (index = code; missing counted separately). */
export function codeCounts(codes: Int32Array, categories: number): { counts: Int32Array; missing: number } {
  const counts = new Int32Array(categories)
  let missing = 0
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!
    if (c < 0) missing++
    else counts[c]!++
  }
  return { counts, missing }
}

/** Code-unit order, as Python sorts str (identical for the Basic Multilingual Plane). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
