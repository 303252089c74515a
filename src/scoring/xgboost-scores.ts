import type { XgboostPredictor } from '../models/formats/xgboost.js'
import type { Scores } from './scoring-model.js'

/**
 * Predictions and probabilities from one pass of margins, with exactly the arithmetic of
 * `XgboostPredictor.predict` / `predictProba` (float32 sigmoid / softmax), so scoring once gives both.
 */
export function xgboostScores(predictor: XgboostPredictor, m: Float64Array, n: number): Scores {
  const { objective, groups } = predictor.model
  const prediction = new Float64Array(n)
  if (objective === 'reg:squarederror') {
    for (let i = 0; i < n; i++) prediction[i] = m[i]!
    return { prediction }
  }
  if (objective === 'binary:logistic') {
    const proba = new Float64Array(n * 2)
    for (let i = 0; i < n; i++) {
      const margin = m[i]!
      prediction[i] = margin > 0 ? 1 : 0
      const p = Math.fround(1 / (1 + Math.exp(-margin)))
      proba[2 * i] = 1 - p
      proba[2 * i + 1] = p
    }
    return { prediction, proba }
  }
  const proba = new Float64Array(n * groups)
  for (let i = 0; i < n; i++) {
    const at = i * groups
    let max = -Infinity
    let best = 0
    for (let c = 0; c < groups; c++) {
      if (m[at + c]! > max) {
        max = m[at + c]!
        best = c
      }
    }
    prediction[i] = best
    let sum = 0
    for (let c = 0; c < groups; c++) {
      const e = Math.exp(m[at + c]! - max)
      proba[at + c] = e
      sum += e
    }
    for (let c = 0; c < groups; c++) proba[at + c] = Math.fround(proba[at + c]! / sum)
  }
  return { prediction, proba }
}
