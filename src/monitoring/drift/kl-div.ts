import { binnedShares } from './binning.js'
import { sharesHistogram, type DriftTest, type TestOutcome } from './drift-test.js'
import { relEntr } from './jensenshannon.js'
import type { CountsPair, NumericPair } from './samples.js'

/** `scipy.stats.entropy(p, q)`: both normalised, Σ p_i ln(p_i/q_i) = KL(p‖q). */
export function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0
  let sq = 0
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!
    sq += q[i]!
  }
  let sum = 0
  for (let i = 0; i < p.length; i++) sum += relEntr(p[i]! / sp, q[i]! / sq)
  return sum
}

function run(data: NumericPair | CountsPair): TestOutcome {
  const b = binnedShares(data, true)
  return { score: klDivergence(b.reference, b.current), histogram: sharesHistogram(b.bins, b.reference, b.current) }
}

/** Evidently's kl_div: KL(ref‖cur) on zero-filled binned shares. */
export const klDiv: DriftTest = {
  name: 'kl_div',
  scoreKind: 'distance',
  defaultThreshold: 0.1,
  appliesTo: ['categorical', 'numeric'],
  rule: '>=',
  numeric: run,
  counts: run,
}
