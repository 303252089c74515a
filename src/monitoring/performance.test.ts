import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import {
  estimateCbpe,
  estimateCbpeOfFrame,
  expectedRocAuc,
  fitCbpeCalibration,
  isotonic,
  realizedPerformance,
  realizedPerformanceOfFrame,
  taskOf,
} from './performance.js'
import type { PredictionOutputs } from './performance.js'

const binaryOutputs = (p: number): PredictionOutputs => ({ prediction: p >= 0.5 ? '1' : '0', probability_0: 1 - p, probability_1: p })

/** n calibrated scores: p from a skewed distribution, y ~ Bernoulli(p). */
function calibratedSample(n: number, seed: number): { p: Float64Array; y: Int32Array } {
  const random = createRandom(seed)
  const p = new Float64Array(n)
  const y = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    p[i] = 1 / (1 + Math.exp(-(random.normal() * 1.6 - 0.8)))
    y[i] = random.next() < p[i]! ? 1 : 0
  }
  return { p, y }
}

const twoColumns = (p: Float64Array): Float64Array => {
  const out = new Float64Array(p.length * 2)
  for (let i = 0; i < p.length; i++) {
    out[2 * i] = 1 - p[i]!
    out[2 * i + 1] = p[i]!
  }
  return out
}

describe('realizedPerformance', () => {
  it('matches scikit-learn on a binary window (fixture values from sklearn 1.2)', () => {
    const y = ['0', '1', '1', '0', '1', '0', '1', '1']
    const p = [0.1, 0.8, 0.4, 0.3, 0.9, 0.6, 0.7, 0.2]
    const m = realizedPerformance('classification', p.map(binaryOutputs), y)
    expect(m['labelled']).toBe(8)
    expect(m['roc_auc']).toBeCloseTo(0.8, 12)
    expect(m['pr_auc']).toBeCloseTo(0.9028571428571428, 12)
    expect(m['f1']).toBeCloseTo(0.6666666666666665, 12)
    expect(m['precision']).toBeCloseTo(0.75, 12)
    expect(m['recall']).toBeCloseTo(0.6, 12)
    expect(m['accuracy']).toBeCloseTo(0.625, 12)
    expect(m['log_loss']).toBeCloseTo(0.5736542308362171, 10)
  })

  it('matches scikit-learn on regression and gives NaN where a metric is undefined', () => {
    const m = realizedPerformance('regression', [2.5, 0, 2, 8].map((prediction) => ({ prediction })), [3, -0.5, 2, 7])
    expect(m['rmse']).toBeCloseTo(0.6123724356957945, 12)
    expect(m['mae']).toBeCloseTo(0.5, 12)
    expect(m['r2']).toBeCloseTo(0.9486081370449679, 12)
    const oneClass = realizedPerformance('classification', [0.2, 0.7].map(binaryOutputs), ['1', '1'])
    expect(oneClass['roc_auc']).toBeNaN()
    expect(oneClass['accuracy']).toBe(0.5)
    expect(taskOf({ prediction: 3.5 })).toBe('regression')
    expect(taskOf(binaryOutputs(0.3))).toBe('classification')
    expect(() => realizedPerformance('classification', [binaryOutputs(0.3)], ['maybe'])).toThrow(/not a class/)
  })
})

