import { binnedShares } from './binning.js'
import { sharesHistogram, type DriftTest, type TestOutcome } from './drift-test.js'
import type { CountsPair, NumericPair } from './samples.js'

/** Σ (r_i − c_i)·ln(r_i / c_i) over shares (no zero may remain; see fillZeroShares). */
export function psiValue(ref: Float64Array, cur: Float64Array): number {
  let sum = 0
  for (let i = 0; i < ref.length; i++) sum += (ref[i]! - cur[i]!) * Math.log(ref[i]! / cur[i]!)
  return sum
}

function run(data: NumericPair | CountsPair): TestOutcome {
  const b = binnedShares(data, true)
  return { score: psiValue(b.reference, b.current), histogram: sharesHistogram(b.bins, b.reference, b.current) }
}

/** Evidently's PSI: Sturges bins over ref ∪ cur (or value bins), zero-filled shares. */
export const psi: DriftTest = {
  name: 'psi',
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  appliesTo: ['categorical', 'numeric'],
  rule: '>=',
  numeric: run,
  counts: run,
}
