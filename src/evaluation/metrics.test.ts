import { describe, expect, it } from 'vitest'
import { calibrationCurve } from './calibration-curve.js'
import { accuracy, classificationReport, confusionMatrix, f1, precisionRecallF1 } from './classification-metrics.js'
import { evaluateClassifier, evaluateRegressor } from './evaluate.js'
import { readFixture } from './fixture.test-support.js'
import { brierScore, logLoss } from './probability-metrics.js'
import { averagePrecision, rocAuc } from './ranking-metrics.js'
import {
  maxError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from './regression-metrics.js'

type ReportEntry = { precision: number; recall: number; 'f1-score': number; support: number }
interface Case {
  y_true: number[]
  y_pred: number[]
  scores?: number[]
  proba?: number[]
  k?: number
  sample_weight?: number[]
  expected: Record<string, number> & { confusion_matrix: number[]; report: Record<string, ReportEntry | number> }
}
interface Fixture {
  binary: Case
  binary_weighted: Case
  multiclass: Case
  multiclass_weighted: Case
  regression: { y_true: number[]; y_pred: number[]; sample_weight?: number[]; expected: Record<string, number> }
  regression_weighted: { y_true: number[]; y_pred: number[]; sample_weight?: number[]; expected: Record<string, number> }
  calibration: {
    continuous_y: number[]
    continuous_scores: number[]
    curves: Record<string, { prob_true: number[]; prob_pred: number[] }>
  }
}

const fixture = readFixture<Fixture>('metrics.json')
const TOL = 1e-9

function close(actual: number, expected: number | undefined): void {
  expect(expected).toBeTypeOf('number')
  expect(Math.abs(actual - expected!)).toBeLessThanOrEqual(TOL * Math.max(1, Math.abs(expected!)))
}

function closeArrays(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length)
  for (let i = 0; i < expected.length; i++) close(actual[i]!, expected[i])
}

const y = (c: Case) => Float64Array.from(c.y_true)
const p = (c: Case) => Float64Array.from(c.y_pred)
const weightOf = (c: { sample_weight?: number[] }) => (c.sample_weight === undefined ? {} : { sampleWeight: Float64Array.from(c.sample_weight) })

function checkReport(c: Case, report: ReturnType<typeof classificationReport>): void {
  const e = c.expected.report
  for (const row of report.classes) {
    const want = e[String(row.label)] as ReportEntry
    close(row.precision, want.precision)
    close(row.recall, want.recall)
    close(row.f1, want['f1-score'])
    close(row.support, want.support)
  }
  close(report.accuracy, e['accuracy'] as number)
  const macro = e['macro avg'] as ReportEntry
  const weighted = e['weighted avg'] as ReportEntry
  close(report.macro.f1, macro['f1-score'])
  close(report.macro.precision, macro.precision)
  close(report.weighted.recall, weighted.recall)
  close(report.weighted.f1, weighted['f1-score'])
}