describe('estimateCbpe', () => {
  it('computes expected confusion entries exactly on a tiny window', () => {
    // ŷ=1 rows: p 0.9, 0.6 → TP 1.5, FP 0.5; ŷ=0 rows: p 0.2, 0.1 → FN 0.3, TN 1.7.
    const m = estimateCbpe(twoColumns(Float64Array.from([0.9, 0.2, 0.6, 0.1])), ['0', '1'])
    expect(m['precision']).toBeCloseTo(0.75, 12)
    expect(m['recall']).toBeCloseTo(1.5 / 1.8, 12)
    expect(m['f1']).toBeCloseTo(3 / 3.8, 12)
    expect(m['accuracy']).toBeCloseTo(3.2 / 4, 12)
  })

  it('estimates within a few hundredths of the realized metrics on calibrated scores', () => {
    const { p, y } = calibratedSample(40_000, 7)
    const estimated = estimateCbpe(twoColumns(p), ['0', '1'])
    const outputs = Array.from(p, binaryOutputs)
    const realized = realizedPerformance('classification', outputs, Array.from(y, String))
    for (const metric of ['roc_auc', 'precision', 'recall', 'f1', 'accuracy']) {
      expect(Math.abs(estimated[metric]! - realized[metric]!), metric).toBeLessThan(0.02)
    }
    // The estimate is not trivially constant: a better-separated window estimates a higher AUC.
    const sharp = Float64Array.from(p, (v) => (v > 0.5 ? Math.min(0.99, v + 0.3) : Math.max(0.01, v - 0.3)))
    expect(expectedRocAuc(sharp)).toBeGreaterThan(estimated['roc_auc']! + 0.05)
  })

  it('calibrates uncalibrated scores on labelled reference data, and leaves calibrated ones alone', () => {
    const ref = calibratedSample(20_000, 11)
    const cur = calibratedSample(20_000, 12)
    // Overconfident scores: p' = p^0.4 pushes everything up; realized metrics follow the true p.
    const squash = (p: Float64Array): Float64Array => Float64Array.from(p, (v) => v ** 0.4)
    const calibration = fitCbpeCalibration({ probabilities: twoColumns(squash(ref.p)), labels: ref.y, classes: 2 })
    expect(calibration.calibrated).toBe(true)
    const scores = twoColumns(squash(cur.p))
    const realized = realizedPerformance('classification', Array.from(squash(cur.p), binaryOutputs), Array.from(cur.y, String))
    const naive = estimateCbpe(scores, ['0', '1'])
    const fixed = estimateCbpe(scores, ['0', '1'], { calibration })
    expect(Math.abs(naive['precision']! - realized['precision']!)).toBeGreaterThan(0.1)
    for (const metric of ['roc_auc', 'precision', 'recall', 'f1', 'accuracy']) {
      expect(Math.abs(fixed[metric]! - realized[metric]!), metric).toBeLessThan(0.03)
    }
    expect(fitCbpeCalibration({ probabilities: twoColumns(ref.p), labels: ref.y, classes: 2 }).calibrated).toBe(false)
  })

  it('averages one-vs-rest over classes for multiclass, accuracy as the mean probability of the predicted class', () => {
    const proba = Float64Array.from([0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6])
    const m = estimateCbpe(proba, ['a', 'b', 'c'])
    expect(m['accuracy']).toBeCloseTo((0.7 + 0.6 + 0.6) / 3, 12)
    expect(m['rows']).toBe(3)
    expect(m['roc_auc']).toBeGreaterThan(0.5)
    expect(() => estimateCbpe(Float64Array.from([0.5, 0.5, 1]), ['a', 'b'])).toThrow(/multiple/)
  })
})

describe('isotonic', () => {
  it('pools adjacent violators and interpolates between fitted points', () => {
    const f = isotonic([1, 2, 3, 4, 5], [1, 3, 2, 4, 5])
    expect([1, 2, 3, 4, 5].map(f)).toEqual([1, 2.5, 2.5, 4, 5])
    expect(f(0)).toBe(1)
    expect(f(9)).toBe(5)
    expect(f(4.5)).toBeCloseTo(4.5, 12)
  })
})

describe('Frame adapters', () => {
  it('read the output columns a monitor window holds and agree with the record forms', () => {
    const p = [0.1, 0.8, 0.4, 0.3, 0.9, 0.6, 0.7, 0.2]
    const frame = new Frame([
      categoricalColumn('prediction', p.map((v) => (v >= 0.5 ? '1' : '0'))),
      numericColumn('probability_0', p.map((v) => 1 - v)),
      numericColumn('probability_1', p),
    ])
    const y = ['0', '1', '1', '0', '1', '0', '1', '1']
    expect(realizedPerformanceOfFrame('classification', frame, y, ['0', '1'])).toEqual(realizedPerformance('classification', p.map(binaryOutputs), y))
    expect(estimateCbpeOfFrame(frame, ['0', '1'])).toEqual(estimateCbpe(twoColumns(Float64Array.from(p)), ['0', '1']))
    const regression = new Frame([numericColumn('prediction', [2.5, 0, 2, 8])])
    expect(realizedPerformanceOfFrame('regression', regression, [3, -0.5, 2, 7], [])['mae']).toBeCloseTo(0.5, 12)
  })
})
