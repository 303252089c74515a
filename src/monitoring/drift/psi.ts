import { binnedDistanceTest } from './binning.js'
import type { DriftTest } from './drift-test.js'

/** Σ (r_i − c_i)·ln(r_i / c_i) over shares (no zero may remain; see fillZeroShares). */
export function psiValue(ref: Float64Array, cur: Float64Array): number {
  let sum = 0
  for (let i = 0; i < ref.length; i++) sum += (ref[i]! - cur[i]!) * Math.log(ref[i]! / cur[i]!)
  return sum
}

/** Evidently's PSI: Sturges bins over ref ∪ cur (or value bins), zero-filled shares. */
export const psi: DriftTest = binnedDistanceTest('psi', true, psiValue)
