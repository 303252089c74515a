import { describe, expect, it } from 'vitest'
import { cellValue, Frame, type Row } from '../core/frame.js'
import { loadFeaturesFixture } from '../../test/fixtures/features/load-features-fixture.js'
import { fitTransform } from './fitted-transform.js'
import { Pipeline, loadPipeline } from './pipeline.js'
import type { TransformSpec } from './fitted-transform.js'

// Train has missing values; test has missing values and the unseen cities 'Atlantis' and 'Zurich'.
const fx = loadFeaturesFixture()
const features = fx.train.drop(['y'])
const y = fx.train.numeric('y')

// Serving sends JSON rows: build them the way a client would (missing = null), from the fixture's test frame.
function recordsOf(frame: Frame): Row[] {
  return frame.toRecords()
}

const SPECS: Array<[string, TransformSpec]> = [
  ['impute mean', { type: 'impute', columns: { kind: 'numeric' }, strategy: 'mean' }],
  ['impute median', { type: 'impute', columns: { kind: 'numeric' }, strategy: 'median' }],
  ['impute most_frequent (both kinds)', { type: 'impute', columns: ['age', 'city', 'plan'], strategy: 'most_frequent' }],
  ['impute constant', { type: 'impute', columns: ['city'], strategy: 'constant', fillValue: 'none' }],
  ['standardScale', { type: 'standardScale', columns: { kind: 'numeric' } }],
  ['minMaxScale', { type: 'minMaxScale', columns: { kind: 'numeric' }, featureRange: [-1, 1] }],
  ['robustScale', { type: 'robustScale', columns: { kind: 'numeric' } }],
  ['oneHot ignore', { type: 'oneHot', columns: { kind: 'categorical' }, handleUnknown: 'ignore' }],
  ['oneHot infrequent', { type: 'oneHot', columns: { kind: 'categorical' }, handleUnknown: 'infrequent', minFrequency: 8 }],
  ['oneHot missing ignore', { type: 'oneHot', columns: ['city'], handleUnknown: 'infrequent', missing: 'ignore' }],
  ['ordinal', { type: 'ordinal', columns: { kind: 'categorical' }, handleUnknown: 'value' }],
  ['targetEncode', { type: 'targetEncode', columns: { kind: 'categorical' }, smoothing: 5, folds: 4 }],
  ['log', { type: 'log', columns: ['income', 'visits'] }],
  ['log shifted', { type: 'log', columns: ['score'], shift: 50 }],
  ['clip quantiles', { type: 'clip', columns: { kind: 'numeric' }, lowerQuantile: 5, upperQuantile: 95 }],
  ['drop', { type: 'drop', columns: ['plan', 'score'] }],
]

describe('transformRow equals transform, row by row, bit for bit', () => {
  it.each(SPECS)('%s', (_label, spec) => {
    const { fitted } = fitTransform(spec, features, { seed: 7, target: y })
    const out = fitted.createOutput()
    let compared = 0
    for (const frame of [fx.train, fx.test]) {
      const transformed = fitted.transform(frame)
      const records = recordsOf(frame)
      records.forEach((record, i) => {
        fitted.transformRow(record, out)
        fitted.outputs.forEach((o, j) => {
          const column = transformed.column(o.name)
          if (o.kind === 'numeric') expect(out.num[j], `${o.name}[${i}]`).toBe(column.kind === 'numeric' ? column.values[i] : Number.NaN)
          else expect(out.str[j], `${o.name}[${i}]`).toBe(cellValue(column, i))
          compared++
        })
      })
    }
    expect(compared).toBe((fx.train.rows + fx.test.rows) * fitted.outputs.length)
    if (spec.type !== 'drop') expect(fitted.outputs.length).toBeGreaterThan(0)
  })
})

const COMBINED: TransformSpec[] = [
  { type: 'drop', columns: ['visits'] },
  { type: 'impute', columns: ['age'], strategy: 'median' },
  { type: 'impute', columns: ['income'], strategy: 'mean' },
  { type: 'log', columns: ['income'] },
  { type: 'clip', columns: ['score'], lowerQuantile: 5, upperQuantile: 95 },
  { type: 'robustScale', columns: ['score'] },
  { type: 'impute', columns: ['plan'], strategy: 'constant', fillValue: 'none' },
  { type: 'targetEncode', columns: ['plan'], smoothing: 4 },
  { type: 'oneHot', columns: ['city'], handleUnknown: 'infrequent', minFrequency: 8 },
  { type: 'standardScale', columns: { kind: 'numeric', exclude: ['age'] } },
]

