import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { XgboostFastMargins } from './xgboost-fast.js'
import { XgboostScorerPool } from './xgboost-pool.js'

const FIXTURES = new URL('../../test/fixtures/xgboost/', import.meta.url).pathname
const KINDS = ['binary', 'multiclass', 'regression'] as const

/** XGBoost's CPU predictor written plainly (node by node, float32), independent of every fast path. */
function referenceMargins(predictor: XgboostPredictor, frame: Frame): Float64Array {
  const trees = predictor.trees()
  const groupOf = predictor.treeGroups()
  const groups = predictor.model.groups
  const columns = predictor.features.map((f) => frame.numeric(f))
  const out = new Float64Array(frame.rows * groups)
  for (let i = 0; i < frame.rows; i++) {
    for (let g = 0; g < groups; g++) out[i * groups + g] = predictor.baseMargin
    trees.forEach((t, ti) => {
      let k = 0
      for (let steps = 0; t.feature[k]! >= 0 && steps < 1000; steps++) {
        const v = Math.fround(columns[t.feature[k]!]![i]!)
        const thr = Math.fround(t.threshold[k]!)
        k = v < thr ? t.left[k]! : v >= thr ? t.right[k]! : t.missingGoesLeft[k] === 1 ? t.left[k]! : t.right[k]!
      }
      const o = i * groups + groupOf[ti]!
      out[o] = Math.fround(out[o]! + Math.fround(t.value[k]!))
    })
  }
  return out
}

function randomFrame(features: readonly string[], n: number, missingRate: number, seed: number): Frame {
  const random = createRandom(seed)
  return new Frame(features.map((f) => numericColumn(f, Float64Array.from({ length: n }, () => (random.next() < missingRate ? Number.NaN : (random.next() - 0.5) * 200)))))
}

const load = (kind: string): XgboostPredictor => XgboostPredictor.fromJson(readFileSync(`${FIXTURES}${kind}.model.json`, 'utf8'))

describe('XgboostFastMargins', () => {
  it.each(KINDS)('gives exactly the reference margins (%s), with and without missing values, by batch, range and row', (kind) => {
    const predictor = load(kind)
    const fast = XgboostFastMargins.compile(predictor)
    expect(fast).toBeDefined()
    const n = 1000
    for (const missingRate of [0, 0.2, 0.9]) {
      const frame = randomFrame(predictor.features, n, missingRate, 3)
      const expected = Array.from(referenceMargins(predictor, frame))
      expect(Array.from(fast!.margins(frame))).toEqual(expected)
      // XgboostPredictor itself scores batches through the fast layout: still the reference.
      expect(Array.from(predictor.predictMargin(frame))).toEqual(expected)
      const groups = predictor.model.groups
      expect(Array.from(fast!.margins(frame, 301, 707))).toEqual(expected.slice(301 * groups, 707 * groups))
      for (let i = 0; i < 50; i++) {
        const row = Object.fromEntries(Object.entries(frame.row(i)))
        expect(Array.from(fast!.marginsRow(row))).toEqual(expected.slice(i * groups, (i + 1) * groups))
      }
    }
  })
})

describe('XgboostScorerPool', () => {
  let pool: XgboostScorerPool | undefined
  afterEach(async () => {
    await pool?.close()
    pool = undefined
  })

  it.each(KINDS)('2 threads sharing chunks give exactly the reference margins (%s), missing values included', async (kind) => {
    const json = readFileSync(`${FIXTURES}${kind}.model.json`, 'utf8')
    const predictor = XgboostPredictor.fromJson(json)
    pool = await XgboostScorerPool.start(json, {}, 2)
    // 30,011 rows: several chunks each, and a ragged last chunk.
    const frame = randomFrame(predictor.features, 30_011, 0.05, 11)
    const expected = referenceMargins(predictor, frame)
    const margins = await pool.margins(frame)
    expect(margins.length).toBe(expected.length)
    let differing = 0
    for (let i = 0; i < expected.length; i++) if (!Object.is(margins[i], expected[i])) differing++
    expect(differing).toBe(0)
    // A small batch is scored on this thread alone, with the same result.
    const small = frame.slice(0, 100)
    expect(Array.from(await pool.margins(small))).toEqual(Array.from(expected.subarray(0, 100 * predictor.model.groups)))
  })
})