describe.each([
  ['unweighted', fixture.binary],
  ['weighted', fixture.binary_weighted],
])('binary metrics (%s) equal scikit-learn 1.2', (_, c) => {
  const w = weightOf(c)
  const scores = Float64Array.from(c.scores!)
  const e = c.expected

  it('accuracy, precision, recall and F1 for each positive label', () => {
    close(accuracy(y(c), p(c), w), e['accuracy'])
    const pos1 = precisionRecallF1(y(c), p(c), { ...w, average: 'binary', posLabel: 1 })
    close(pos1.precision, e['precision'])
    close(pos1.recall, e['recall'])
    close(pos1.f1, e['f1'])
    const pos0 = precisionRecallF1(y(c), p(c), { ...w, average: 'binary', posLabel: 0 })
    close(pos0.precision, e['precision_pos0'])
    close(pos0.recall, e['recall_pos0'])
    close(pos0.f1, e['f1_pos0'])
    close(f1(y(c), p(c), { ...w, average: 'macro' }), e['f1_macro'])
  })

  it('ROC AUC, average precision, log loss and Brier score on tied scores', () => {
    expect(new Set(c.scores).size).toBeLessThan(c.scores!.length / 5)
    close(rocAuc(y(c), scores, w), e['roc_auc'])
    close(averagePrecision(y(c), scores, w), e['pr_auc'])
    close(logLoss(y(c), scores, w), e['log_loss'])
    close(brierScore(y(c), scores, w), e['brier'])
  })

  it('confusion matrix and report', () => {
    closeArrays(confusionMatrix(y(c), p(c), w).matrix, e.confusion_matrix)
    checkReport(c, classificationReport(y(c), p(c), w))
  })

  it('evaluateClassifier gives the same numbers from two-column probabilities', () => {
    const proba = new Float64Array(scores.length * 2)
    scores.forEach((s, i) => {
      proba[2 * i] = 1 - s
      proba[2 * i + 1] = s
    })
    const result = evaluateClassifier({ yTrue: y(c), proba, yPred: p(c), ...w })
    close(result.metrics['accuracy']!, e['accuracy'])
    close(result.metrics['f1']!, e['f1'])
    close(result.metrics['f1_macro']!, e['f1_macro'])
    close(result.metrics['roc_auc']!, e['roc_auc'])
    close(result.metrics['pr_auc']!, e['pr_auc'])
    close(result.metrics['log_loss']!, e['log_loss'])
    close(result.metrics['brier_score']!, e['brier'])
    closeArrays(result.confusionMatrix.matrix, e.confusion_matrix)
    expect(result.calibration?.probTrue.length).toBeGreaterThan(0)
    expect(result.warnings).toEqual([])
  })
})

describe.each([
  ['unweighted', fixture.multiclass],
  ['weighted', fixture.multiclass_weighted],
])('multiclass metrics (%s) equal scikit-learn 1.2', (_, c) => {
  const w = weightOf(c)
  const proba = Float64Array.from(c.proba!)
  const e = c.expected

  it('precision, recall and F1 with macro, micro and weighted averages', () => {
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      const prf = precisionRecallF1(y(c), p(c), { ...w, average })
      close(prf.precision, e[`precision_${average}`])
      close(prf.recall, e[`recall_${average}`])
      close(prf.f1, e[`f1_${average}`])
    }
  })

  it('one-vs-rest ROC AUC (macro and weighted), average precision, log loss, Brier', () => {
    close(rocAuc(y(c), proba, w), e['roc_auc_ovr_macro'])
    close(rocAuc(y(c), proba, { ...w, average: 'weighted' }), e['roc_auc_ovr_weighted'])
    close(averagePrecision(y(c), proba, w), e['pr_auc_macro'])
    close(logLoss(y(c), proba, w), e['log_loss'])
    close(brierScore(y(c), proba, w), e['brier'])
  })

  it('evaluateClassifier returns all of them, flat and structured', () => {
    const result = evaluateClassifier({ yTrue: y(c), proba, yPred: p(c), classes: ['a', 'b', 'c'], ...w })
    close(result.metrics['accuracy']!, e['accuracy'])
    close(result.metrics['f1']!, e['f1_macro'])
    close(result.metrics['f1_weighted']!, e['f1_weighted'])
    close(result.metrics['precision_micro']!, e['precision_micro'])
    close(result.metrics['roc_auc']!, e['roc_auc_ovr_macro'])
    close(result.metrics['pr_auc']!, e['pr_auc_macro'])
    close(result.metrics['log_loss']!, e['log_loss'])
    close(result.metrics['brier_score']!, e['brier'])
    closeArrays(result.confusionMatrix.matrix, e.confusion_matrix)
    checkReport(c, result.report)
    expect(result.report.classes.map((r) => r.name)).toEqual(['a', 'b', 'c'])
    expect(result.calibration).toBeUndefined()
  })
})

