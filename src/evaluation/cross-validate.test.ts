import { describe, expect, it } from 'vitest'
import { crossValidate, evaluatePredictor } from './cross-validate.js'
import { evaluateClassifier } from './evaluate.js'
import { kFold, stratifiedKFold } from './splitters.js'
import { fitMidpointClassifier, fitShrunkLine, toyClassificationFrame, toyRegressionFrame } from './toy-models.test-support.js'

describe('crossValidate', () => {
  it('fits once per fold on the training rows and scores the held-out rows', async () => {
    const frame = toyClassificationFrame(103)
    const seen: number[] = []
    const result = await crossValidate(
      frame,
      'label',
      (train, target) => {
        seen.push(train.rows)
        return fitMidpointClassifier(train, target)
      },
      { folds: 4, stratified: true },
    )
    const labels = frame.column('label')
    const y = labels.kind === 'categorical' ? labels.codes : new Int32Array()
    const splits = stratifiedKFold(y, { folds: 4 })
    expect(seen).toEqual(splits.map((s) => s.train.length))
    expect(result.folds.map((f) => f.testRows)).toEqual(splits.map((s) => s.test.length))
    // Each fold's numbers are exactly evaluatePredictor on that fold.
    splits.forEach((split, f) => {
      const model = fitMidpointClassifier(frame.take(split.train), 'label')
      expect(result.folds[f]!.metrics).toEqual(evaluatePredictor(model, frame.take(split.test), 'label'))
    })
    const aucs = result.folds.map((f) => f.metrics['roc_auc']!)
    const mean = aucs.reduce((a, b) => a + b) / aucs.length
    expect(result.mean['roc_auc']).toBeCloseTo(mean, 12)
    expect(result.std['roc_auc']).toBeCloseTo(Math.sqrt(aucs.reduce((a, v) => a + (v - mean) ** 2, 0) / aucs.length), 12)
    expect(result.mean['roc_auc']).toBeGreaterThan(0.7)
  })

  it('maps the target to the classifier\'s class order before scoring', () => {
    const frame = toyClassificationFrame(60)
    const model = fitMidpointClassifier(frame, 'label')
    expect(model.classes).toEqual(['fraud', 'ok'])
    const column = frame.column('label')
    if (column.kind !== 'categorical') throw new Error('categorical')
    const y = Int32Array.from(column.codes, (c) => model.classes!.indexOf(column.categories[c]!))
    const expected = evaluateClassifier({ yTrue: y, proba: model.predictProba(frame), yPred: model.predict(frame), classes: model.classes! })
    expect(evaluatePredictor(model, frame, 'label')).toEqual(expected.metrics)
  })

  it('regression folds, a metrics selection, and shuffled folds by seed', async () => {
    const frame = toyRegressionFrame(50)
    const fit = (train: typeof frame, target: string) => fitShrunkLine(train, target)
    const result = await crossValidate(frame, 'y', fit, { folds: 5, metrics: ['rmse', 'r2'] })
    expect(Object.keys(result.mean).sort()).toEqual(['r2', 'rmse'])
    expect(result.mean['r2']).toBeGreaterThan(0.95)
    const a = await crossValidate(frame, 'y', fit, { folds: 5, shuffle: true, seed: 9, metrics: ['rmse'] })
    const b = await crossValidate(frame, 'y', fit, { folds: 5, shuffle: true, seed: 9, metrics: ['rmse'] })
    expect(a).toEqual(b)
    expect(a.mean['rmse']).not.toBe(result.mean['rmse'])
    const custom = await crossValidate(frame, 'y', fit, { splits: kFold(50, { folds: 2 }) })
    expect(custom.folds).toHaveLength(2)
  })

  it('names the problem: unknown metric, unknown target, a class the fold never trained on', async () => {
    const frame = toyRegressionFrame(20)
    await expect(crossValidate(frame, 'y', (t, target) => fitShrunkLine(t, target), { metrics: ['auc'] })).rejects.toThrowError(/Unknown metric 'auc'/)
    await expect(crossValidate(frame, 'nope', (t, target) => fitShrunkLine(t, target))).rejects.toThrowError(/No column 'nope'/)
    const sorted = toyClassificationFrame(40)
    const column = sorted.column('label')
    if (column.kind !== 'categorical') throw new Error('categorical')
    const order = [...Array(40).keys()].sort((a, b) => column.codes[a]! - column.codes[b]!)
    await expect(
      crossValidate(sorted.take(order), 'label', (t, target) => fitMidpointClassifier(t, target), { folds: 2 }),
    ).rejects.toThrowError(/never saw in training.*stratified/)
  })
})
