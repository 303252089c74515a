import { binnedDistanceTest } from './binning.js'
import type { DriftTest } from './drift-test.js'
import { relEntr } from './jensenshannon.js'

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

/** Evidently's kl_div: KL(ref‖cur) on zero-filled binned shares. */
export const klDiv: DriftTest = binnedDistanceTest('kl_div', true, klDivergence)