describe('a pipeline combining the transforms', () => {
  const { pipeline, frame: training } = new Pipeline(COMBINED, { seed: 11 }).fitTransform(fx.train, 'y')

  it('transforms frames and rows identically, including unseen categories and missing values, before and after save/load', () => {
    const reloaded = loadPipeline(JSON.stringify(pipeline.save()))
    expect(reloaded.outputFeatures).toEqual(pipeline.outputFeatures)
    const out = new Float64Array(pipeline.outputFeatures.length)
    let compared = 0
    for (const frame of [fx.train, fx.test]) {
      const transformed = pipeline.transform(frame)
      expect(transformed.names).toEqual(pipeline.outputFeatures)
      expect(transformed.columns.every((c) => c.kind === 'numeric')).toBe(true)
      const again = reloaded.transform(frame)
      frame.toRecords().forEach((record, i) => {
        for (const fitted of [pipeline, reloaded]) {
          const vector = fitted.transformRow(record, out)
          expect(vector).toBe(out)
          pipeline.outputFeatures.forEach((name, j) => {
            expect(vector[j], `${name}[${i}]`).toBe(transformed.numeric(name)[i])
            expect(again.numeric(name)[i]).toBe(transformed.numeric(name)[i])
            compared++
          })
        }
      })
    }
    expect(compared).toBe(2 * (fx.train.rows + fx.test.rows) * pipeline.outputFeatures.length)
  })

  it('orders output features as the input columns, each replaced in place by its outputs', () => {
    expect(pipeline.outputFeatures.slice(0, 3)).toEqual(['age', 'income', 'score'])
    expect(pipeline.outputFeatures).not.toContain('visits')
    expect(pipeline.outputFeatures).not.toContain('y')
    expect(pipeline.outputFeatures.slice(3, -1).every((n) => n.startsWith('city='))).toBe(true)
    expect(pipeline.outputFeatures).toContain('city=<infrequent>')
    expect(pipeline.outputFeatures.at(-1)).toBe('plan')
    expect(training.names).toEqual(pipeline.outputFeatures)
  })

  it('passes an untouched numeric column through unchanged', () => {
    const fitted = new Pipeline([{ type: 'oneHot', columns: { kind: 'categorical' }, handleUnknown: 'ignore' }]).fit(fx.train, 'y')
    expect(fitted.transform(fx.test).numeric('visits')).toEqual(fx.test.numeric('visits'))
    expect(fitted.transformRow({ ...fx.test.row(0) })[fitted.outputFeatures.indexOf('age')]).toBe(fx.test.numeric('age')[0])
  })

  it('gives training out-of-fold target encodings and serving the full-data encoding', () => {
    const served = pipeline.transform(fx.train).numeric('plan')
    const trained = training.numeric('plan')
    let differ = 0
    for (let i = 0; i < trained.length; i++) if (trained[i] !== served[i]) differ++
    expect(differ).toBeGreaterThan(trained.length / 2)
  })

  it('rejects a row missing a column, naming it', () => {
    const row: Record<string, unknown> = { ...fx.test.row(0) }
    delete row['city']
    expect(() => pipeline.transformRow(row as Row)).toThrow(/no column 'city'/)
    // 'visits' is dropped by the pipeline but still an input: serving must send what training had.
    expect(() => pipeline.transformRow({ ...fx.test.row(0), visits: undefined })).toThrow(/no column 'visits'/)
  })

  it('rejects a frame missing a column or with a column of the wrong kind, naming it', () => {
    expect(() => pipeline.transform(fx.test.drop(['score']))).toThrow(/no column 'score'/)
    const wrong = Frame.fromRecords(fx.test.toRecords().map((r) => ({ ...r, age: String(r['age']) + 'y' })))
    expect(() => pipeline.transform(wrong)).toThrow(/Column 'age' is categorical but was numeric/)
    expect(() => pipeline.transformRow({ ...fx.test.row(0), age: 'old' })).toThrow(/Column 'age' expects a number, got 'old'/)
  })

  it('refuses to fit when a categorical column would reach the output unencoded', () => {
    expect(() => new Pipeline([{ type: 'impute', columns: { kind: 'numeric' } }]).fit(fx.train, 'y')).toThrow(
      /Column 'city', 'plan' is categorical and no pipeline step encodes it/,
    )
  })
})
