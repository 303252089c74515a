import type { Scores } from '../../scoring/scoring-model.js'
import type { ServedVersion } from '../types.js'

/**
 * What a protocol reads out of `Scores`: per-row predictions as the caller sees them (class labels for
 * classifiers), probabilities per class, or a multi-column raw output (ONNX). Shared by /v2 and /invocations
 * so both answer the same values.
 */
export interface AnswerValues {
  readonly rows: number
  /** Class labels of a classifier (probabilities are per class in this order). */
  readonly classes: readonly string[] | undefined
  readonly scores: Scores
  /** Values per row of `prediction` (1, or an ONNX output's width). */
  readonly width: number
}

export function answerValues(served: ServedVersion, scores: Scores, rows: number): AnswerValues {
  const classes = scores.proba === undefined ? undefined : (served.scorer.classes ?? defaultClasses(scores.proba.length / Math.max(rows, 1)))
  return { rows, classes, scores, width: scores.width ?? 1 }
}

function defaultClasses(k: number): string[] {
  return Array.from({ length: Math.round(k) }, (_, i) => String(i))
}

/** Row `r`'s prediction: a class label, a number, or null when the model gave NaN. */
export function predictionAt(values: AnswerValues, r: number): number | string | null {
  const v = values.scores.prediction[r * values.width]!
  if (values.classes !== undefined) return values.classes[v] ?? (Number.isFinite(v) ? v : null)
  return Number.isFinite(v) ? v : null
}

/** Row `r` as captured: `prediction` (or `prediction_<j>` for multi-column outputs) and `probability_<class>`. */
export function capturedOutputs(values: AnswerValues, r: number): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {}
  if (values.width > 1) {
    for (let j = 0; j < values.width; j++) out[`prediction_${j}`] = finite(values.scores.prediction[r * values.width + j]!)
    return out
  }
  out['prediction'] = predictionAt(values, r)
  const { classes } = values
  const proba = values.scores.proba
  if (classes !== undefined && proba !== undefined) {
    const k = classes.length
    for (let c = 0; c < k; c++) out[`probability_${classes[c]!}`] = finite(proba[r * k + c]!)
  }
  return out
}

export function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null
}
