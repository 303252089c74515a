import { describe, expect, it } from 'vitest'
import { createRandom } from '../../core/random.js'
import { KllSketch, kllRankError } from './kll.js'
import { maxRankError } from './rank-error.test-support.js'

function normals(n: number, seed: number): Float64Array {
  const random = createRandom(seed)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = random.normal()
  return out
}

describe('KLL quantile sketch', () => {
  it('states ≈1.65 % rank error at k = 200', () => {
    expect(kllRankError(200)).toBeGreaterThan(0.016)
    expect(kllRankError(200)).toBeLessThan(0.017)
  })

  it('is exact while everything fits, and NaN when empty', () => {
    const sketch = new KllSketch()
    expect(sketch.quantile(0.5)).toBeNaN()
    for (let i = 100; i >= 1; i--) sketch.update(i)
    sketch.update(Number.NaN)
    sketch.update(Number.POSITIVE_INFINITY)
    expect(sketch.count).toBe(100)
    expect(sketch.quantile(0.5)).toBe(50)
    expect(sketch.quantile(0)).toBe(1)
    expect(sketch.quantile(1)).toBe(100)
    expect(sketch.rank(25)).toBeCloseTo(0.25, 12)
  })

  it('keeps the rank error of 1,000,000 normal values within the stated bound, in bounded space', () => {
    const data = normals(1_000_000, 1)
    const sketch = new KllSketch({ seed: 5 })
    sketch.updateMany(data)
    const error = maxRankError(sketch, data)
    console.log(`KLL k=200, n=1e6: max normalized rank error ${(error * 100).toFixed(3)} % over 199 quantiles, ${sketch.retained} items retained`)
    expect(error).toBeLessThan(kllRankError(200))
    expect(sketch.retained).toBeLessThan(2000)
    let min = Infinity
    let max = -Infinity
    for (const v of data) {
      min = Math.min(min, v)
      max = Math.max(max, v)
    }
    expect(sketch.min).toBe(min)
    expect(sketch.max).toBe(max)
  })

  it('handles heavy ties (few distinct values)', () => {
    const random = createRandom(2)
    const data = new Float64Array(200_000)
    for (let i = 0; i < data.length; i++) data[i] = random.int(5)
    const sketch = new KllSketch()
    sketch.updateMany(data)
    expect(maxRankError(sketch, data)).toBeLessThan(kllRankError(200))
  })

  it('merges 10 partitions into a sketch of the union within the bound', () => {
    const data = normals(500_000, 3)
    // Partitions of different shapes: shifted halves make the union bimodal.
    for (let i = 0; i < data.length; i += 2) data[i] = data[i]! + 6
    const merged = new KllSketch({ seed: 1 })
    for (let p = 0; p < 10; p++) {
      const part = new KllSketch({ seed: 100 + p })
      part.updateMany(data.subarray(p * 50_000, (p + 1) * 50_000))
      merged.merge(part)
    }
    expect(merged.count).toBe(data.length)
    const error = maxRankError(merged, data)
    console.log(`KLL k=200, 10-way merge of 5e5: max normalized rank error ${(error * 100).toFixed(3)} %`)
    expect(error).toBeLessThan(kllRankError(200))
  })

  it('round-trips through JSON with the same answers', () => {
    const data = normals(50_000, 4)
    const sketch = new KllSketch({ k: 100, seed: 9 })
    sketch.updateMany(data)
    const copy = KllSketch.fromJSON(JSON.parse(JSON.stringify(sketch.toJSON())))
    for (const q of [0.01, 0.1, 0.5, 0.9, 0.99]) expect(copy.quantile(q)).toBe(sketch.quantile(q))
    expect(copy.count).toBe(sketch.count)
    expect(() => KllSketch.fromJSON({ kind: 'kll', state: { k: 100, n: 3, levels: [[1]] } })).toThrow(/inconsistent/)
    expect(() => KllSketch.fromJSON({ kind: 'hll', state: {} })).toThrow(/Not a serialised KLL/)
  })

  it('refuses to merge different k', () => {
    expect(() => new KllSketch({ k: 100 }).merge(new KllSketch({ k: 200 }))).toThrow(/different k/)
  })
})
