import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import { gbdt } from '../../models/gbdt/index.js'
import type { GbdtPredictor } from '../../models/gbdt/gbdt-predictor.js'
import { explainPredictor } from './explain-predictor.js'

function data(rows: number, classes: number): Frame {
  const random = createRandom(7)
  const x = Array.from({ length: 4 }, () => new Float64Array(rows))
  const y = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    for (const column of x) column[i] = random.normal()
    // A missing value now and then, so the learned default directions are part of what is explained.
    if (i % 17 === 0) x[2]![i] = Number.NaN
    const score = x[0]![i]! + 0.5 * x[1]![i]! * (x[3]![i]! > 0 ? 1 : -1)
    y[i] = classes === 2 ? (score > 0 ? 1 : 0) : score < -0.5 ? 0 : score < 0.5 ? 1 : 2
  }
  return new Frame([...x.map((v, j) => numericColumn(`x${j}`, v)), numericColumn('y', y)])
}

describe('TreeSHAP for keel gbdt models', () => {
  for (const classes of [2, 3]) {
    it(`sums to the model's margin for every row and output (${classes} classes)`, async () => {
      const frame = data(600, classes)
      const predictor = (await gbdt.fit(frame, 'y', 'classification', gbdt.resolveParams({ nRounds: 15, minSamplesLeaf: 5, threads: 1 }))) as GbdtPredictor
      const shap = explainPredictor(predictor, frame)
      const margins = predictor.predictMargin(frame)
      const width = predictor.features.length + 1
      expect(shap.nGroups).toBe(classes === 2 ? 1 : 3)
      for (let row = 0; row < frame.rows; row++) {
        for (let g = 0; g < shap.nGroups; g++) {
          let sum = 0
          for (let f = 0; f < width; f++) sum += shap.values[(row * shap.nGroups + g) * width + f]!
          expect(sum).toBeCloseTo(margins[row * shap.nGroups + g]!, 9)
        }
      }
      // x1 only matters through its interaction with x3's sign; the unused-by-construction columns matter least.
      const meanAbs = (f: number): number => {
        let s = 0
        for (let row = 0; row < frame.rows; row++) s += Math.abs(shap.values[row * shap.nGroups * width + f]!)
        return s / frame.rows
      }
      expect(meanAbs(0)).toBeGreaterThan(meanAbs(2))
    })
  }
})
