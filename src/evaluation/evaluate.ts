import { invalidParameter, isKeelError } from '../core/errors.js'
import { calibrationCurve } from './calibration-curve.js'
import type { CalibrationCurve, CalibrationOptions } from './calibration-curve.js'
import { accuracy, classificationReport, confusionMatrix, precisionRecallF1 } from './classification-metrics.js'
import type { ClassificationReport, ConfusionMatrix } from './classification-metrics.js'
import { checkLabels, checkNotEmpty } from './input.js'
import type { Numbers } from './input.js'
import { brierScore, logLoss, scoreColumns } from './probability-metrics.js'
import { averagePrecision, rocAuc } from './ranking-metrics.js'
import {
  maxError,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from './regression-metrics.js'

export interface ClassifierEvaluationInput {
  /** True class indices. */
  yTrue: Numbers
  /** Probabilities: rows × classes (row-major, as `predictProba`), or one positive-class probability per row. */
  proba: Numbers
  /** Predicted class indices; default: the most probable class of each row (first on ties). */
  yPred?: Numbers
  /** Class names, in column order (used in the report). */
  classes?: readonly string[]
  sampleWeight?: Numbers
  /** Binary problems: the positive class index (default 1). */
  posLabel?: number
  /** Binary problems: the calibration curve's bins (default 10 uniform bins). */
  calibration?: CalibrationOptions
}

export interface ClassifierEvaluation {
  /** Flat, loggable: accuracy, precision, recall, f1 (binary: of posLabel; multiclass: macro), their macro,
   * micro and weighted forms, roc_auc, pr_auc, log_loss, brier_score, example_count. */
  metrics: Record<string, number>
  confusionMatrix: ConfusionMatrix
  report: ClassificationReport
  /** Binary problems only. */
  calibration?: CalibrationCurve
  /** Metrics left out because they are undefined on this data (e.g. ROC AUC with one class present). */
  warnings: string[]
}

export function evaluateClassifier(input: ClassifierEvaluationInput): ClassifierEvaluation {
  const { yTrue, proba } = input
  checkNotEmpty('yTrue', yTrue)
  checkLabels('yTrue', yTrue)
  const n = yTrue.length
  const columns = scoreColumns('proba', proba, n)
  const k = Math.max(columns, 2, input.classes?.length ?? 0)
  if (input.classes !== undefined && columns > 1 && input.classes.length !== columns) {
    throw invalidParameter(`'classes' names ${input.classes.length} classes but 'proba' has ${columns} columns; pass one name per column.`)
  }
  const yPred = input.yPred ?? argmaxRows(proba, n, columns)
  const posLabel = input.posLabel ?? 1
  const binary = k === 2
  const weight = input.sampleWeight === undefined ? {} : { sampleWeight: input.sampleWeight }
  const labels = Array.from({ length: k }, (_, i) => i)
  const metrics: Record<string, number> = { example_count: n, accuracy: accuracy(yTrue, yPred, weight) }
  for (const average of ['macro', 'micro', 'weighted'] as const) {
    const prf = precisionRecallF1(yTrue, yPred, { ...weight, labels, average })
    metrics[`precision_${average}`] = prf.precision
    metrics[`recall_${average}`] = prf.recall
    metrics[`f1_${average}`] = prf.f1
  }
  const headline = binary ? precisionRecallF1(yTrue, yPred, { ...weight, average: 'binary', posLabel }) : undefined
  metrics['precision'] = headline?.precision ?? metrics['precision_macro']!
  metrics['recall'] = headline?.recall ?? metrics['recall_macro']!
  metrics['f1'] = headline?.f1 ?? metrics['f1_macro']!

  // Binary metrics score the positive class's probability.
  const positive = binary && columns === 2 ? column(proba, n, 2, posLabel) : proba
  const warnings: string[] = []
  const attempt = (name: string, compute: () => number): void => {
    try {
      metrics[name] = compute()
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'INVALID_PARAMETER_VALUE') throw error
      warnings.push(`${name}: ${error.message}`)
    }
  }
  attempt('roc_auc', () => rocAuc(yTrue, positive, { ...weight, posLabel }))
  attempt('pr_auc', () => averagePrecision(yTrue, positive, { ...weight, posLabel }))
  metrics['log_loss'] = logLoss(yTrue, binary && columns === 1 && posLabel === 0 ? complement(proba) : proba, weight)
  metrics['brier_score'] = brierScore(yTrue, positive, { ...weight, posLabel })

  const reportOptions = input.classes === undefined ? { ...weight, labels } : { ...weight, labels, classNames: input.classes }
  const result: ClassifierEvaluation = {
    metrics,
    confusionMatrix: confusionMatrix(yTrue, yPred, { ...weight, labels }),
    report: classificationReport(yTrue, yPred, reportOptions),
    warnings,
  }
  if (binary) result.calibration = calibrationCurve(yTrue, positive, { bins: 10, posLabel, ...input.calibration })
  return result
}

export interface RegressorEvaluation {
  /** Flat, loggable: mae, mse, rmse, r2, mape, max_error, example_count. */
  metrics: Record<string, number>
}

export function evaluateRegressor(input: { yTrue: Numbers; yPred: Numbers; sampleWeight?: Numbers }): RegressorEvaluation {
  const { yTrue, yPred } = input
  const weight = input.sampleWeight === undefined ? {} : { sampleWeight: input.sampleWeight }
  return {
    metrics: {
      example_count: yTrue.length,
      mae: meanAbsoluteError(yTrue, yPred, weight),
      mse: meanSquaredError(yTrue, yPred, weight),
      rmse: rootMeanSquaredError(yTrue, yPred, weight),
      r2: r2Score(yTrue, yPred, weight),
      mape: meanAbsolutePercentageError(yTrue, yPred, weight),
      max_error: maxError(yTrue, yPred),
    },
  }
}

/** Whether a larger value of a metric named by `evaluateClassifier`/`evaluateRegressor` is better. */
export function greaterIsBetter(metric: string): boolean {
  return !/(^|_)(loss|error|mae|mse|rmse|mape|brier|brier_score)(_|$)/.test(metric)
}

function argmaxRows(proba: Numbers, n: number, k: number): Int32Array {
  const out = new Int32Array(n)
  if (k === 1) {
    // One probability per row: the positive class wins only above 0.5, as argmax over [1 - p, p].
    for (let i = 0; i < n; i++) out[i] = proba[i]! > 0.5 ? 1 : 0
    return out
  }
  for (let i = 0; i < n; i++) {
    let best = 0
    for (let j = 1; j < k; j++) if (proba[i * k + j]! > proba[i * k + best]!) best = j
    out[i] = best
  }
  return out
}

function column(values: Numbers, n: number, k: number, j: number): Float64Array {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = values[i * k + j]!
  return out
}

function complement(values: Numbers): Float64Array {
  return Float64Array.from(values, (v) => 1 - v)
}
