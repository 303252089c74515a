import { describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import { loadFeaturesFixture } from '../../test/fixtures/features/load-features-fixture.js'
import { assertValid, inferSchema, parseDataSchema, validateFrame, validateRow, type DataSchema } from './validation.js'

const fx = loadFeaturesFixture()

function people(ages: number[], cities: Array<string | null>, ids: number[]): Frame {
  return new Frame([numericColumn('id', ids, 'int'), numericColumn('age', ages, 'int'), categoricalColumn('city', cities)])
}

const base = people([30, 41, 25, 60], ['Oslo', 'Rome', 'Oslo', null], [1, 2, 3, 4])

describe('inferSchema', () => {
  const schema = inferSchema(base)

  it('records kinds, dtypes, ranges and categories as seen, uniqueness, and a missing-rate limit with headroom', () => {
    const [id, age, city] = schema.columns
    expect(id).toMatchObject({ name: 'id', kind: 'numeric', dtype: 'int', min: 1, max: 4, unique: true, required: true })
    expect(age).toMatchObject({ kind: 'numeric', min: 25, max: 60, maxMissingRate: 0.05 })
    expect(age!.unique).toBe(true)
    expect(city).toMatchObject({ kind: 'categorical', dtype: 'string', allowed: ['Oslo', 'Rome'] })
    // One of four missing: max(0.25 + 0.05, 2 × 0.25).
    expect(city!.maxMissingRate).toBe(0.5)
  })

  it('is JSON-serialisable: a round trip validates the same', () => {
    const copy = parseDataSchema(JSON.stringify(schema))
    expect(copy).toEqual(schema)
    const probe = people([30, -1, 25, 61], ['Oslo', 'Paris', 'Oslo', 'Rome'], [1, 1, 2, 3])
    expect(validateFrame(probe, copy)).toEqual(validateFrame(probe, schema))
  })

  it('takes overrides and rejects overrides of unknown columns', () => {
    const s = inferSchema(base, { overrides: { age: { min: 0, max: 120 } }, missingHeadroom: 0 })
    expect(s.columns[1]).toMatchObject({ min: 0, max: 120, maxMissingRate: 0 })
    expect(() => inferSchema(base, { overrides: { height: { min: 0 } } })).toThrow(/'height'/)
  })

  it('gives no allowed list to high-cardinality categorical columns, and no unique to float columns', () => {
    const s = inferSchema(fx.train, { maxCategories: 3 })
    expect(s.columns.find((c) => c.name === 'city')!.allowed).toBeUndefined()
    expect(s.columns.find((c) => c.name === 'score')!.unique).toBeUndefined()
  })
})

describe('validateFrame', () => {
  const schema = inferSchema(base)

  it('passes the data it was inferred from', () => {
    expect(validateFrame(base, schema)).toEqual({ valid: true, rows: 4, violations: [], missingColumns: [], extraColumns: [] })
  })

  it('lists every violation with column, rule, count and up to 5 distinct examples', () => {
    const ages = [-1, -1, -2, -3, -4, -5, -6, 70, 30, 30]
    const cities = ['Oslo', 'Paris', 'Paris', 'Lima', null, null, null, null, null, null]
    const report = validateFrame(people(ages, cities, [1, 2, 3, 4, 5, 6, 7, 8, 9, 9]), schema)
    expect(report.valid).toBe(false)
    const by = (column: string, rule: string) => report.violations.find((v) => v.column === column && v.rule === rule)
    expect(by('age', 'min')).toMatchObject({ count: 7, examples: [-1, -2, -3, -4, -5] })
    expect(by('age', 'max')).toMatchObject({ count: 1, examples: [70] })
    expect(by('age', 'unique')).toMatchObject({ count: 2, examples: [-1, 30] })
    expect(by('id', 'max')).toMatchObject({ count: 6 })
    expect(by('id', 'unique')).toMatchObject({ count: 1, examples: [9] })
    expect(by('city', 'allowed')).toMatchObject({ count: 3, examples: ['Paris', 'Lima'] })
    expect(by('city', 'missing_rate')).toMatchObject({ count: 6, examples: [] })
    expect(by('city', 'missing_rate')!.message).toMatch(/60\.00% missing \(6 of 10 rows\), above the limit of 50\.00%/)
    expect(report.violations).toHaveLength(7)
  })

  it('reports missing and extra columns and type mismatches', () => {
    const frame = new Frame([numericColumn('id', [1.5, 2], 'float'), categoricalColumn('age', ['old', 'young']), numericColumn('height', [1, 2])])
    const report = validateFrame(frame, { ...schema, extraColumns: 'error' })
    expect(report.missingColumns).toEqual(['city'])
    expect(report.extraColumns).toEqual(['height'])
    expect(report.violations.map((v) => `${v.column}:${v.rule}`).sort()).toEqual(['age:type', 'city:missing_column', 'height:extra_column', 'id:type'])
    expect(report.violations.find((v) => v.column === 'age')).toMatchObject({ count: 2, examples: ['old', 'young'] })
    expect(validateFrame(frame, schema).violations.some((v) => v.rule === 'extra_column')).toBe(false)
  })

  it('finds, on the fixture, exactly the out-of-range values and unseen categories of the held-out frame', () => {
    const learnt = inferSchema(fx.train)
    const report = validateFrame(fx.test, learnt)
    const ageSpec = learnt.columns.find((c) => c.name === 'age')!
    const testAges = [...fx.test.numeric('age')]
    const above = testAges.filter((v) => v > ageSpec.max!).length
    expect(report.violations.find((v) => v.column === 'age' && v.rule === 'max')?.count ?? 0).toBe(above)
    const city = fx.test.column('city')
    const allowed = new Set(learnt.columns.find((c) => c.name === 'city')!.allowed)
    const unseen = fx.test.toRecords().filter((r) => r['city'] !== null && !allowed.has(r['city'] as string)).length
    expect(unseen).toBeGreaterThan(0)
    expect(city.kind).toBe('categorical')
    expect(report.violations.find((v) => v.column === 'city' && v.rule === 'allowed')).toMatchObject({ count: unseen, examples: expect.arrayContaining(['Zurich', 'Atlantis']) })
  })
})

describe('validateRow', () => {
  const schema: DataSchema = inferSchema(base, { missingHeadroom: 0, extraColumns: 'error' })

  it('accepts a conforming row and reports each problem of a bad one', () => {
    expect(validateRow({ id: 2, age: 30, city: 'Rome' }, schema)).toEqual([])
    const violations = validateRow({ id: 2.5, age: 'old', city: 'Lima', extra: 1 }, schema)
    expect(violations.map((v) => `${v.column}:${v.rule}`)).toEqual(['id:type', 'age:type', 'city:allowed', 'extra:extra_column'])
    expect(validateRow({ id: null, age: 99 }, schema).map((v) => `${v.column}:${v.rule}`)).toEqual(['id:missing', 'age:max', 'city:missing_column'])
  })
})

describe('assertValid', () => {
  it('does nothing for a valid report and throws INVALID_PARAMETER_VALUE summarising the violations otherwise', () => {
    const schema = inferSchema(base)
    expect(() => assertValid(validateFrame(base, schema))).not.toThrow()
    let caught: unknown
    try {
      assertValid(validateFrame(people([30, 200], ['Oslo', 'Mars'], [1, 2]), schema))
    } catch (error) {
      caught = error
    }
    expect(isKeelError(caught)).toBe(true)
    const error = caught as { code: string; message: string; details: { violations: unknown[] } }
    expect(error.code).toBe('INVALID_PARAMETER_VALUE')
    expect(error.message).toMatch(/^Data validation failed with 2 violations: Column 'age' has 1 values above the maximum 60 \(e\.g\. 200\)\. Column 'city' has 1 values outside/)
    expect(error.details.violations).toHaveLength(2)
  })

  it('rejects a malformed stored schema naming the field', () => {
    expect(() => parseDataSchema({ format: 'keel-data-schema', formatVersion: 1, columns: [{ name: 'a', kind: 'numeric', dtype: 'string' }] })).toThrow(/'a': 'dtype'/)
    expect(() => parseDataSchema('{')).toThrow(/not valid JSON/)
  })
})
