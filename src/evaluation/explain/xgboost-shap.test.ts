import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { XgboostPredictor } from '../../models/formats/xgboost.js'
import { globalImportance } from './importance.js'
import { explainPredictor } from './explain-predictor.js'

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/xgboost/', import.meta.url))

interface Expected {
  objective: string
  features: string[]
  inputs: Array<Array<number | null>>
  margins: number[] | number[][]
  /** rows × (features + 1), or rows × classes × (features + 1) for multiclass; last = bias. */
  contributions: number[][] | number[][][]
}

function load(name: string): { predictor: XgboostPredictor; expected: Expected; frame: Frame } {
  const predictor = XgboostPredictor.fromJson(JSON.parse(readFileSync(`${FIXTURES}${name}.model.json`, 'utf8')))
  const expected = JSON.parse(readFileSync(`${FIXTURES}${name}.expected.json`, 'utf8')) as Expected
  const frame = new Frame(expected.features.map((f, j) => numericColumn(f, expected.inputs.map((row) => row[j] ?? Number.NaN))))
  return { predictor, expected, frame }
}

describe("TreeSHAP on imported XGBoost models equals XGBoost's pred_contribs", () => {
  for (const name of ['binary', 'regression', 'multiclass']) {
    it(`${name}: every contribution and the bias within 1e-5, and each row sums to XGBoost's margin`, () => {
      const { predictor, expected, frame } = load(name)
      const nGroups = name === 'multiclass' ? 3 : 1
      // Through the generic entry point: it must detect the boosted trees and their output groups itself.
      const shap = explainPredictor(predictor, frame)
      expect(shap.nGroups).toBe(nGroups)
      const width = predictor.features.length + 1
      expect(shap.rows).toBe(expected.inputs.length)
      let compared = 0
      for (let i = 0; i < shap.rows; i++) {
        for (let g = 0; g < nGroups; g++) {
          const want = (nGroups === 1 ? expected.contributions[i] : (expected.contributions[i] as number[][])[g]) as number[]
          const margin = nGroups === 1 ? (expected.margins[i] as number) : (expected.margins[i] as number[])[g]!
          let sum = 0
          for (let f = 0; f < width; f++) {
            const got = shap.values[(i * nGroups + g) * width + f]!
            expect(Math.abs(got - want[f]!)).toBeLessThan(1e-5)
            sum += got
            compared++
          }
          expect(Math.abs(sum - margin)).toBeLessThan(1e-5)
        }
      }
      expect(compared).toBe(expected.inputs.length * nGroups * width)
      // The global summary is mean |SHAP| per feature over the same rows.
      const global = globalImportance(shap)
      const top = global.features[0]!
      const f = predictor.features.indexOf(top.feature)
      let mean = 0
      for (let i = 0; i < shap.rows; i++) for (let g = 0; g < nGroups; g++) mean += Math.abs(shap.values[(i * nGroups + g) * width + f]!)
      expect(top.importance).toBeCloseTo(mean / shap.rows, 12)
      expect(JSON.parse(JSON.stringify(global))).toEqual(global)
    })
  }
})
