import { describe, expect, it } from 'vitest'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import { fitTransform } from './fitted-transform.js'
import { loadPipeline, Pipeline } from './pipeline.js'

const frame = new Frame([
  numericColumn('x', [1, -2, Number.NaN, 4]),
  numericColumn('empty', [Number.NaN, Number.NaN, Number.NaN, Number.NaN]),
  categoricalColumn('c', ['a', 'b', null, 'a']),
  numericColumn('y', [0, 1, 1, 0]),
])
const fit = (spec: Record<string, unknown>) => fitTransform(spec, frame, { seed: 0 })

describe('bad input gets a KeelError naming the column or option and the fix', () => {
  it('names an all-missing column for learnt statistics', () => {
    expect(() => fit({ type: 'impute', columns: ['empty'], strategy: 'median' })).toThrow(/Column 'empty' is all missing.*'constant' or drop/)
    expect(() => fit({ type: 'standardScale', columns: ['empty'] })).toThrow(/Column 'empty' is all missing/)
    expect(fit({ type: 'impute', columns: ['empty'], strategy: 'constant', fillValue: 3 }).fitted.transform(frame).numeric('empty')).toEqual(Float64Array.of(3, 3, 3, 3))
  })

  it('refuses log of negative input unless shifted, at fit and at transform time', () => {
    expect(() => fit({ type: 'log', columns: ['x'] })).toThrow(/Column 'x' has the value -2.*set the log step's 'shift' to at least 2/)
    const { fitted } = fit({ type: 'log', columns: ['x'], shift: 2 })
    expect(fitted.transform(frame).numeric('x')[1]).toBe(0)
    expect(() => fitted.transformRow({ x: -3 })).toThrow(/Column 'x' has the value -3/)
  })

  it('checks spec types, options and column kinds', () => {
    expect(() => fit({ type: 'whiten', columns: ['x'] })).toThrow(/'type' must be one of impute, standardScale/)
    expect(() => fit({ type: 'oneHot', columns: ['c'], handleUnknown: 'skip' })).toThrow(/'handleUnknown' must be one of 'error', 'ignore', 'infrequent'/)
    expect(() => fit({ type: 'oneHot', columns: ['x'] })).toThrow(/column 'x' is numeric but this step takes categorical columns/)
    expect(() => fit({ type: 'standardScale', columns: ['nope'] })).toThrow(/no column 'nope'/)
    expect(() => fit({ type: 'impute', columns: ['c'], strategy: 'mean' })).toThrow(/Column 'c' is categorical; impute it with strategy 'most_frequent' or 'constant'/)
    expect(() => fit({ type: 'clip', columns: ['x'] })).toThrow(/give 'min', 'max'/)
  })

  it('one-hot with missing: error names the column', () => {
    expect(() => fit({ type: 'oneHot', columns: ['c'], missing: 'error' })).toThrow(/Column 'c' has a missing value.*impute the column first/)
  })

  it('target encoding rejects a missing or multiclass target', () => {
    const steps = [{ type: 'targetEncode', columns: ['c'], folds: 2 }]
    expect(() => new Pipeline(steps).fit(frame.withColumn(numericColumn('y', [0, Number.NaN, 1, 0])), 'y')).toThrow(/target 'y' has a missing value at row 1/)
    expect(() => new Pipeline(steps).fit(frame.withColumn(numericColumn('y', [0, Number.POSITIVE_INFINITY, 1, 0])), 'y')).toThrow(/target 'y' has Infinity/)
    expect(() => new Pipeline(steps).fit(frame.withColumn(categoricalColumn('y', ['p', 'q', 'r', 'p'])), 'y')).toThrow(/3 classes; target encoding needs a numeric or two-class target/)
    expect(() => new Pipeline(steps).fit(frame, 'label')).toThrow(/target column 'label' is not in the data/)
  })

  it('loadPipeline rejects foreign and corrupt files', () => {
    expect(() => loadPipeline('{"format":"other"}')).toThrow(/Not a keel feature pipeline/)
    expect(() => loadPipeline('not json')).toThrow(/not valid JSON/)
    const saved = new Pipeline([{ type: 'standardScale', columns: ['x'] }, { type: 'drop', columns: ['c', 'empty'] }]).fit(frame, 'y').save()
    expect(loadPipeline(saved).outputFeatures).toEqual(['x'])
    expect(() => loadPipeline({ ...saved, outputFeatures: ['z'] })).toThrow(/outputFeatures do not match/)
  })
})
