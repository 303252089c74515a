import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../core/frame.js'
import { randomSplit, stratifiedSplit, timeSplit } from './splits.js'

function frame(n: number): Frame {
  const label = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? 'fraud' : i % 3 === 0 ? 'review' : 'ok'))
  return new Frame([numericColumn('id', Array.from({ length: n }, (_, i) => i)), categoricalColumn('label', label), numericColumn('ts', Array.from({ length: n }, (_, i) => (i * 7919) % n), 'datetime')])
}

function partition(n: number, a: Int32Array, b: Int32Array): void {
  const all = [...a, ...b].sort((x, y) => x - y)
  expect(all).toEqual(Array.from({ length: n }, (_, i) => i))
}

describe('randomSplit', () => {
  it('partitions the rows, sized by testFraction, reproducibly per seed', () => {
    const f = frame(1001)
    const s = randomSplit(f, { testFraction: 0.2, seed: 1 })
    expect(s.test.rows).toBe(200)
    expect(s.train.rows).toBe(801)
    partition(1001, s.trainIndices, s.testIndices)
    expect(Array.from(s.test.numeric('id'))).toEqual(Array.from(s.testIndices))
    expect(randomSplit(f, { testFraction: 0.2, seed: 1 }).testIndices).toEqual(s.testIndices)
    expect(randomSplit(f, { testFraction: 0.2, seed: 2 }).testIndices).not.toEqual(s.testIndices)
  })

  it('rejects a bad fraction or seed', () => {
    expect(() => randomSplit(frame(10), { testFraction: 1, seed: 1 })).toThrow(/testFraction must be a number strictly between 0 and 1/)
    expect(() => randomSplit(frame(10), { testFraction: 0.5, seed: 0.5 })).toThrow(/seed must be an integer/)
  })
})

describe('stratifiedSplit', () => {
  it('keeps every class within one row of its proportion', () => {
    const f = frame(997)
    const s = stratifiedSplit(f, 'label', { testFraction: 0.25, seed: 3 })
    partition(997, s.trainIndices, s.testIndices)
    const count = (g: Frame, code: number): number => {
      const c = g.column('label')
      return c.kind === 'categorical' ? c.codes.filter((x) => x === code).length : -1
    }
    for (let code = 0; code < 3; code++) {
      const total = count(f, code)
      expect(Math.abs(count(s.test, code) - total * 0.25)).toBeLessThanOrEqual(1)
    }
  })

  it('rejects a missing target value, naming the column', () => {
    const f = new Frame([numericColumn('y', [1, Number.NaN, 0])])
    expect(() => stratifiedSplit(f, 'y', { testFraction: 0.5, seed: 1 })).toThrow(/Column 'y' has 1 missing values/)
    expect(() => stratifiedSplit(f, 'nope', { testFraction: 0.5, seed: 1 })).toThrow(/No column 'nope'/)
  })
})

describe('timeSplit', () => {
  it('puts the latest rows in the test set, in time order, with ties kept together', () => {
    const f = new Frame([numericColumn('ts', [5, 1, 3, 3, 2, 4, 3]), numericColumn('id', [0, 1, 2, 3, 4, 5, 6])])
    const s = timeSplit(f, 'ts', { testFraction: 0.5 })
    // Sorted times 1,2,3,3,3,4,5: the cutoff is the time at position 7 - 4 = 3 → 3, so all three 3s test.
    expect(Array.from(s.trainIndices)).toEqual([1, 4])
    expect(Array.from(s.testIndices)).toEqual([2, 3, 6, 5, 0])
    const byCutoff = timeSplit(f, 'ts', { cutoff: 4 })
    expect(Array.from(byCutoff.testIndices)).toEqual([5, 0])
    const dates = new Frame([numericColumn('ts', [Date.UTC(2024, 0, 1), Date.UTC(2024, 5, 1)], 'datetime')])
    expect(timeSplit(dates, 'ts', { cutoff: '2024-03-01' }).test.rows).toBe(1)
    expect(timeSplit(dates, 'ts', { cutoff: new Date(Date.UTC(2025, 0, 1)) }).test.rows).toBe(0)
  })

  it('rejects missing times, a categorical column and a bad cutoff', () => {
    expect(() => timeSplit(new Frame([numericColumn('ts', [1, Number.NaN])]), 'ts', { testFraction: 0.5 })).toThrow(/Column 'ts' has 1 missing values/)
    expect(() => timeSplit(frame(10), 'label', { testFraction: 0.5 })).toThrow(/Column 'label' is categorical/)
    expect(() => timeSplit(frame(10), 'ts', { cutoff: 'soon' })).toThrow(/cutoff must be/)
  })
})
