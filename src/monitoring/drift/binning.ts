import type { DriftTestName } from '../types.js'
import { sharesHistogram, type DriftTest, type TestOutcome } from './drift-test.js'
import type { CountsPair, NumericPair } from './samples.js'

/**
 * Evidently's binning for psi, kl_div and jensenshannon (`stattests/utils.py:get_binned_data`): a numeric
 * column whose reference has more than 20 distinct values gets numpy's Sturges edges over the combined sample
 * (equal width, ⌈log2(n_ref + n_cur)⌉ + 1 bins); anything else gets one bin per value of the union. Shares
 * are counts / n. `fillZeroes` is Evidently's `feel_zeroes`: each 0 share becomes min(non-zero)/10⁶ when that
 * minimum is ≤ 1e-4, else 1e-4, per array, without renormalising.
 */
export interface BinnedShares {
  /** Bin edges (numeric bins, length = shares + 1) or category labels (value bins). */
  bins: Array<number | string>
  edges: boolean
  reference: Float64Array
  current: Float64Array
}

const VALUE_BIN_LIMIT = 20

export function binnedShares(data: NumericPair | CountsPair, fillZeroes: boolean): BinnedShares {
  let out: BinnedShares
  if ('categories' in data) {
    out = { bins: data.categories, edges: false, reference: divide(data.reference, data.referenceTotal), current: divide(data.current, data.currentTotal) }
  } else if (data.referenceUniqueUpTo(VALUE_BIN_LIMIT) > VALUE_BIN_LIMIT) {
    const edges = sturgesEdges([data.reference, data.current])
    out = {
      bins: Array.from(edges),
      edges: true,
      reference: divide(histogram(data.reference, edges), data.reference.length),
      current: divide(histogram(data.current, edges), data.current.length),
    }
  } else {
    const counts = valueCounts(data)
    out = { bins: counts.categories, edges: false, reference: divide(counts.reference, counts.referenceTotal), current: divide(counts.current, counts.currentTotal) }
  }
  if (fillZeroes) {
    fillZeroShares(out.reference)
    fillZeroShares(out.current)
  }
  return out
}

/** Value counts without sorting (few distinct values by construction: ≤ 20 in the reference). */
function valueCounts(pair: NumericPair): CountsPair {
  const values: number[] = []
  const index = new Map<number, number>()
  const ref: number[] = []
  const cur: number[] = []
  const add = (data: Float64Array, into: number[], other: number[]): void => {
    for (let i = 0; i < data.length; i++) {
      const v = data[i]! === 0 ? 0 : data[i]! // −0 and 0 are one value, as in pandas
      let k = index.get(v)
      if (k === undefined) {
        k = values.length
        index.set(v, k)
        values.push(v)
        into.push(0)
        other.push(0)
      }
      into[k] = into[k]! + 1
    }
  }
  add(pair.reference, ref, cur)
  add(pair.current, cur, ref)
  return { categories: values, reference: Float64Array.from(ref), current: Float64Array.from(cur), referenceTotal: pair.reference.length, currentTotal: pair.current.length }
}

function divide(counts: Float64Array, total: number): Float64Array {
  const out = new Float64Array(counts.length)
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! / total
  return out
}

export function fillZeroShares(shares: Float64Array): void {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < shares.length; i++) if (shares[i] !== 0 && shares[i]! < min) min = shares[i]!
  if (min === Number.POSITIVE_INFINITY) return
  const fill = min <= 1e-4 ? min / 10 ** 6 : 1e-4
  for (let i = 0; i < shares.length; i++) if (shares[i] === 0) shares[i] = fill
}

/**
 * `np.histogram_bin_edges(concat, bins='sturges')`: width = ptp / (log2(n) + 1), bin count = ⌈ptp / width⌉,
 * edges = `np.linspace(min, max, bins + 1)` (i·step + min, the last edge exactly max).
 */
export function sturgesEdges(samples: Float64Array[], uniqueOnly?: Float64Array): Float64Array {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  let n = 0
  const sources = uniqueOnly === undefined ? samples : [uniqueOnly]
  for (const s of sources) {
    n += s.length
    for (let i = 0; i < s.length; i++) {
      const v = s[i]!
      if (v < min) min = v
      if (v > max) max = v
    }
  }
  if (n === 0) return Float64Array.of(0, 1)
  let bins = 1
  const ptp = max - min
  if (ptp > 0) {
    const width = ptp / (Math.log2(n) + 1)
    bins = Math.ceil(ptp / width)
  } else {
    min -= 0.5
    max += 0.5
  }
  const edges = new Float64Array(bins + 1)
  const step = (max - min) / bins
  for (let i = 0; i <= bins; i++) edges[i] = i * step + min
  edges[bins] = max
  return edges
}

/**
 * Counts per bin like `np.histogram(values, edges)` on equal-width edges: [e_i, e_{i+1}) with the last bin
 * closed, values outside dropped. The index is computed, then corrected against the edges as numpy does.
 */
export function histogram(values: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1
  const counts = new Float64Array(bins)
  const first = edges[0]!
  const last = edges[bins]!
  const norm = bins / (last - first)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (v < first || v > last) continue
    let k = Math.floor((v - first) * norm)
    if (k >= bins) k = bins - 1
    if (v < edges[k]!) k -= 1
    else if (k < bins - 1 && v >= edges[k + 1]!) k += 1
    counts[k] = counts[k]! + 1
  }
  return counts
}

/**
 * A distance on binned shares, as Evidently's psi, kl_div and jensenshannon: numeric and categorical columns,
 * default threshold 0.1, drift when the distance is ≥ it; `fillZeroes` replaces empty bins' shares (§1.5).
 */
export function binnedDistanceTest(name: DriftTestName, fillZeroes: boolean, distance: (reference: Float64Array, current: Float64Array) => number): DriftTest {
  const run = (data: NumericPair | CountsPair): TestOutcome => {
    const b = binnedShares(data, fillZeroes)
    return { score: distance(b.reference, b.current), histogram: sharesHistogram(b.bins, b.reference, b.current) }
  }
  return { name, scoreKind: 'distance', defaultThreshold: 0.1, appliesTo: ['categorical', 'numeric'], rule: '>=', numeric: run, counts: run }
}
