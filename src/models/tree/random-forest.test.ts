import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import type { KeelError } from '../../core/errors.js'
import { createRandom } from '../../core/random.js'
import { randomForest } from './random-forest.js'
import type { TreePredictor } from './tree-predictor.js'

/** y = 1 when x0 + x1 > 1 (with a little label noise); x2..x4 are noise. */
function dataset(rows: number, seed: number): Frame {
  const random = createRandom(seed)
  const xs = Array.from({ length: 5 }, () => new Float64Array(rows))
  const y = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    for (const x of xs) x[i] = random.next()
    y[i] = (xs[0]![i]! + xs[1]![i]! > 1) !== random.next() < 0.05 ? 1 : 0
  }
  return new Frame([...xs.map((x, j) => numericColumn(`x${j}`, x)), numericColumn('y', y)])
}

function accuracy(predicted: Float64Array, frame: Frame): number {
  const y = frame.numeric('y')
  let hits = 0
  for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) hits++
  return hits / y.length
}

describe('random-forest', () => {
  it('trains on 2 worker threads with a progress event per tree, the same forest as on 1 thread', async () => {
    const train = dataset(2000, 1)
    const test = dataset(500, 2)
    const events: Array<{ done: number; total: number }> = []
    const params = randomForest.resolveParams({ nTrees: 12, maxDepth: 6, threads: 2 })
    const two = (await randomForest.fit(train, 'y', 'classification', params, { seed: 5, progress: (e) => events.push(e) })) as TreePredictor
    expect(events.map((e) => e.done)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1))
    expect(events.every((e) => e.total === 12)).toBe(true)
    expect(two.treeCount).toBe(12)
    expect(accuracy(two.predict(test), test)).toBeGreaterThan(0.85)
    const one = (await randomForest.fit(train, 'y', 'classification', { ...params, threads: 1 }, { seed: 5 })) as TreePredictor
    expect(Array.from(one.forest.threshold)).toEqual(Array.from(two.forest.threshold))
    expect(Array.from(one.predictProba(test))).toEqual(Array.from(two.predictProba(test)))
    const other = (await randomForest.fit(train, 'y', 'classification', { ...params, threads: 1 }, { seed: 6 })) as TreePredictor
    expect(Array.from(other.forest.threshold)).not.toEqual(Array.from(one.forest.threshold))
  })

  it('row and frame predictions agree, and survive save and load', async () => {
    const train = dataset(600, 3)
    const model = await randomForest.fit(train, 'y', 'regression', randomForest.resolveParams({ nTrees: 8, threads: 1, maxFeatures: 0.5 }), { seed: 1 })
    const loaded = randomForest.load(JSON.parse(JSON.stringify(model.save())))
    const frame = dataset(50, 4)
    const batch = model.predict(frame)
    for (let i = 0; i < frame.rows; i++) {
      expect(model.predictRow(frame.row(i))).toBe(batch[i])
      expect(loaded.predictRow(frame.row(i))).toBe(batch[i])
    }
    expect(new Set(Array.from(batch)).size).toBeGreaterThan(2) // an average over trees (k/8), not one tree's 0/1
  })

  it('an abort stops training on workers with a KeelError', async () => {
    const controller = new AbortController()
    const params = randomForest.resolveParams({ nTrees: 400, threads: 2 })
    const fitting = randomForest.fit(dataset(3000, 5), 'y', 'classification', params, {
      signal: controller.signal,
      progress: (e) => {
        if (e.done === 3) controller.abort()
      },
    })
    await expect(fitting).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/aborted after 3 of 400 trees/) as unknown })
  })

  it('an abort stops single-threaded training too, and an already-aborted signal fails at once', async () => {
    const controller = new AbortController()
    const params = randomForest.resolveParams({ nTrees: 50, threads: 1 })
    const fitting = randomForest.fit(dataset(500, 6), 'y', 'classification', params, {
      signal: controller.signal,
      progress: (e) => {
        if (e.done === 2) controller.abort()
      },
    })
    await expect(fitting).rejects.toMatchObject({ code: 'ABORTED' })
    let error: KeelError | undefined
    try {
      await randomForest.fit(dataset(100, 7), 'y', 'classification', { ...params, threads: 2 }, { signal: controller.signal })
    } catch (e) {
      error = e as KeelError
    }
    expect(error?.message).toMatch(/aborted after 0 of 50/)
  })
})
