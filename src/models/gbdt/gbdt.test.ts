import { describe, expect, it } from 'vitest'
import { KeelError } from '../../core/errors.js'
import { categoricalColumn, Frame, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import { loadModel } from '../algorithms.js'
import { shapTreeLeaf } from '../../evaluation/explain/shap-tree.js'
import { fitGbdt, gbdt } from './gbdt.js'
import { GbdtPredictor } from './gbdt-predictor.js'

function xorFrame(n: number, seed: number): Frame {
  const r = createRandom(seed)
  const a = new Float64Array(n)
  const b = new Float64Array(n)
  const noise = new Float64Array(n)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    a[i] = r.next() * 2 - 1
    b[i] = r.next() * 2 - 1
    noise[i] = r.normal()
    y[i] = (a[i]! > 0) !== (b[i]! > 0) ? 1 : 0
  }
  return new Frame([numericColumn('a', a), numericColumn('b', b), numericColumn('noise', noise), numericColumn('y', y)])
}

function accuracy(predicted: Float64Array, classes: readonly string[], y: Float64Array): number {
  let hits = 0
  for (let i = 0; i < y.length; i++) if (Number(classes[predicted[i]!]) === y[i]) hits++
  return hits / y.length
}

describe('gbdt', () => {
  it('learns XOR (no single feature is informative)', async () => {
    const model = await fitGbdt(xorFrame(2000, 1), 'y', 'classification', { nRounds: 50, maxLeaves: 8 })
    const test = xorFrame(1000, 2)
    expect(accuracy(model.predict(test), model.classes!, test.numeric('y'))).toBeGreaterThan(0.95)
  })

  it('learns a nonlinear regression with squared error and Huber', async () => {
    const make = (n: number, seed: number): Frame => {
      const r = createRandom(seed)
      const x = Float64Array.from({ length: n }, () => r.next() * 6 - 3)
      const y = Float64Array.from(x, (v) => Math.sin(v) * 3 + 0.1 * r.normal())
      return new Frame([numericColumn('x', x), numericColumn('y', y)])
    }
    const test = make(500, 9)
    for (const objective of ['squared_error', 'huber'] as const) {
      const model = await fitGbdt(make(2000, 8), 'y', 'regression', { objective, nRounds: 200, maxLeaves: 8 })
      const p = model.predict(test)
      const y = test.numeric('y')
      let mse = 0
      for (let i = 0; i < y.length; i++) mse += (p[i]! - y[i]!) ** 2 / y.length
      expect(mse).toBeLessThan(0.05)
    }
  })

  it('learns the direction of missing values when NaN carries the signal', async () => {
    const make = (n: number, seed: number): Frame => {
      const r = createRandom(seed)
      const x = new Float64Array(n)
      const y = new Float64Array(n)
      for (let i = 0; i < n; i++) {
        const positive = r.next() < 0.5
        y[i] = positive ? 1 : 0
        // Present values say nothing about the class; only missingness does.
        x[i] = positive && r.next() < 0.8 ? Number.NaN : r.normal()
      }
      return new Frame([numericColumn('x', x), numericColumn('y', y)])
    }
    const model = await fitGbdt(make(3000, 3), 'y', 'classification', { nRounds: 20, maxLeaves: 4 })
    const proba = new Float64Array(2)
    expect(model.predictProbaRow({ x: null }, proba)[1]).toBeGreaterThan(0.9)
    expect(model.predictProbaRow({ x: Number.NaN }, proba)[1]).toBeGreaterThan(0.9)
    expect(model.predictProbaRow({ x: 0.3 }, proba)[1]).toBeLessThan(0.35)
    const test = make(1000, 4)
    expect(accuracy(model.predict(test), model.classes!, test.numeric('y'))).toBeGreaterThan(0.85)
  })

  it('early stopping stops before nRounds on a held-out fraction and on a given validation frame', async () => {
    // Pure noise: validation loss stops improving almost at once.
    const r = createRandom(5)
    const n = 2000
    const noise = new Frame([
      numericColumn('x', Float64Array.from({ length: n }, () => r.normal())),
      numericColumn('y', Float64Array.from({ length: n }, () => (r.next() < 0.5 ? 1 : 0))),
    ])
    const stopped = await fitGbdt(noise, 'y', 'classification', { nRounds: 500, earlyStoppingRounds: 5, minSamplesLeaf: 5 }, { seed: 1 })
    expect(stopped.rounds).toBeLessThan(50)
    const withFrame = await fitGbdt(noise.slice(0, 1500), 'y', 'classification', { nRounds: 500, earlyStoppingRounds: 5, minSamplesLeaf: 5 }, {}, { validation: noise.slice(1500) })
    expect(withFrame.rounds).toBeLessThan(50)
    const full = await fitGbdt(noise, 'y', 'classification', { nRounds: 60, minSamplesLeaf: 5 })
    expect(full.rounds).toBe(60)
  })

  it('saves and loads to the same predictions, frame and single rows agree, ShapTrees walk to the same leaves', async () => {
    const train = xorFrame(1000, 6)
    train.numeric('noise')[3] = Number.NaN
    const model = await fitGbdt(train, 'y', 'classification', { nRounds: 30, subsample: 0.8, colsampleByTree: 0.7 }, { seed: 4 })
    const loaded = loadModel(JSON.parse(JSON.stringify(model.save())))
    expect(loaded).toBeInstanceOf(GbdtPredictor)
    const test = xorFrame(200, 7)
    expect(Array.from(loaded.predictProba(test))).toEqual(Array.from(model.predictProba(test)))
    const p = model.predictProba(test)
    const out = new Float64Array(2)
    for (let i = 0; i < 20; i++) {
      loaded.predictProbaRow(test.row(i), out)
      expect(out[1]).toBeCloseTo(p[2 * i + 1]!, 12)
    }
    // The ShapTree view routes rows the same way: summing its leaves gives the margin.
    const trees = model.trees()
    const margin = model.predictMargin(test)
    for (let i = 0; i < 20; i++) {
      const x = [test.numeric('a')[i]!, test.numeric('b')[i]!, test.numeric('noise')[i]!]
      let m = model.model.base[0]!
      for (const t of trees) m += t.value[shapTreeLeaf(t, x)]!
      expect(m).toBeCloseTo(margin[i]!, 10)
    }
  })

  it('is reproducible for a seed with row and column subsampling, and differs across seeds', async () => {
    const train = xorFrame(800, 8)
    const params = { nRounds: 10, subsample: 0.5, colsampleByTree: 0.67 }
    const a = await fitGbdt(train, 'y', 'classification', params, { seed: 1 })
    const b = await fitGbdt(train, 'y', 'classification', params, { seed: 1 })
    const c = await fitGbdt(train, 'y', 'classification', params, { seed: 2 })
    expect(Array.from(a.model.value)).toEqual(Array.from(b.model.value))
    expect(Array.from(a.model.value)).not.toEqual(Array.from(c.model.value))
  })

  it('honours sample weights and L1/L2 penalties', async () => {
    // Two groups with the same x; weights decide which label a leaf predicts.
    const n = 400
    const x = Float64Array.from({ length: n }, (_, i) => i % 2)
    const y = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 10 : 0))
    const w = Float64Array.from({ length: n }, (_, i) => (i < n / 2 ? 9 : 1))
    const frame = new Frame([numericColumn('x', x), numericColumn('w', w), numericColumn('y', y)])
    const weighted = await fitGbdt(frame, 'y', 'regression', { nRounds: 50, weightColumn: 'w', minSamplesLeaf: 1 })
    expect(weighted.features).toEqual(['x'])
    expect(weighted.predictRow({ x: 0 })).toBeCloseTo(9, 1)
    const unweighted = await fitGbdt(frame.drop(['w']), 'y', 'regression', { nRounds: 50, minSamplesLeaf: 1 })
    expect(unweighted.predictRow({ x: 0 })).toBeCloseTo(5, 1)
    // A huge alpha zeroes every leaf: predictions stay at the base score.
    const l1 = await fitGbdt(xorFrame(500, 3), 'y', 'classification', { nRounds: 5, alpha: 1e6 })
    expect(Array.from(l1.model.value).every((v) => v === 0)).toBe(true)
  })

  it('respects maxLeaves and maxDepth', async () => {
    const model = await fitGbdt(xorFrame(2000, 1), 'y', 'classification', { nRounds: 3, maxLeaves: 5, maxDepth: 2, minSamplesLeaf: 1 })
    for (const t of model.trees()) {
      let leaves = 0
      for (let k = 0; k < t.feature.length; k++) if (t.feature[k] === -1) leaves++
      expect(leaves).toBeLessThanOrEqual(4)
    }
  })

  it('refuses bad input with errors that name the problem', async () => {
    const frame = xorFrame(100, 1)
    await expect(fitGbdt(frame, 'y', 'classification', { nRounds: 0 })).rejects.toThrow(/nRounds/)
    await expect(fitGbdt(frame, 'y', 'classification', { objective: 'squared_error' })).rejects.toThrow(/objective/)
    expect(() => gbdt.resolveParams({ leaves: 3 })).toThrow(/Unknown param 'leaves'/)
    const cat = frame.withColumn(categoricalColumn('c', Array.from({ length: 100 }, () => 'u')))
    await expect(fitGbdt(cat, 'y', 'classification', { categoricalFeatures: [] })).rejects.toThrow(/'c' is categorical/)
    const oneClass = new Frame([numericColumn('x', [1, 2, 3]), numericColumn('y', [1, 1, 1])])
    await expect(fitGbdt(oneClass, 'y', 'classification', {})).rejects.toThrow(/only one class/)
    const model = await fitGbdt(frame, 'y', 'classification', { nRounds: 2 })
    expect(() => model.predict(frame.drop(['a']))).toThrow(/lacks feature\(s\) 'a'/)
    expect(() => model.predictRow({ a: 'x', b: 1, noise: 0 })).toThrow(KeelError)
    const saved = model.save()
    const state = saved.state as { trees: { left: number[] } }
    state.trees.left[0] = 0
    expect(() => gbdt.load(saved)).toThrow(/corrupt/)
  })

  it('stops with a KeelError when aborted', async () => {
    const controller = new AbortController()
    let calls = 0
    const run = fitGbdt(xorFrame(500, 1), 'y', 'classification', { nRounds: 1000 }, {
      signal: controller.signal,
      progress: () => {
        if (++calls === 3) controller.abort()
      },
    })
    await expect(run).rejects.toThrow(/aborted after 3 of 1000 rounds/)
  })
})
