/**
 * Limited-memory BFGS (two-loop recursion) with a strong-Wolfe line search (Nocedal & Wright, algorithms 3.5
 * and 3.6, cubic interpolation in the zoom). Stopping rules follow SciPy's L-BFGS-B as scikit-learn calls it:
 * max |g| ≤ gtol, or a relative decrease of f below ftol.
 */
export type Objective = (x: Float64Array, gradOut: Float64Array) => number

export interface LbfgsOptions {
  maxIter: number
  gtol: number
  ftol?: number
  memory?: number
  /** Called after each iteration; throwing from it stops the solver (abort). */
  onIteration?: (iteration: number) => void
}

export interface LbfgsResult {
  x: Float64Array
  f: number
  iterations: number
  converged: boolean
}

const C1 = 1e-4
const C2 = 0.9
const MAX_LINE_SEARCH = 50

export function lbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length
  const m = options.memory ?? 10
  const ftol = options.ftol ?? 64 * Number.EPSILON
  const x = Float64Array.from(x0)
  const g = new Float64Array(n)
  const d = new Float64Array(n)
  const xTrial = new Float64Array(n)
  const gTrial = new Float64Array(n)
  const s = Array.from({ length: m }, () => new Float64Array(n))
  const y = Array.from({ length: m }, () => new Float64Array(n))
  const rho = new Float64Array(m)
  const alpha = new Float64Array(m)
  let stored = 0
  let head = 0 // next slot to write

  let f = objective(x, g)
  if (!Number.isFinite(f)) return { x, f, iterations: 0, converged: false }
  if (maxAbs(g) <= options.gtol) return { x, f, iterations: 0, converged: true }

  for (let iter = 1; iter <= options.maxIter; iter++) {
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!
    for (let k = 0; k < stored; k++) {
      const slot = (head - 1 - k + m) % m
      const a = rho[slot]! * dot(s[slot]!, d)
      alpha[slot] = a
      axpy(-a, y[slot]!, d)
    }
    if (stored > 0) {
      const last = (head - 1 + m) % m
      const gamma = dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!)
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma
    }
    for (let k = stored - 1; k >= 0; k--) {
      const slot = (head - 1 - k + m) % m
      const b = rho[slot]! * dot(y[slot]!, d)
      axpy(alpha[slot]! - b, s[slot]!, d)
    }
    let dg = dot(d, g)
    if (!(dg < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      stored = 0
      for (let i = 0; i < n; i++) d[i] = -g[i]!
      dg = dot(d, g)
    }
    const step0 = stored === 0 ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1
    const search = strongWolfe(objective, x, f, d, dg, step0, xTrial, gTrial)
    if (search === null) return { x, f, iterations: iter - 1, converged: false }

    // s = x_new - x, y = g_new - g; x, g ← new.
    const sv = s[head]!
    const yv = y[head]!
    for (let i = 0; i < n; i++) {
      sv[i] = xTrial[i]! - x[i]!
      yv[i] = gTrial[i]! - g[i]!
    }
    const sy = dot(sv, yv)
    if (sy > 1e-10 * dot(yv, yv)) {
      rho[head] = 1 / sy
      head = (head + 1) % m
      stored = Math.min(stored + 1, m)
    }
    const fPrev = f
    x.set(xTrial)
    g.set(gTrial)
    f = search
    options.onIteration?.(iter)
    if (maxAbs(g) <= options.gtol) return { x, f, iterations: iter, converged: true }
    if ((fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1) <= ftol) return { x, f, iterations: iter, converged: true }
  }
  return { x, f, iterations: options.maxIter, converged: false }
}

/** Finds a step satisfying the strong Wolfe conditions; writes the point and gradient to xOut/gOut, returns f there. */
function strongWolfe(
  objective: Objective,
  x: Float64Array,
  f0: number,
  d: Float64Array,
  dg0: number,
  step0: number,
  xOut: Float64Array,
  gOut: Float64Array,
): number | null {
  const evaluate = (t: number): { f: number; dg: number } => {
    for (let i = 0; i < x.length; i++) xOut[i] = x[i]! + t * d[i]!
    const f = objective(xOut, gOut)
    return { f, dg: dot(gOut, d) }
  }
  let tPrev = 0
  let fPrev = f0
  let dgPrev = dg0
  let t = step0
  for (let i = 0; i < MAX_LINE_SEARCH; i++) {
    const { f, dg } = evaluate(t)
    if (!Number.isFinite(f) || f > f0 + C1 * t * dg0 || (i > 0 && f >= fPrev)) {
      return zoom(evaluate, f0, dg0, tPrev, fPrev, dgPrev, t, f, dg, MAX_LINE_SEARCH - i)
    }
    if (Math.abs(dg) <= -C2 * dg0) return f
    if (dg >= 0) return zoom(evaluate, f0, dg0, t, f, dg, tPrev, fPrev, dgPrev, MAX_LINE_SEARCH - i)
    tPrev = t
    fPrev = f
    dgPrev = dg
    t *= 2
  }
  return null
}

function zoom(
  evaluate: (t: number) => { f: number; dg: number },
  f0: number,
  dg0: number,
  tLo: number,
  fLo: number,
  dgLo: number,
  tHi: number,
  fHi: number,
  dgHi: number,
  budget: number,
): number | null {
  for (let i = 0; i < budget; i++) {
    let t = Number.isFinite(fHi) ? cubicMin(tLo, fLo, dgLo, tHi, fHi, dgHi) : Number.NaN
    const lo = Math.min(tLo, tHi)
    const width = Math.abs(tHi - tLo)
    // Keep the trial well inside the bracket; fall back to bisection.
    if (!(t > lo + 0.1 * width && t < lo + 0.9 * width)) t = (tLo + tHi) / 2
    const { f, dg } = evaluate(t)
    if (!Number.isFinite(f) || f > f0 + C1 * t * dg0 || f >= fLo) {
      tHi = t
      fHi = f
      dgHi = dg
    } else {
      if (Math.abs(dg) <= -C2 * dg0) return f
      if (dg * (tHi - tLo) >= 0) {
        tHi = tLo
        fHi = fLo
        dgHi = dgLo
      }
      tLo = t
      fLo = f
      dgLo = dg
    }
    if (width < 1e-16 * Math.max(1, Math.abs(tLo))) break
  }
  // The bracket collapsed: accept the best point if it decreased f at all (xOut holds the last trial, so re-evaluate).
  if (tLo > 0 && fLo < f0) return evaluate(tLo).f
  return null
}

/** Minimiser of the cubic through (a, fa, ga) and (b, fb, gb). */
function cubicMin(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b)
  const disc = d1 * d1 - ga * gb
  if (disc < 0) return Number.NaN
  const d2 = Math.sign(b - a) * Math.sqrt(disc)
  return b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2))
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = y[i]! + a * x[i]!
}

function maxAbs(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!))
  return m
}
