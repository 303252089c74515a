import { choleskySolve } from './cholesky.js'
import type { LogisticLoss } from './logistic-loss.js'

/**
 * Newton's method (IRLS) for the logistic loss: solve H d = −g by Cholesky, then backtrack until f decreases
 * enough (Armijo). Quadratic convergence near the optimum; each step costs O(n·dim²), so it suits small p.
 */
export interface NewtonResult {
  x: Float64Array
  f: number
  iterations: number
  converged: boolean
}

export function newton(
  loss: LogisticLoss,
  x0: Float64Array,
  options: { maxIter: number; gtol: number; onIteration?: (iteration: number) => void },
): NewtonResult {
  const dim = loss.dim
  const x = Float64Array.from(x0)
  const g = new Float64Array(dim)
  const gTrial = new Float64Array(dim)
  const xTrial = new Float64Array(dim)
  const h = new Float64Array(dim * dim)
  const d = new Float64Array(dim)
  let f = loss.evaluate(x, g)
  for (let iter = 1; iter <= options.maxIter; iter++) {
    if (maxAbs(g) <= options.gtol) return { x, f, iterations: iter - 1, converged: true }
    loss.hessian(h)
    // A tiny ridge keeps H positive definite along directions the loss is flat in (the softmax's shared
    // offset); the gradient has no component there, so the step does not move along them.
    let scale = 0
    for (let i = 0; i < dim; i++) scale = Math.max(scale, h[i * dim + i]!)
    for (let i = 0; i < dim; i++) h[i * dim + i] = h[i * dim + i]! + 1e-10 * scale + 1e-300
    for (let i = 0; i < dim; i++) d[i] = -g[i]!
    if (choleskySolve(h, d, dim) >= 0) return { x, f, iterations: iter - 1, converged: false }
    let dg = 0
    for (let i = 0; i < dim; i++) dg += d[i]! * g[i]!
    if (-dg <= 1e-12 * Math.max(1, Math.abs(f))) {
      // The predicted decrease is below what f can resolve (quadratic regime): Armijo would compare rounding
      // noise, so take the full Newton step, which still shrinks the gradient quadratically.
      for (let i = 0; i < dim; i++) x[i] = x[i]! + d[i]!
      f = loss.evaluate(x, g)
      options.onIteration?.(iter)
      continue
    }
    let t = 1
    let accepted = false
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < dim; i++) xTrial[i] = x[i]! + t * d[i]!
      const fTrial = loss.evaluate(xTrial, gTrial)
      if (fTrial <= f + 1e-4 * t * dg) {
        x.set(xTrial)
        g.set(gTrial)
        f = fTrial
        accepted = true
        break
      }
      t /= 2
    }
    options.onIteration?.(iter)
    // No decrease along the Newton direction: we are at the optimum to machine precision.
    if (!accepted) {
      loss.evaluate(x, g)
      return { x, f, iterations: iter, converged: maxAbs(g) <= Math.max(options.gtol, 1e-8) }
    }
  }
  return { x, f, iterations: options.maxIter, converged: maxAbs(g) <= options.gtol }
}

function maxAbs(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!))
  return m
}