describe.each([
  ['unweighted', fixture.regression],
  ['weighted', fixture.regression_weighted],
])('regression metrics (%s) equal scikit-learn 1.2', (_, c) => {
  const yt = Float64Array.from(c.y_true)
  const yp = Float64Array.from(c.y_pred)
  const w = weightOf(c)
  const e = c.expected

  it('each metric function', () => {
    close(meanAbsoluteError(yt, yp, w), e['mae'])
    close(meanSquaredError(yt, yp, w), e['mse'])
    close(rootMeanSquaredError(yt, yp, w), e['rmse'])
    close(r2Score(yt, yp, w), e['r2'])
    close(meanAbsolutePercentageError(yt, yp, w), e['mape'])
    close(maxError(yt, yp), e['max_error'])
  })

  it('evaluateRegressor', () => {
    const { metrics } = evaluateRegressor({ yTrue: yt, yPred: yp, ...w })
    for (const key of ['mae', 'mse', 'rmse', 'r2', 'mape', 'max_error']) close(metrics[key]!, e[key])
    expect(metrics['example_count']).toBe(yt.length)
  })
})

describe('calibration curve equals scikit-learn 1.2', () => {
  const curves = fixture.calibration.curves
  it.each(['uniform_5', 'uniform_10', 'quantile_5', 'quantile_10'])('%s on scores that sit on bin edges', (name) => {
    const [strategy, bins] = name.split('_') as ['uniform' | 'quantile', string]
    const curve = calibrationCurve(y(fixture.binary), Float64Array.from(fixture.binary.scores!), { strategy, bins: Number(bins) })
    closeArrays(curve.probTrue, curves[name]!.prob_true)
    closeArrays(curve.probPred, curves[name]!.prob_pred)
  })

  it.each(['uniform', 'quantile'] as const)('%s on continuous scores', (strategy) => {
    const { continuous_y, continuous_scores } = fixture.calibration
    const curve = calibrationCurve(continuous_y, continuous_scores, { strategy, bins: 7 })
    closeArrays(curve.probTrue, curves[`continuous_${strategy}_7`]!.prob_true)
    closeArrays(curve.probPred, curves[`continuous_${strategy}_7`]!.prob_pred)
    expect(curve.counts.reduce((a, b) => a + b, 0)).toBe(continuous_y.length)
  })
})

describe('bad input is an INVALID_PARAMETER_VALUE naming the problem', () => {
  const invalid = (fn: () => unknown, message: RegExp) =>
    expect(fn).toThrowError(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(message) }))

  it('one class only, lengths, labels, weights, non-finite values', () => {
    invalid(() => rocAuc([1, 1, 1], [0.2, 0.4, 0.9]), /Only one class/)
    invalid(() => accuracy([0, 1], [0]), /'yPred' has 1 values/)
    invalid(() => accuracy([0, 1.5], [0, 1]), /'yTrue' has 1.5 at row 1/)
    invalid(() => accuracy([0, 1], [0, 1], { sampleWeight: [1, -1] }), /sampleWeight/)
    invalid(() => meanSquaredError([0, Number.NaN], [0, 1]), /'yTrue' has NaN at row 1/)
    invalid(() => logLoss([0, 1, 2], [0.2, 0.8, 0.5, 0.5, 0.1, 0.9]), /class 2 .* 2 columns/)
    invalid(() => rocAuc([0, 1, 2], [0.2, 0.2, 0.6, 0.5, 0.4, 0.1, 0.1, 0.1, 0.1]), /row 2 sum to/)
    invalid(() => precisionRecallF1([0, 1, 2], [0, 1, 2], { average: 'binary' }), /multiclass/)
    invalid(() => calibrationCurve([0, 1], [0.5, 1.2]), /\[0, 1\]/)
  })

  it('evaluateClassifier reports an undefined ROC AUC as a warning, not a crash', () => {
    const result = evaluateClassifier({ yTrue: [1, 1, 1], proba: [0.2, 0.7, 0.9] })
    expect(result.metrics['roc_auc']).toBeUndefined()
    expect(result.warnings.join()).toMatch(/roc_auc: Only one class/)
    expect(result.metrics['accuracy']).toBeCloseTo(2 / 3, 12)
  })
})
