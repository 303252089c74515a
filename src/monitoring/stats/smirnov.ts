/**
 * Cephes' one-sided Smirnov distribution (SciPy `special.smirnov`), which SciPy's `kstwo.sf` doubles for
 * large statistics. Cephes sums in double-double; here the sum runs in double with the binomial kept as an
 * exactly rescaled mantissa, which keeps ~1e-10 relative (checked against SciPy in the drift fixtures).
 */
const MINLOG_CEPHES = -7.08396418532264106224e2

function clip(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p
}

/**
 * One-sided Smirnov survival Pr(D⁺_n > x) (Cephes `smirnov`): Birnbaum–Tingey's lower sum, or the short upper
 * sum for tiny x, or the asymptotic formula past 10⁶ rows, exactly as Cephes chooses.
 */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN
  if (n === 1) return 1 - x
  if (x === 0) return 1
  if (x === 1) return 0
  const nx = n * x
  let nxfl = Math.floor(nx)
  let alpha = nx - nxfl
  if (alpha === 1) {
    nxfl += 1
    alpha = 0
  }
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1)
  let n1mxceil = n - nxfl
  if (alpha === 0) {
    n1mxfl -= 1
    n1mxceil += 1
  }
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) return 1 - x * (1 + x) ** (n - 1)
  if (-2 * n * x * x < MINLOG_CEPHES) return 0
  if (nxfl >= n - 1) return (1 - x) ** n
  if (n > 1_000_000) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp)
  }
  const nUpperTerms = n - n1mxceil + 1
  const useUpper = (nUpperTerms <= 1 && x < 0.5) || (n >= 10 && nUpperTerms <= 3 && x <= 0.5 / Math.sqrt(n))
  let sum = 0
  if (useUpper) {
    // v = n, n − 1, …: terms alternate in sign; few of them by construction.
    let logC = 0
    const nTerms = n - n1mxceil + 1
    for (let j = 0; j < nTerms; j++) {
      const v = n - j
      const a = x + v / n
      const b = (n - v) / n - x
      sum += Math.exp(logC) * a ** (v - 1) * b ** (n - v)
      logC += Math.log(v / (j + 1))
    }
    return clip(1 - x * sum)
  }
  const nTerms = n1mxfl + 1
  const vmid = Math.floor(n / 2)
  sum = (1 - x) ** n / x
  // C(n, v) as mantissa × 2^exponent, updated multiplicatively (error grows like v·ε, not like v·ε·log C).
  let cMan = n
  let cExp = 0 // C(n, v) = cMan · 2^cExp
  for (let j = 1; j < nTerms; j++) {
    const v = j
    // Rescale by an exact power of two only when needed (rarely), both ways: C(n, v) rises to ~2^n, then falls.
    if (cMan > 2 ** 600) {
      cMan *= 2 ** -600
      cExp += 600
    } else if (cMan < 2 ** -600) {
      cMan *= 2 ** 600
      cExp -= 600
    }
    const logTerm = Math.log(cMan) + cExp * Math.LN2 + (v - 1) * Math.log(x + v / n) + (n - v) * Math.log1p(-(x + v / n))
    const aj = Math.exp(logTerm)
    if (Number.isFinite(aj) && aj !== 0) sum += aj
    if (aj !== 0) {
      if (4 * (nTerms - j) * Math.abs(aj) < Number.EPSILON * sum && j !== nTerms - 1) break
    } else if (j > vmid) break
    cMan *= (n - j) / (j + 1)
  }
  return clip(x * sum)
}
