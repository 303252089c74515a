import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { rocAuc } from '../../evaluation/ranking-metrics.js'
import { fitGbdt } from './gbdt.js'

/** Fixtures written by test/fixtures/gbdt/make_gbdt.py (scikit-learn 1.2 HistGradientBoosting, ~5 % NaN). */
interface Fixture {
  n_test: number
  params: Record<string, number>
  columns: Record<string, Array<number | null>>
  target: number[]
  scores: Record<string, number>
}

function load(name: string): { train: Frame; test: Frame; fixture: Fixture } {
  const fixture = JSON.parse(readFileSync(new URL(`../../../test/fixtures/gbdt/${name}.json`, import.meta.url), 'utf8')) as Fixture
  const frame = new Frame([
    ...Object.entries(fixture.columns).map(([k, v]) => numericColumn(k, v.map((x) => (x === null ? Number.NaN : x)))),
    numericColumn('y', fixture.target),
  ])
  const cut = frame.rows - fixture.n_test
  return { train: frame.slice(0, cut), test: frame.slice(cut), fixture }
}

function accuracy(predicted: Float64Array, classes: readonly string[], y: Float64Array): number {
  let hits = 0
  for (let i = 0; i < y.length; i++) if (Number(classes[predicted[i]!]) === y[i]) hits++
  return hits / y.length
}

function r2(predicted: Float64Array, y: Float64Array): number {
  let mean = 0
  for (const v of y) mean += v / y.length
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i]! - predicted[i]!) ** 2
    ssTot += (y[i]! - mean) ** 2
  }
  return 1 - ssRes / ssTot
}

describe('gbdt vs scikit-learn HistGradientBoosting (same lr, rounds, leaves, min_samples_leaf, l2)', () => {
  it('binary logistic: holdout AUC within 0.01', async () => {
    const { train, test, fixture } = load('binary')
    const model = await fitGbdt(train, 'y', 'classification', fixture.params)
    const p = model.predictProba(test)
    const scores = new Float64Array(test.rows)
    for (let i = 0; i < test.rows; i++) scores[i] = p[2 * i + 1]!
    const auc = rocAuc(test.numeric('y'), scores)
    expect(Math.abs(auc - fixture.scores['auc']!)).toBeLessThan(0.01)
    expect(Math.abs(accuracy(model.predict(test), model.classes!, test.numeric('y')) - fixture.scores['accuracy']!)).toBeLessThan(0.015)
  })

  it('multiclass softmax: holdout accuracy within 0.015', async () => {
    const { train, test, fixture } = load('multiclass')
    const model = await fitGbdt(train, 'y', 'classification', fixture.params)
    expect(model.model.nOut).toBe(3)
    const acc = accuracy(model.predict(test), model.classes!, test.numeric('y'))
    expect(Math.abs(acc - fixture.scores['accuracy']!)).toBeLessThan(0.015)
  })

  it('squared error and absolute error: holdout R² within 0.01', async () => {
    const { train, test, fixture } = load('regression')
    const squared = await fitGbdt(train, 'y', 'regression', fixture.params)
    expect(Math.abs(r2(squared.predict(test), test.numeric('y')) - fixture.scores['r2']!)).toBeLessThan(0.01)
    const absolute = await fitGbdt(train, 'y', 'regression', { ...fixture.params, objective: 'absolute_error' })
    expect(Math.abs(r2(absolute.predict(test), test.numeric('y')) - fixture.scores['r2_absolute_error']!)).toBeLessThan(0.01)
  })
})
