import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { XgboostFastMargins } from './xgboost-fast.js'

const FIXTURES = new URL('../../test/fixtures/xgboost/', import.meta.url).pathname

describe('XgboostFastMargins', () => {
  it.each(['binary', 'multiclass', 'regression'])('gives exactly XgboostPredictor margins (%s), with and without missing values', (kind) => {
    const predictor = XgboostPredictor.fromJson(readFileSync(`${FIXTURES}${kind}.model.json`, 'utf8'))
    const fast = XgboostFastMargins.compile(predictor)
    expect(fast).toBeDefined()
    const random = createRandom(3)
    const n = 1000
    for (const missingRate of [0, 0.2]) {
      const frame = new Frame(
        predictor.features.map((f) =>
          numericColumn(f, Float64Array.from({ length: n }, () => (random.next() < missingRate ? Number.NaN : (random.next() - 0.5) * 200))),
        ),
      )
      expect(Array.from(fast!.margins(frame))).toEqual(Array.from(predictor.predictMargin(frame)))
      // One row at a time, as JSON rows (missing as null), gives the same margins.
      for (let i = 0; i < 50; i++) {
        const row = Object.fromEntries(Object.entries(frame.row(i)))
        expect(Array.from(fast!.marginsRow(row))).toEqual(Array.from(predictor.predictMargin(frame.slice(i, i + 1))))
      }
      // A row range scores the same rows as the whole frame.
      const groups = predictor.model.groups
      expect(Array.from(fast!.margins(frame, 300, 700))).toEqual(Array.from(predictor.predictMargin(frame)).slice(300 * groups, 700 * groups))
    }
  })
})
