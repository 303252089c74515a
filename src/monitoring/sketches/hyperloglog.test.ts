import { describe, expect, it } from 'vitest'
import { HyperLogLog, hllStandardError } from './hyperloglog.js'

const sigma = hllStandardError(12)

describe('HyperLogLog', () => {
  it('states ≈1.6 % standard error at p = 12', () => {
    expect(sigma).toBeCloseTo(0.01625, 4)
  })

  it.each([1, 10, 1_000, 10_000, 50_000, 200_000, 1_000_000])('estimates %i distinct numbers within 3σ', (n) => {
    const hll = new HyperLogLog()
    // Every value three times, in a scrambled order: duplicates must not count.
    for (let r = 0; r < 3; r++) for (let i = 0; i < n; i++) hll.addNumber(((i * 7919) % n) * 0.37 - 11)
    const estimate = hll.estimate()
    expect(Math.abs(estimate - n) / n).toBeLessThan(3 * sigma)
  })

  it('estimates strings and merges exactly (register-wise max)', () => {
    const a = new HyperLogLog()
    const b = new HyperLogLog()
    const union = new HyperLogLog()
    for (let i = 0; i < 30_000; i++) {
      a.addString(`user-${i}`)
      union.addString(`user-${i}`)
    }
    for (let i = 20_000; i < 60_000; i++) {
      b.addString(`user-${i}`)
      union.addString(`user-${i}`)
    }
    a.merge(b)
    expect(a.toJSON()).toEqual(union.toJSON())
    expect(Math.abs(a.estimate() - 60_000) / 60_000).toBeLessThan(3 * sigma)
  })

  it('treats 0 and −0 as one value, and strings apart from numbers', () => {
    const hll = new HyperLogLog()
    hll.addNumber(0)
    hll.addNumber(-0)
    expect(Math.round(hll.estimate())).toBe(1)
    hll.addString('0')
    expect(Math.round(hll.estimate())).toBe(2)
  })

  it('round-trips through JSON and rejects bad state', () => {
    const hll = new HyperLogLog({ p: 10 })
    for (let i = 0; i < 5000; i++) hll.addNumber(i)
    const copy = HyperLogLog.fromJSON(JSON.parse(JSON.stringify(hll.toJSON())))
    expect(copy.estimate()).toBe(hll.estimate())
    expect(() => HyperLogLog.fromJSON({ kind: 'hll', state: { p: 12, registers: 'AAAA' } })).toThrow(/registers/)
    expect(() => new HyperLogLog({ p: 12 }).merge(new HyperLogLog({ p: 10 }))).toThrow(/different p/)
  })
})
