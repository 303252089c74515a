import { describe, expect, it } from 'vitest'
import { createRandom } from '../../core/random.js'
import { sortedFloat64 } from './sort.js'

describe('sortedFloat64', () => {
  it('sorts like the native numeric sort across signs, magnitudes, ties, zeros and subnormals', () => {
    const r = createRandom(3)
    const n = 50_000
    const v = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const u = r.next()
      v[i] = u < 0.1 ? Math.round(u * 100) - 5 : u < 0.12 ? (u < 0.11 ? 0 : -0) : u < 0.13 ? 5e-324 * i : (r.next() - 0.5) * 10 ** Math.floor(r.next() * 40 - 20)
    }
    const before = Float64Array.from(v)
    const expected = Float64Array.from(v).sort()
    const got = sortedFloat64(v)
    expect(got.length).toBe(n)
    for (let i = 0; i < n; i++) if (got[i] !== expected[i]) throw new Error(`index ${i}: ${got[i]} vs ${expected[i]}`)
    expect(v).toEqual(before) // the input is left as it was (a copy is sorted)
  })
  it('handles small and constant inputs', () => {
    expect(Array.from(sortedFloat64(Float64Array.of(3, -1, 2)))).toEqual([-1, 2, 3])
    expect(Array.from(sortedFloat64(new Float64Array(10_000).fill(7))).every((x) => x === 7)).toBe(true)
  })
})
