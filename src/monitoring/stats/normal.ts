/**
 * The normal distribution to double precision, shaped like Cephes' `ndtr` (what SciPy's `norm.cdf` calls), so
 * that expressions such as Evidently's `2 * (1 - norm.cdf(|z|))` round the same way.
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126
const SQRT_HALF = Math.SQRT1_2

/** erf(x); the series with only positive terms (no cancellation) for |x| < 3, 1 − erfc beyond. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  const a = Math.abs(x)
  if (a >= 3) return Math.sign(x) * (1 - erfcTail(a))
  return Math.sign(x) * erfSeries(a)
}

/** erfc(x): 1 − erf for x < 3 (absolute error ~1e-16), the continued fraction (relative ~1e-15) beyond. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  if (x < 3) return 1 - erf(x)
  return erfcTail(x)
}

/** Standard normal CDF Φ(x), Cephes' branch structure. */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  const t = x * SQRT_HALF
  const z = Math.abs(t)
  if (z < SQRT_HALF) return 0.5 + 0.5 * erf(t)
  const y = 0.5 * erfc(z)
  return t > 0 ? 1 - y : y
}

/** erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)). */
function erfSeries(x: number): number {
  const x2 = x * x
  let term = x
  let sum = x
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1)
    sum += term
    if (term < sum * 1e-17) break
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum
}

/** erfc(x) for x ≥ 3: modified Lentz on e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcTail(x: number): number {
  if (x > 27.3) return 0
  const tiny = 1e-300
  let f = x
  let c = x
  let d = 0
  for (let k = 1; k < 1000; k++) {
    const a = k / 2
    d = x + a * d
    d = d === 0 ? tiny : d
    c = x + a / c
    c = c === 0 ? tiny : c
    d = 1 / d
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x * x) / (f * Math.sqrt(Math.PI))
}
