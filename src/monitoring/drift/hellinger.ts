import { sturgesEdges, histogram } from './binning.js'
import type { DriftTest, TestOutcome } from './drift-test.js'
import type { CountsPair, NumericPair } from './samples.js'

/**
 * Evidently's Hellinger distance. Categorical: shares p, q over the union, H = √(1 − clip(Σ√(p q), 0, 1)).
 * Numeric: Sturges edges computed on the *set of distinct values* of ref ∪ cur, density histograms h1, h2
 * (np.histogram(density=True)), BC = Σ √(h1 h2)·bin width, H = √(1 − clip(BC, 0, 1)).
 */
export function hellingerCounts(counts: CountsPair): number {
  let bc = 0
  for (let i = 0; i < counts.reference.length; i++) {
    bc += Math.sqrt((counts.reference[i]! / counts.referenceTotal) * (counts.current[i]! / counts.currentTotal))
  }
  return Math.sqrt(1 - Math.min(Math.max(bc, 0), 1))
}

export function hellingerNumeric(pair: NumericPair): TestOutcome {
  const distinct = distinctSorted(pair.referenceSorted, pair.currentSorted)
  const edges = sturgesEdges([], distinct)
  const c1 = histogram(pair.reference, edges)
  const c2 = histogram(pair.current, edges)
  let t1 = 0
  let t2 = 0
  for (let i = 0; i < c1.length; i++) {
    t1 += c1[i]!
    t2 += c2[i]!
  }
  let bc = 0
  for (let i = 0; i < c1.length; i++) {
    const w = edges[i + 1]! - edges[i]!
    const h1 = c1[i]! / t1 / w
    const h2 = c2[i]! / t2 / w
    bc += Math.sqrt(h1 * h2) * w
  }
  return { score: Math.sqrt(1 - Math.min(Math.max(bc, 0), 1)) }
}

function distinctSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length)
  let n = 0
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    const z = i < a.length && (j >= b.length || a[i]! <= b[j]!) ? a[i]! : b[j]!
    while (i < a.length && a[i] === z) i++
    while (j < b.length && b[j] === z) j++
    out[n++] = z
  }
  return out.subarray(0, n)
}

export const hellinger: DriftTest = {
  name: 'hellinger',
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  appliesTo: ['categorical', 'numeric'],
  rule: '>=',
  numeric: hellingerNumeric,
  counts: (counts) => ({ score: hellingerCounts(counts) }),
}
