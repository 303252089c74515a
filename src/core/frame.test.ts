import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from './frame.js'

describe('Frame', () => {
  const frame = new Frame([numericColumn('amount', [1.5, Number.NaN, 3]), categoricalColumn('country', ['fr', null, 'de'])])

  it('stores numbers in typed arrays and categories as codes, with explicit missing values', () => {
    expect(frame.rows).toBe(3)
    expect(frame.numeric('amount')).toBeInstanceOf(Float64Array)
    const country = frame.column('country')
    expect(country.kind === 'categorical' && [...country.codes]).toEqual([0, -1, 1])
    expect(frame.toRecords()).toEqual([
      { amount: 1.5, country: 'fr' },
      { amount: null, country: null },
      { amount: 3, country: 'de' },
    ])
  })

  it('takes, slices, selects and drops without touching the source', () => {
    expect(frame.take([2, 0, 2]).toRecords().map((r) => r['country'])).toEqual(['de', 'fr', 'de'])
    expect(frame.slice(1).rows).toBe(2)
    expect(frame.select(['country']).names).toEqual(['country'])
    expect(frame.drop(['country']).names).toEqual(['amount'])
    expect(frame.rows).toBe(3)
  })

  it('names the column and the fix in its errors', () => {
    expect(() => frame.column('amout')).toThrow(/No column 'amout'. Columns: amount, country/)
    expect(() => frame.numeric('country')).toThrow(/'country' is categorical; encode it first/)
    expect(() => new Frame([numericColumn('a', [1]), numericColumn('b', [1, 2])])).toThrow(/'b' has 2 rows but 'a' has 1/)
    expect(() => new Frame([numericColumn('a', [1]), numericColumn('a', [2])])).toThrow(/appears twice/)
  })

  it('builds from JSON rows, reusing a training frame’s kinds and categories', () => {
    const rows = Frame.fromRecords([{ amount: 2, country: 'de' }, { amount: null, country: 'it' }], frame)
    const country = rows.column('country')
    expect(country.kind === 'categorical' && country.categories).toEqual(['fr', 'de', 'it'])
    expect(country.kind === 'categorical' && [...country.codes]).toEqual([1, 2])
    expect(() => Frame.fromRecords([{ amount: 'abc', country: 'fr' }], frame)).toThrow(/'amount' expects a number, got 'abc'/)
  })
})
