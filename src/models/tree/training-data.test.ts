import { describe, expect, it } from 'vitest'
import { createRandom } from '../../core/random.js'
import { maxFeaturesCount } from './params.js'
import { binFeatures } from './training-data.js'

describe('binFeatures', () => {
  it('puts every distinct value in its own bin when there are few, with midpoint edges', () => {
    const { bins, nBins, edges } = binFeatures([Float64Array.from([3, 1, 2, 3, 1])], 255)
    expect(nBins[0]).toBe(3)
    expect(Array.from(edges[0]!)).toEqual([1.5, 2.5])
    expect(Array.from(bins)).toEqual([2, 0, 1, 2, 0])
  })

  it('cuts many distinct values at quantiles, consistently with threshold comparisons', () => {
    const random = createRandom(3)
    const values = Float64Array.from({ length: 5000 }, () => random.normal())
    const { bins, nBins, edges } = binFeatures([values, Float64Array.from(values, (v) => -v)], 16)
    for (let f = 0; f < 2; f++) {
      expect(nBins[f]).toBe(16)
      const e = edges[f]!
      const counts = new Array<number>(16).fill(0)
      for (let i = 0; i < values.length; i++) {
        const x = f === 0 ? values[i]! : -values[i]!
        const b = bins[i * 2 + f]!
        counts[b]!++
        // Prediction sends x left at a split on bin b iff x ≤ edges[b]: bins must say the same.
        if (b < 15) expect(x <= e[b]!).toBe(true)
        if (b > 0) expect(x > e[b - 1]!).toBe(true)
      }
      // Quantile bins hold about n/16 rows each.
      for (const c of counts) expect(Math.abs(c - 5000 / 16)).toBeLessThan(20)
    }
  })

  it('never loses a rare value to sampling on large data', () => {
    const values = new Float64Array(120_000)
    values[77_777] = 1
    const { bins, nBins } = binFeatures([values], 255)
    expect(nBins[0]).toBe(2)
    expect(bins[77_777]).toBe(1)
    expect(bins.reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('keeps infinities apart from finite values', () => {
    const { bins, edges } = binFeatures([Float64Array.from([Number.NEGATIVE_INFINITY, 0, 1, Number.POSITIVE_INFINITY])], 255)
    expect(Array.from(bins)).toEqual([0, 1, 2, 3])
    expect(edges[0]!.every((e) => !Number.isNaN(e))).toBe(true)
  })
})

describe('maxFeaturesCount', () => {
  it('resolves counts, fractions and names as scikit-learn does', () => {
    expect(maxFeaturesCount('sqrt', 30, 'classification', true)).toBe(5)
    expect(maxFeaturesCount('log2', 30, 'classification', true)).toBe(4)
    expect(maxFeaturesCount('auto', 30, 'classification', true)).toBe(5)
    expect(maxFeaturesCount('auto', 30, 'regression', true)).toBe(30)
    expect(maxFeaturesCount('auto', 30, 'classification', false)).toBe(30)
    expect(maxFeaturesCount(0.5, 30, 'regression', true)).toBe(15)
    expect(maxFeaturesCount(0.01, 30, 'regression', true)).toBe(1)
    expect(maxFeaturesCount(50, 30, 'regression', true)).toBe(30)
    expect(maxFeaturesCount(1, 30, 'regression', true)).toBe(1)
  })
})
