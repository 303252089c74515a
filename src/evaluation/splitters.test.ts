import { describe, expect, it } from 'vitest'
import { readFixture } from './fixture.test-support.js'
import { holdout, kFold, kFoldAssignment, stratifiedKFold, stratifiedKFoldAssignment } from './splitters.js'

const folds = readFixture<{ folds: Record<string, number[]> }>('metrics.json').folds
const y = folds['y']!

function counts(values: ArrayLike<number>): Map<number, number> {
  const out = new Map<number, number>()
  for (let i = 0; i < values.length; i++) out.set(values[i]!, (out.get(values[i]!) ?? 0) + 1)
  return out
}

describe('k-fold and stratified k-fold', () => {
  it.each([3, 5])('stratified %i-fold assigns every row to the same fold as scikit-learn', (k) => {
    expect([...stratifiedKFoldAssignment(y, { folds: k })]).toEqual(folds[`stratified_${k}`])
  })

  it.each([
    [23, 5],
    [10, 3],
  ])('unshuffled k-fold of %i rows into %i folds matches scikit-learn', (n, k) => {
    expect([...kFoldAssignment(n, { folds: k })]).toEqual(folds[`kfold_${n}_${k}`])
  })

  it('shuffled stratified folds keep scikit-learn fold sizes per class, and the seed decides the rows', () => {
    const plain = stratifiedKFoldAssignment(y, { folds: 5 })
    const a = stratifiedKFoldAssignment(y, { folds: 5, shuffle: true, seed: 1 })
    const b = stratifiedKFoldAssignment(y, { folds: 5, shuffle: true, seed: 1 })
    const c = stratifiedKFoldAssignment(y, { folds: 5, shuffle: true, seed: 2 })
    expect([...a]).toEqual([...b])
    expect([...a]).not.toEqual([...c])
    expect([...a]).not.toEqual([...plain])
    for (const cls of [0, 1, 2]) {
      const rows = y.flatMap((v, i) => (v === cls ? [i] : []))
      expect(counts(rows.map((i) => a[i]!))).toEqual(counts(rows.map((i) => plain[i]!)))
    }
  })

  it('splits cover every row exactly once as test, and never mix train and test', () => {
    for (const splits of [kFold(23, { folds: 5, shuffle: true, seed: 3 }), stratifiedKFold(y, { folds: 3 })]) {
      const seen = new Int32Array(splits[0]!.train.length + splits[0]!.test.length)
      for (const { train, test } of splits) {
        for (const i of test) seen[i]!++
        const testSet = new Set(test)
        expect([...train].some((i) => testSet.has(i))).toBe(false)
        expect(train.length + test.length).toBe(seen.length)
      }
      expect([...seen].every((c) => c === 1)).toBe(true)
    }
  })

  it('rejects impossible fold counts with the fix', () => {
    expect(() => kFold(3, { folds: 5 })).toThrowError(/only 3 rows/)
    expect(() => stratifiedKFold([0, 0, 1, 1], { folds: 3 })).toThrowError(/no class has that many rows/)
    expect(() => kFold(10, { folds: 1 })).toThrowError(/at least 2/)
  })
})

describe('holdout', () => {
  it('has ceil(testFraction × n) test rows, is reproducible by seed, and stratifies', () => {
    const a = holdout(54, { testFraction: 0.25, seed: 5 })
    expect(a.test.length).toBe(14)
    expect(a.train.length).toBe(40)
    expect([...holdout(54, { testFraction: 0.25, seed: 5 }).test]).toEqual([...a.test])
    expect([...holdout(54, { testFraction: 0.25, seed: 6 }).test]).not.toEqual([...a.test])
    const s = holdout(y.length, { testFraction: 0.5, seed: 1, stratify: y })
    const all = counts(y)
    const test = counts([...s.test].map((i) => y[i]!))
    for (const [cls, n] of all) expect(Math.abs(test.get(cls)! - n / 2)).toBeLessThanOrEqual(1)
    expect(s.test.length).toBe(Math.ceil(y.length / 2))
  })

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => holdout(10, { testFraction: 1 })).toThrowError(/testFraction/)
  })
})
