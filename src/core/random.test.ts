import { describe, expect, it } from 'vitest'
import { createRandom } from './random.js'

describe('createRandom', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = createRandom(42)
    const b = createRandom(42)
    const c = createRandom(43)
    const xa = Array.from({ length: 20 }, () => a.next())
    const xb = Array.from({ length: 20 }, () => b.next())
    const xc = Array.from({ length: 20 }, () => c.next())
    expect(xa).toEqual(xb)
    expect(xa).not.toEqual(xc)
  })

  it('next() is uniform in [0,1)', () => {
    const r = createRandom(1)
    const n = 100_000
    const bins = new Int32Array(10)
    let sum = 0
    let outside = 0
    for (let i = 0; i < n; i++) {
      const x = r.next()
      if (!(x >= 0 && x < 1)) outside++
      sum += x
      bins[Math.floor(x * 10)]!++
    }
    expect(outside).toBe(0)
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.005)
    for (const count of bins) expect(Math.abs(count - n / 10)).toBeLessThan(600)
  })

  it('int(n) covers [0,n) evenly and rejects bad n', () => {
    const r = createRandom(7)
    const counts = new Int32Array(7)
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]!++
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500)
    expect(() => r.int(0)).toThrow(/integer n/)
    expect(() => r.int(2.5)).toThrow(/integer n/)
  })

  it('normal() has mean 0 and variance 1', () => {
    const r = createRandom(3)
    const n = 100_000
    let s = 0
    let s2 = 0
    for (let i = 0; i < n; i++) {
      const z = r.normal()
      s += z
      s2 += z * z
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02)
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.02)
  })

  it('shuffle() permutes, reproducibly, and works detached', () => {
    const { shuffle } = createRandom(5)
    const a = Int32Array.from({ length: 100 }, (_, i) => i)
    shuffle(a)
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect([...a]).not.toEqual(Array.from({ length: 100 }, (_, i) => i))
    const b = Int32Array.from({ length: 100 }, (_, i) => i)
    createRandom(5).shuffle(b)
    expect([...b]).toEqual([...a])
  })

  it('shuffle() returns the array it shuffled', () => {
    const a = new Uint32Array([1, 2, 3, 4])
    expect(createRandom(1).shuffle(a)).toBe(a)
  })

  it('permutation(n) is a reproducible permutation of 0..n-1, uniform over positions, and rejects bad n', () => {
    const p = createRandom(11).permutation(50)
    expect(p).toBeInstanceOf(Int32Array)
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect([...p]).not.toEqual(Array.from({ length: 50 }, (_, i) => i))
    expect([...createRandom(11).permutation(50)]).toEqual([...p])
    expect(createRandom(11).permutation(0)).toHaveLength(0)
    // Each value lands in each of 4 positions a quarter of the time.
    const r = createRandom(13)
    const counts = new Int32Array(16)
    for (let i = 0; i < 40_000; i++) {
      const q = r.permutation(4)
      for (let pos = 0; pos < 4; pos++) counts[q[pos]! * 4 + pos]!++
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400)
    expect(() => r.permutation(-1)).toThrow(/integer n/)
    expect(() => r.permutation(1.5)).toThrow(/integer n/)
  })

  it('rejects a non-finite seed', () => {
    expect(() => createRandom(Number.NaN)).toThrow(/seed/)
  })
})
