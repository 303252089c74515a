/**
 * The k-sample Anderson–Darling test (Scholz & Stephens 1987) for two sorted samples, as SciPy 1.10's
 * `anderson_ksamp(midrank=True)`: the standardised statistic, the critical values interpolated for k − 1 = 1,
 * and the significance level from a quadratic fit of log(significance) on the critical values, clamped to
 * [0.001, 0.25] exactly as SciPy clamps it.
 */

const B0 = [0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085]
const B1 = [-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615]
const B2 = [-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154]
const SIG = [0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001]

export interface AndersonResult {
  statistic: number
  critical: number[]
  significance: number
}

/** Both inputs sorted ascending, finite, non-empty; at least two distinct values overall. */
export function andersonKsamp2(a: Float64Array, b: Float64Array): AndersonResult {
  const k = 2
  const n1 = a.length
  const n2 = b.length
  const N = n1 + n2
  // Midrank statistic (eq. 7): walk the distinct values of the pooled sample in order.
  let sum1 = 0
  let sum2 = 0
  let i = 0
  let j = 0
  let below = 0 // pooled values < z
  while (i < n1 || j < n2) {
    const z = i < n1 && (j >= n2 || a[i]! <= b[j]!) ? a[i]! : b[j]!
    let f1 = 0
    let f2 = 0
    while (i < n1 && a[i] === z) {
      i++
      f1++
    }
    while (j < n2 && b[j] === z) {
      j++
      f2++
    }
    const lj = f1 + f2
    const Bj = below + lj / 2
    const M1 = i - f1 / 2
    const M2 = j - f2 / 2
    const denom = Bj * (N - Bj) - (N * lj) / 4
    const w = lj / N
    sum1 += (w * (N * M1 - Bj * n1) ** 2) / denom
    sum2 += (w * (N * M2 - Bj * n2) ** 2) / denom
    below += lj
  }
  const A2kN = ((sum1 / n1 + sum2 / n2) * (N - 1)) / N
  const H = 1 / n1 + 1 / n2
  // hs_cs = cumsum(1/(N−1), 1/(N−2), …, 1/2); h = hs_cs[-1] + 1; g = Σ hs_cs[i] / (i + 2).
  let cs = 0
  let g = 0
  for (let t = 0; t < N - 2; t++) {
    cs += 1 / (N - 1 - t)
    g += cs / (t + 2)
  }
  const h = cs + 1
  const a_ = (4 * g - 6) * (k - 1) + (10 - 6 * g) * H
  const b_ = (2 * g - 4) * k ** 2 + 8 * h * k + (2 * g - 14 * h - 4) * H - 8 * h + 4 * g - 6
  const c_ = (6 * h + 2 * g - 2) * k ** 2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * H + 4 * h
  const d_ = (2 * h + 6) * k ** 2 - 4 * h * k
  const sigmasq = (a_ * N ** 3 + b_ * N ** 2 + c_ * N + d_) / ((N - 1) * (N - 2) * (N - 3))
  const m = k - 1
  const statistic = (A2kN - m) / Math.sqrt(sigmasq)
  const critical = B0.map((b0, t) => b0 + B1[t]! / Math.sqrt(m) + B2[t]! / m)
  let significance: number
  if (statistic < Math.min(...critical)) significance = Math.max(...SIG)
  else if (statistic > Math.max(...critical)) significance = Math.min(...SIG)
  else {
    const [c2, c1, c0] = quadraticFit(critical, SIG.map(Math.log))
    significance = Math.exp((c2 * statistic + c1) * statistic + c0)
  }
  return { statistic, critical, significance }
}

/** Least-squares y ≈ c2·x² + c1·x + c0 (numpy.polyfit(x, y, 2)), on centred x for conditioning. */
function quadraticFit(x: readonly number[], y: readonly number[]): [number, number, number] {
  const n = x.length
  const mx = x.reduce((s, v) => s + v, 0) / n
  const S = new Float64Array(5)
  const T = new Float64Array(3)
  for (let i = 0; i < n; i++) {
    const u = x[i]! - mx
    let p = 1
    for (let e = 0; e < 5; e++) {
      S[e] = S[e]! + p
      if (e < 3) T[e] = T[e]! + p * y[i]!
      p *= u
    }
  }
  // Normal equations in u = x − mx: [S0 S1 S2; S1 S2 S3; S2 S3 S4] · [d0 d1 d2] = T, by Cramer's rule.
  const M = [
    [S[0]!, S[1]!, S[2]!],
    [S[1]!, S[2]!, S[3]!],
    [S[2]!, S[3]!, S[4]!],
  ]
  const det3 = (m: number[][]): number =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!)
  const D = det3(M)
  const solve = (col: number): number => det3(M.map((row, r) => row.map((v, c) => (c === col ? T[r]! : v)))) / D
  const d0 = solve(0)
  const d1 = solve(1)
  const d2 = solve(2)
  // Back to powers of x: d2(x−mx)² + d1(x−mx) + d0.
  return [d2, d1 - 2 * d2 * mx, d2 * mx * mx - d1 * mx + d0]
}
