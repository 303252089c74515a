import { describe, expect, it } from 'vitest'
import { loadFeaturesFixture } from '../../test/fixtures/features/load-features-fixture.js'
import { fitTransform } from './fitted-transform.js'
import { assignFolds } from './assign-folds.js'

const fx = loadFeaturesFixture()
const features = fx.train.drop(['y'])
const y = fx.train.numeric('y')

describe('target encoding is cross-fitted against leakage', () => {
  it('encodes each training row with statistics from the other folds only', () => {
    const spec = { type: 'targetEncode', columns: ['city'], smoothing: 3, folds: 4 }
    const { training } = fitTransform(spec, features, { seed: 5, target: y })
    const folds = assignFolds(features.rows, 4, 5)
    const oof = training.numeric('city')
    let checked = 0
    for (let k = 0; k < 4; k++) {
      const rest: number[] = []
      const inFold: number[] = []
      for (let i = 0; i < folds.length; i++) (folds[i] === k ? inFold : rest).push(i)
      // The full-data encoder fitted on the other folds must give exactly the out-of-fold values of fold k.
      const { fitted } = fitTransform(spec, features.take(rest), { seed: 5, target: y.filter((_, i) => folds[i] !== k) })
      const encoded = fitted.transform(features.take(inFold)).numeric('city')
      inFold.forEach((row, j) => {
        expect(oof[row]).toBeCloseTo(encoded[j]!, 12)
        checked++
      })
    }
    expect(checked).toBe(features.rows)
  })

  it('is reproducible for a seed and changes with it', () => {
    const spec = { type: 'targetEncode', columns: ['plan'], folds: 5 }
    const a = fitTransform(spec, features, { seed: 1, target: y }).training.numeric('plan')
    const b = fitTransform(spec, features, { seed: 1, target: y }).training.numeric('plan')
    const c = fitTransform(spec, features, { seed: 2, target: y }).training.numeric('plan')
    expect(b).toEqual(a)
    expect(c).not.toEqual(a)
  })

  it('assigns folds of near-equal size', () => {
    const folds = assignFolds(103, 5, 9)
    const sizes = [0, 0, 0, 0, 0]
    for (const f of folds) sizes[f]!++
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
  })

  it('needs a target, and a usable one', () => {
    expect(() => fitTransform({ type: 'targetEncode', columns: ['city'] }, features, { seed: 0 })).toThrow(/fitted without a target/)
  })
})
