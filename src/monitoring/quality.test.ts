import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../core/frame.js'
import { profileFrame } from './profile.js'
import { dataQuality, referenceCategoriesExact } from './quality.js'

const reference = profileFrame(
  new Frame([
    numericColumn('amount', [10, 20, 30, 40, 50, 60]),
    categoricalColumn('country', ['DE', 'FR', 'DE', 'IT', 'FR', 'DE']),
    numericColumn('age', [20, 30, 40, 50, 60, 70]),
    categoricalColumn('channel', ['web', 'app', 'web', 'web', 'app', 'web']),
  ]),
)

describe('dataQuality', () => {
  it('reports missing rates, out-of-range shares and new categories per column', () => {
    const current = new Frame([
      // 2 missing of 8; of the 6 present, 5 (below 10) and 61, 1000 (above 60) are out of range.
      numericColumn('amount', [5, 10, Number.NaN, 60, 61, 1000, Number.NaN, 35]),
      // 1 missing; ES twice and PL once are new (3 of 7 present values, 2 distinct).
      categoricalColumn('country', ['DE', 'ES', null, 'FR', 'ES', 'PL', 'IT', 'DE']),
      numericColumn('age', [20, 30, 40, 50, 60, 70, 25, 35]),
      categoricalColumn('channel', ['web', 'app', 'web', 'web', 'app', 'web', 'web', 'app']),
    ])
    const q = dataQuality(reference, current)
    expect(q['quality.missing.amount']).toBeCloseTo(2 / 8, 12)
    expect(q['quality.out_of_range.amount']).toBeCloseTo(3 / 6, 12)
    expect(q['quality.missing.country']).toBeCloseTo(1 / 8, 12)
    expect(q['quality.new_categories.country']).toBeCloseTo(3 / 7, 12)
    expect(q['quality.new_category_count.country']).toBe(2)
    expect(q['quality.out_of_range.age']).toBe(0)
    expect(q['quality.new_categories.channel']).toBe(0)
    expect(q['quality.missing']).toBeCloseTo(3 / 32, 12)
    expect(q['quality.schema_violations']).toBe(0)
    expect(q['quality.type_mismatch.amount']).toBe(0)
  })

  it('reports schema violations (missing and unexpected columns) and columns of the wrong kind', () => {
    const current = new Frame([
      categoricalColumn('amount', ['ten', 'twenty', null]),
      categoricalColumn('country', ['DE', 'FR', 'DE']),
      numericColumn('age', [20, 30, 40]),
      numericColumn('device_id', [1, 2, 3]),
    ])
    const q = dataQuality(reference, current)
    expect(q['quality.missing_column.channel']).toBe(1)
    expect(q['quality.unexpected_column.device_id']).toBe(1)
    expect(q['quality.schema_violations']).toBe(2)
    expect(q['quality.type_mismatch.amount']).toBe(1)
    expect(q['quality.missing.amount']).toBeCloseTo(1 / 3, 12)
    expect(q['quality.type_mismatch.country']).toBe(0)
    expect(q).not.toHaveProperty('quality.missing.channel')
  })

  it('knows when the reference category set is exact', () => {
    const country = reference.columns.find((c) => c.name === 'country')!
    expect(referenceCategoriesExact(country)).toBe(true)
    const many = profileFrame(new Frame([categoricalColumn('id', Array.from({ length: 500 }, (_, i) => `id-${i}`))]))
    expect(referenceCategoriesExact(many.columns[0]!)).toBe(false)
  })
})
