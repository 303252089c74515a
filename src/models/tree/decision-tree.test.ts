import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../../core/frame.js'
import type { KeelError } from '../../core/errors.js'
import { decisionTree } from './decision-tree.js'
import { resolveForestParams, resolveTreeParams } from './params.js'
import { TreePredictor } from './tree-predictor.js'

/** XOR-like data: no single split separates the classes, two levels do. */
function xorFrame(): Frame {
  const a: number[] = []
  const b: number[] = []
  const y: string[] = []
  for (let i = 0; i < 40; i++) {
    const x1 = i % 2
    const x2 = Math.floor(i / 2) % 2
    a.push(x1 + (i % 7) * 0.01)
    b.push(x2 + (i % 5) * 0.01)
    y.push(x1 === x2 ? 'no' : 'yes')
  }
  return new Frame([numericColumn('a', a), numericColumn('b', b), categoricalColumn('label', y)])
}

async function rejects(p: Promise<unknown> | (() => unknown), pattern: RegExp): Promise<void> {
  let error: unknown
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    error = e
  }
  expect(error, `expected an error matching ${pattern}`).toBeDefined()
  expect((error as KeelError).code).toBe('INVALID_PARAMETER_VALUE')
  expect((error as Error).message).toMatch(pattern)
}

describe('decision-tree', () => {
  it('learns XOR exactly and predicts frames and rows identically', async () => {
    const frame = xorFrame()
    const model = await decisionTree.fit(frame, 'label', 'classification', decisionTree.resolveParams({}))
    expect(model.classes).toEqual(['no', 'yes'])
    const predicted = model.predict(frame)
    const proba = model.predictProba(frame)
    const labels = frame.column('label')
    const out = new Float64Array(2)
    for (let i = 0; i < frame.rows; i++) {
      const expected = labels.kind === 'categorical' ? labels.categories[labels.codes[i]!] : undefined
      expect(model.classes![predicted[i]!]).toBe(expected)
      const row = frame.row(i)
      expect(model.predictRow(row)).toBe(predicted[i])
      const same = model.predictProbaRow(row, out)
      expect(same).toBe(out) // written in place, no new array
      expect([out[0], out[1]]).toEqual([proba[2 * i], proba[2 * i + 1]])
    }
  })

  it('regression leaves hold the mean of their rows; maxDepth 1 makes one split at the best gap', async () => {
    const x = [1, 2, 3, 10, 11, 12]
    const y = [5, 6, 7, 50, 51, 52]
    const frame = new Frame([numericColumn('x', x), numericColumn('y', y)])
    const model = (await decisionTree.fit(frame, 'y', 'regression', decisionTree.resolveParams({ maxDepth: 1 }))) as TreePredictor
    expect(model.forest.feature.length).toBe(3)
    expect(model.forest.threshold[0]).toBe(6.5) // midway between 3 and 10, as scikit-learn puts it
    expect(Array.from(model.predict(frame))).toEqual([6, 6, 6, 51, 51, 51])
    expect(model.predictRow({ x: 6.4 })).toBe(6)
    expect(model.predictRow({ x: 6.6 })).toBe(51)
  })

  it('minSamplesLeaf and minImpurityDecrease stop growth', async () => {
    const frame = xorFrame()
    const leafy = (await decisionTree.fit(frame, 'label', 'classification', resolveTreeParams({ minSamplesLeaf: 25 }))) as TreePredictor
    expect(leafy.forest.feature.length).toBe(1) // 40 rows cannot make two leaves of 25
    const stumpy = (await decisionTree.fit(frame, 'label', 'classification', resolveTreeParams({ minImpurityDecrease: 0.3 }))) as TreePredictor
    expect(stumpy.forest.feature.length).toBe(1)
  })

  it('classWeight balanced shifts a split toward the rare class', async () => {
    // One feature; the rare class sits in a region mixed with the common one.
    const x: number[] = []
    const y: number[] = []
    for (let i = 0; i < 100; i++) {
      x.push(i)
      y.push(i >= 80 && i % 2 === 0 ? 1 : 0)
    }
    const frame = new Frame([numericColumn('x', x), numericColumn('y', y)])
    const plain = await decisionTree.fit(frame, 'y', 'classification', resolveTreeParams({ maxDepth: 1 }))
    const weighted = await decisionTree.fit(frame, 'y', 'classification', resolveTreeParams({ maxDepth: 1, classWeight: 'balanced' }))
    expect(plain.predictRow({ x: 90 })).toBe(0)
    expect(weighted.predictRow({ x: 90 })).toBe(1)
  })

  it('is reproducible for a seed when sampling features, and honours an aborted signal', async () => {
    const frame = xorFrame().withColumn(numericColumn('c', Array.from({ length: 40 }, (_, i) => (i * 7) % 11)))
    const params = resolveTreeParams({ maxFeatures: 1 })
    const a = (await decisionTree.fit(frame, 'label', 'classification', params, { seed: 3 })) as TreePredictor
    const b = (await decisionTree.fit(frame, 'label', 'classification', params, { seed: 3 })) as TreePredictor
    expect(Array.from(a.forest.feature)).toEqual(Array.from(b.forest.feature))
    const controller = new AbortController()
    controller.abort()
    await expect(decisionTree.fit(frame, 'label', 'classification', params, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('a constant feature does not use up a draw of maxFeatures (as in scikit-learn)', async () => {
    const x = Array.from({ length: 30 }, (_, i) => i)
    const constants = Array.from({ length: 9 }, (_, j) => numericColumn(`c${j}`, new Array<number>(30).fill(j)))
    const frame = new Frame([...constants, numericColumn('x', x), numericColumn('y', x.map((v) => (v < 15 ? 0 : 1)))])
    for (let seed = 0; seed < 8; seed++) {
      const model = (await decisionTree.fit(frame, 'y', 'classification', resolveTreeParams({ maxFeatures: 1, maxDepth: 1 }), { seed })) as TreePredictor
      expect(model.forest.feature[0]).toBe(9) // the only non-constant feature, 'x'
      expect(model.forest.threshold[0]).toBe(14.5)
    }
  })

  it('saves to JSON and loads to the same predictions', async () => {
    const frame = xorFrame()
    const model = await decisionTree.fit(frame, 'label', 'classification', resolveTreeParams({ criterion: 'entropy' }))
    const loaded = decisionTree.load(JSON.parse(JSON.stringify(model.save())))
    expect(loaded.classes).toEqual(model.classes)
    expect(Array.from(loaded.predictProba(frame))).toEqual(Array.from(model.predictProba(frame)))
  })

  it('refuses bad input with the column or param named', async () => {
    const ok = xorFrame()
    const fit = (frame: Frame, target = 'label', task: 'classification' | 'regression' = 'classification') =>
      decisionTree.fit(frame, target, task, decisionTree.resolveParams({}))
    await rejects(fit(ok.withColumn(numericColumn('a', [Number.NaN, ...new Array<number>(39).fill(1)]))), /Feature 'a' has 1 missing values; .*imput/)
    await rejects(fit(ok.withColumn(numericColumn('b', new Array<number>(40).fill(Number.NaN)))), /Feature 'b' is missing in every row/)
    await rejects(fit(ok.withColumn(categoricalColumn('a', new Array<string>(40).fill('x')))), /Feature 'a' is categorical; encode it/)
    await rejects(fit(ok.withColumn(categoricalColumn('label', new Array<string>(40).fill('yes')))), /only one class/)
    await rejects(fit(ok.withColumn(numericColumn('label', [Number.POSITIVE_INFINITY, ...new Array<number>(39).fill(1)]))), /Target 'label' has Infinity at row 0/)
    await rejects(fit(ok.withColumn(numericColumn('label', [Number.NaN, ...new Array<number>(39).fill(1)])), 'label', 'regression'), /Target 'label' has NaN/)
    await rejects(fit(ok, 'label', 'regression'), /Target 'label' is categorical/)
    await rejects(fit(ok, 'nope'), /No column 'nope'/)
    await rejects(decisionTree.fit(ok, 'label', 'regression', resolveTreeParams({ criterion: 'gini' })), /criterion' 'gini' does not fit a regression/)
    await rejects(() => resolveTreeParams({ maxDepth: 0 }), /Param 'maxDepth' must be an integer/)
    await rejects(() => resolveTreeParams({ maxFeatures: 1.5 }), /Param 'maxFeatures'/)
    await rejects(() => resolveTreeParams({ depth: 3 }), /Unknown param 'depth'/)
    await rejects(() => resolveTreeParams({ classWeight: { yes: -1 } }), /classWeight' for class 'yes'/)
    await rejects(decisionTree.fit(ok, 'label', 'classification', resolveTreeParams({ classWeight: { maybe: 2 } })), /names class 'maybe'/)
    await rejects(() => resolveForestParams({ threads: 0 }), /Param 'threads'/)
    await rejects(() => resolveForestParams({ nTrees: 2.5 }), /Param 'nTrees'/)
  })

  it('refuses bad input at predict time with the feature named', async () => {
    const frame = xorFrame()
    const model = await decisionTree.fit(frame, 'label', 'classification', decisionTree.resolveParams({}))
    await rejects(() => model.predict(frame.drop(['b'])), /lacks feature\(s\) 'b'/)
    await rejects(() => model.predict(frame.withColumn(numericColumn('a', new Array<number>(40).fill(Number.NaN)))), /Feature 'a' is missing at row 0/)
    await rejects(() => model.predict(frame.withColumn(categoricalColumn('a', new Array<string>(40).fill('x')))), /Column 'a' is categorical/)
    await rejects(() => model.predictRow({ a: 1 }), /Feature 'b' is missing from the row/)
    await rejects(() => model.predictRow({ a: 1, b: 'high' }), /Feature 'b' must be a number/)
    await rejects(() => model.predictProbaRow({ a: 1, b: 0 }, new Float64Array(1)), /'out' needs 2 slots/)
    const regressor = await decisionTree.fit(new Frame([numericColumn('x', [1, 2, 3]), numericColumn('y', [1, 2, 3])]), 'y', 'regression', resolveTreeParams({}))
    await rejects(() => regressor.predictProba(frame), /needs a classifier/)
  })

  it('loading refuses a corrupt or foreign saved model', async () => {
    const model = await decisionTree.fit(xorFrame(), 'label', 'classification', decisionTree.resolveParams({}))
    const saved = model.save()
    await rejects(() => decisionTree.load({ ...saved, kind: 'random-forest' }), /kind 'random-forest'/)
    const state = saved.state as { forest: { left: number[] } }
    const cyclic = { ...saved, state: { ...state, forest: { ...state.forest, left: state.forest.left.map(() => 0) } } }
    await rejects(() => decisionTree.load(cyclic), /corrupt: node 0 is malformed/)
    expect(() => TreePredictor.load('decision-tree', { ...saved, state: null })).toThrow(/no state/)
  })
})
