import { describe, expect, it } from 'vitest'
import { downsample, downsampleChunks } from './downsample.js'
import type { MetricSeries } from './downsample.js'

const series = (values: number[], steps: number[] = values.map((_, i) => i)): MetricSeries => ({
  steps: Float64Array.from(steps),
  timestamps: Float64Array.from(steps, (s) => 1000 + s),
  values: Float64Array.from(values),
})

describe('downsample', () => {
  it('returns short series whole, ordered by step (insertion order among equal steps)', () => {
    const out = downsample(series([1, 2, 3, 4], [3, 1, 1, 0]), 10)
    expect(Array.from(out.steps)).toEqual([0, 1, 1, 3])
    expect(Array.from(out.values)).toEqual([4, 2, 3, 1])
    expect(Array.from(out.timestamps)).toEqual([1000, 1001, 1001, 1003])
  })

  it('keeps at most maxPoints, including the first and last points and every bucket extreme', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i / 50))
    values[1234] = 99
    values[8765] = -99
    const out = downsample(series(values), 320)
    expect(out.steps.length).toBeLessThanOrEqual(320)
    expect(out.steps.length).toBeGreaterThan(300)
    expect(out.steps[0]).toBe(0)
    expect(out.steps[out.steps.length - 1]).toBe(9999)
    expect(Array.from(out.values)).toContain(99)
    expect(Array.from(out.values)).toContain(-99)
    const steps = Array.from(out.steps)
    expect(steps).toEqual([...steps].sort((a, b) => a - b))
    expect(new Set(steps).size).toBe(steps.length)
  })

  it('keeps each bucket’s minimum and maximum', () => {
    // 2 buckets over steps 0..7: [0..3] and [4..7]
    const out = downsample(series([5, 1, 9, 5, 5, 0, 7, 5]), 6)
    expect(Array.from(out.steps)).toEqual([0, 1, 2, 5, 6, 7])
    expect(Array.from(out.values)).toEqual([5, 1, 9, 0, 7, 5])
  })

  it('buckets by position when every point has the same step', () => {
    const values = Array.from({ length: 1000 }, (_, i) => (i === 500 ? 42 : i % 2))
    const out = downsample(series(values, values.map(() => 0)), 50)
    expect(out.steps.length).toBeGreaterThan(40)
    expect(Array.from(out.values)).toContain(42)
  })

  it('skips NaN as an extreme but keeps an all-NaN bucket visible, and keeps infinities', () => {
    // 3 buckets over steps 0..9: {0,1,2}, {3,4,5} (all NaN), {6..9}
    const out = downsample(series([1, 2, 3, NaN, NaN, NaN, Infinity, 4, 5, 6]), 8)
    expect(Array.from(out.steps)).toEqual([0, 2, 3, 6, 7, 9])
    expect(Array.from(out.values)).toEqual([1, 3, NaN, Infinity, 4, 6])
  })

  it('spaces buckets by step value, not by position', () => {
    // A dense run of points at low steps must not use up the budget: the sparse tail keeps its buckets.
    const steps = [...Array.from({ length: 1000 }, (_, i) => i / 1000), ...Array.from({ length: 10 }, (_, i) => 100 * (i + 1))]
    const out = downsample(series(steps.map((s) => s), steps), 22)
    expect(Array.from(out.steps).filter((s) => s >= 100)).toHaveLength(10)
  })

  it('handles tiny budgets and empty series', () => {
    expect(downsample(series([]), 10).steps.length).toBe(0)
    const s = series([3, 1, 2])
    expect(Array.from(downsample(s, 1).steps)).toEqual([2])
    expect(Array.from(downsample(s, 2).steps)).toEqual([0, 2])
    expect(downsample(s, 0).steps.length).toBe(0)
  })

  it('gives the same result over chunks as over one array, and honours step bounds', () => {
    const values = Array.from({ length: 5000 }, (_, i) => Math.cos(i / 7) * (i % 13))
    const whole = series(values)
    const chunks = [0, 1, 1000, 1001, 2999, 5000].slice(1).map((end, k, ends) => {
      const begin = k === 0 ? 0 : ends[k - 1]!
      return { steps: whole.steps.subarray(begin, end), timestamps: whole.timestamps.subarray(begin, end), values: whole.values.subarray(begin, end) }
    })
    expect(downsampleChunks(chunks, 100)).toEqual(downsample(whole, 100))
    const bounded = downsampleChunks(chunks, 10_000, { start: 990, end: 1010 })
    expect(Array.from(bounded.steps)).toEqual(Array.from({ length: 21 }, (_, i) => 990 + i))
    const sampled = downsampleChunks(chunks, 10, { start: 100 })
    expect(sampled.steps[0]).toBe(100)
    expect(sampled.steps[sampled.steps.length - 1]).toBe(4999)
  })
})
