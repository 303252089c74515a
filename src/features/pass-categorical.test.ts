import { describe, expect, it } from 'vitest'
import { categoricalColumn, cellValue, Frame, numericColumn } from '../core/frame.js'
import type { TransformSpec } from './fitted-transform.js'
import { loadPipeline, Pipeline } from './pipeline.js'

/** Two string columns: `city` gets a missing-value fill and passes through, `plan` is one-hot encoded. */
const frame = new Frame([
  numericColumn('age', [31, Number.NaN, 45, 22, 60, 38]),
  categoricalColumn('city', ['oslo', null, 'lima', 'oslo', 'pune', null]),
  categoricalColumn('plan', ['free', 'pro', 'free', 'pro', 'free', 'free']),
  numericColumn('y', [0, 1, 0, 1, 1, 0]),
])
const steps = [
  { type: 'impute', columns: ['age'], strategy: 'median' },
  { type: 'impute', columns: ['city'], strategy: 'most_frequent' },
  { type: 'oneHot', columns: ['plan'], handleUnknown: 'ignore' },
] as unknown as TransformSpec[]

describe('pipelines that pass categorical columns through (passCategorical)', () => {
  it('keeps an unencoded string column as a categorical feature in frames, records and saved JSON', () => {
    expect(() => new Pipeline(steps).fit(frame, 'y')).toThrow(/Column 'city' is categorical and no pipeline step encodes it/)
    const { pipeline, frame: training } = new Pipeline(steps, { passCategorical: true }).fitTransform(frame, 'y')
    expect(pipeline.outputFeatures).toEqual(['age', 'city', 'plan=free', 'plan=pro'])
    expect(pipeline.outputKinds).toEqual(['numeric', 'categorical', 'numeric', 'numeric'])
    expect(pipeline.hasCategoricalOutputs).toBe(true)
    expect(training.column('city').kind).toBe('categorical')

    const saved = pipeline.save()
    expect(saved.passCategorical).toBe(true)
    const reloaded = loadPipeline(JSON.stringify(saved))
    expect(reloaded.passCategorical).toBe(true)
    const scoring = new Frame([
      categoricalColumn('city', ['lima', null, 'atlantis']),
      numericColumn('age', [50, 20, Number.NaN]),
      categoricalColumn('plan', ['pro', 'free', 'gold']),
    ])
    for (const fitted of [pipeline, reloaded]) {
      const out = fitted.transform(scoring)
      expect(out.names).toEqual(fitted.outputFeatures)
      // The imputed mode fills the missing city; an unknown one passes as its string.
      expect([0, 1, 2].map((i) => cellValue(out.column('city'), i))).toEqual(['lima', 'oslo', 'atlantis'])
      for (let i = 0; i < scoring.rows; i++) {
        const row = scoring.row(i)
        const record = fitted.transformRecord(row)
        const vector = fitted.transformRow(row)
        fitted.outputFeatures.forEach((name, j) => {
          expect(record[name]).toEqual(cellValue(out.column(name), i) ?? (fitted.outputKinds[j] === 'numeric' ? Number.NaN : null))
          if (fitted.outputKinds[j] === 'numeric') expect(vector[j]).toBe(out.numeric(name)[i])
          else expect(vector[j]).toBeNaN()
        })
      }
    }
    // A reused record is overwritten, not merged: the second row's city replaces the first's.
    const reused = {}
    pipeline.transformRecord({ age: 1, city: 'pune', plan: 'free' }, reused)
    expect(pipeline.transformRecord({ age: 1, city: 'lima', plan: 'free' }, reused)).toMatchObject({ city: 'lima' })
  })

  it('leaves pipelines without the option exactly as before (no new key in the saved form)', () => {
    const encoded = [...steps, { type: 'ordinal', columns: ['city'] }] as unknown as TransformSpec[]
    const pipeline = new Pipeline(encoded).fit(frame, 'y')
    expect(pipeline.hasCategoricalOutputs).toBe(false)
    const saved = pipeline.save()
    expect('passCategorical' in saved).toBe(false)
    expect(loadPipeline(saved).passCategorical).toBe(false)
    // The option is harmless when every string column is encoded.
    const passing = new Pipeline(encoded, { passCategorical: true }).fit(frame, 'y')
    expect(passing.outputKinds.every((k) => k === 'numeric')).toBe(true)
    expect(() => loadPipeline({ ...saved, passCategorical: 'yes' })).toThrow(/'passCategorical' must be true when present/)
    // An old pipeline file with an unencoded string column (hand-edited) is still refused.
    const bare = new Pipeline([], { passCategorical: true }).fit(frame, 'y').save()
    delete (bare as { passCategorical?: true }).passCategorical
    expect(() => loadPipeline(bare)).toThrow(/is categorical and no pipeline step encodes it/)
  })
})
