import { describe, expect, it } from 'vitest'
import { choleskySolve } from './cholesky.js'
import { lbfgs } from './lbfgs.js'

// Rosenbrock's valley: a curved, badly conditioned problem that a weak line search fails on.
const rosenbrock = (x: Float64Array, g: Float64Array): number => {
  let f = 0
  g.fill(0)
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1]! - x[i]! * x[i]!
    const b = 1 - x[i]!
    f += 100 * a * a + b * b
    g[i] = g[i]! - 400 * a * x[i]! - 2 * b
    g[i + 1] = g[i + 1]! + 200 * a
  }
  return f
}

describe('lbfgs', () => {
  it('finds the minimum of the Rosenbrock function', () => {
    const x0 = Float64Array.from([-1.2, 1, -1.2, 1, -1.2, 1])
    const result = lbfgs(rosenbrock, x0, { maxIter: 500, gtol: 1e-10 })
    expect(result.converged).toBe(true)
    for (const v of result.x) expect(Math.abs(v - 1)).toBeLessThan(1e-6)
    expect(result.f).toBeLessThan(1e-12)
    expect(Array.from(x0)).toEqual([-1.2, 1, -1.2, 1, -1.2, 1]) // the start point is not modified
  })

  it('stops at maxIter and says it did not converge', () => {
    const result = lbfgs(rosenbrock, Float64Array.from([-1.2, 1]), { maxIter: 3, gtol: 1e-10 })
    expect(result.converged).toBe(false)
    expect(result.iterations).toBe(3)
  })

  it('calls onIteration once per iteration, and an exception there stops it', () => {
    const seen: number[] = []
    expect(() =>
      lbfgs(rosenbrock, Float64Array.from([-1.2, 1]), {
        maxIter: 100,
        gtol: 1e-10,
        onIteration: (i) => {
          seen.push(i)
          if (i === 4) throw new Error('stop')
        },
      }),
    ).toThrow('stop')
    expect(seen).toEqual([1, 2, 3, 4])
  })
})

describe('choleskySolve', () => {
  it('solves a positive-definite system', () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3])
    const x = [1, -2, 3]
    const b = Float64Array.from([0, 1, 2].map((i) => a[i * 3]! * x[0]! + a[i * 3 + 1]! * x[1]! + a[i * 3 + 2]! * x[2]!))
    expect(choleskySolve(a, b, 3)).toBe(-1)
    Array.from(b).forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 12))
  })

  it('returns the index of the first dependent column', () => {
    const a = Float64Array.from([1, 2, 0, 2, 4, 0, 0, 0, 1]) // column 1 = 2 × column 0
    expect(choleskySolve(a, new Float64Array(3), 3)).toBe(1)
  })
})
