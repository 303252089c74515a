import { binnedDistanceTest } from './binning.js'
import type { DriftTest } from './drift-test.js'

/** `scipy.spatial.distance.jensenshannon(p, q)` (natural log): both normalised, √((KL(p‖m) + KL(q‖m))/2). */
export function jensenShannonDistance(p: Float64Array, q: Float64Array): number {
  let sp = 0
  let sq = 0
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!
    sq += q[i]!
  }
  let left = 0
  let right = 0
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp
    const qi = q[i]! / sq
    const m = (pi + qi) / 2
    left += relEntr(pi, m)
    right += relEntr(qi, m)
  }
  return Math.sqrt((left + right) / 2)
}

/** scipy.special.rel_entr: x·ln(x/y), 0 at x = 0, ∞ when y = 0 < x. */
export function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y)
  if (x === 0 && y >= 0) return 0
  return Number.POSITIVE_INFINITY
}

/** Evidently's jensenshannon: on binned shares without zero filling. */
export const jensenshannon: DriftTest = binnedDistanceTest('jensenshannon', false, jensenShannonDistance)
