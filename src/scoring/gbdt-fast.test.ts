import { describe, expect, it } from 'vitest'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { gbdt } from '../models/gbdt/gbdt.js'
import type { GbdtPredictor } from '../models/gbdt/gbdt-predictor.js'
import { GbdtFastScorer } from './gbdt-fast.js'

function data(n: number, seed: number, classes: number): Frame {
  const random = createRandom(seed)
  const x = Array.from({ length: 5 }, () => new Float64Array(n))
  const y: string[] = []
  const yr = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < 5; f++) x[f]![i] = random.next() < 0.1 ? Number.NaN : random.next() * 4 - 2
    const s = (x[0]![i]! || 0) + 0.5 * (x[1]![i]! || 0) * (x[2]![i]! || 1) + random.next() * 0.5
    yr[i] = s
    y.push(String(Math.min(classes - 1, Math.max(0, Math.floor(((s + 3) / 6) * classes)))))
  }
  const labels = Array.from({ length: classes }, (_, c) => String(c))
  return new Frame([
    ...x.map((v, f) => numericColumn(`x${f}`, v)),
    categoricalColumn('y', y, labels),
    numericColumn('yr', yr),
  ])
}

describe('GbdtFastScorer', () => {
  it.each([
    ['binary', 'classification', 2],
    ['multiclass', 'classification', 4],
    ['regression', 'regression', 0],
  ] as const)('scores a keel gbdt (%s) exactly as GbdtPredictor, missing values included', async (_name, task, classes) => {
    const train = data(3000, 1, Math.max(classes, 2))
    const target = task === 'regression' ? 'yr' : 'y'
    const frame = task === 'regression' ? train.select(['x0', 'x1', 'x2', 'x3', 'x4', 'yr']) : train.select(['x0', 'x1', 'x2', 'x3', 'x4', 'y'])
    const model = (await gbdt.fit(frame, target, task, gbdt.resolveParams({ nRounds: 30, maxLeaves: 15, threads: 1 }))) as GbdtPredictor
    const fast = GbdtFastScorer.compile(model)
    expect(fast).toBeDefined()
    const test = data(2000, 2, Math.max(classes, 2))
    const scores = fast!.score(test)
    expect(Array.from(fast!.margins(test))).toEqual(Array.from(model.predictMargin(test)))
    expect(Array.from(scores.prediction)).toEqual(Array.from(model.predict(test)))
    if (task === 'classification') expect(Array.from(scores.proba!)).toEqual(Array.from(model.predictProba(test)))
  })
})
