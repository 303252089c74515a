import { describe, expect, it } from 'vitest'
import { integerComparison, stringComparison, viewTypeCondition } from './search-sql.js'

describe('integerComparison', () => {
  it('binds integers as they are', () => {
    expect(integerComparison('c', '>=', 5)).toEqual({ sql: 'c >= ?', params: [5] })
  })

  it('turns fractional bounds into equivalent integer bounds', () => {
    expect(integerComparison('c', '>', 1.5)).toEqual({ sql: 'c > ?', params: [1] })
    expect(integerComparison('c', '>=', 1.5)).toEqual({ sql: 'c >= ?', params: [2] })
    expect(integerComparison('c', '<', 1.5)).toEqual({ sql: 'c < ?', params: [2] })
    expect(integerComparison('c', '<=', 1.5)).toEqual({ sql: 'c <= ?', params: [1] })
    expect(integerComparison('c', '<=', -1.5)).toEqual({ sql: 'c <= ?', params: [-2] })
    expect(integerComparison('c', '=', 1.5)).toEqual({ sql: '1 = 0', params: [] })
    expect(integerComparison('c', '!=', 1.5)).toEqual({ sql: 'c IS NOT NULL', params: [] })
  })

  it('never binds a value outside the integer range', () => {
    expect(integerComparison('c', '<', 1e300)).toEqual({ sql: 'c IS NOT NULL', params: [] })
    expect(integerComparison('c', '>', 1e300)).toEqual({ sql: '1 = 0', params: [] })
    expect(integerComparison('c', '>', -Infinity)).toEqual({ sql: 'c IS NOT NULL', params: [] })
    expect(integerComparison('c', '=', -1e300)).toEqual({ sql: '1 = 0', params: [] })
  })
})

describe('stringComparison', () => {
  it('writes ILIKE as lower() LIKE lower() and disables the PostgreSQL LIKE escape', () => {
    expect(stringComparison('sqlite', 'v', 'ILIKE', 'A%')).toEqual({ sql: 'lower(v) LIKE lower(CAST(? AS TEXT))', params: ['A%'] })
    expect(stringComparison('postgres', 'v', 'LIKE', 'a\\%')).toEqual({ sql: "v LIKE ? ESCAPE ''", params: ['a\\%'] })
    expect(stringComparison('sqlite', 'v', 'NOT IN', ['a', 'b'])).toEqual({ sql: 'v NOT IN (?, ?)', params: ['a', 'b'] })
    expect(stringComparison('sqlite', 'v', '!=', 'a')).toEqual({ sql: 'v != ?', params: ['a'] })
  })
})

describe('viewTypeCondition', () => {
  it('maps view types to lifecycle conditions', () => {
    expect(viewTypeCondition('r', undefined)).toBe("r.lifecycle_stage = 'active'")
    expect(viewTypeCondition('r', 'DELETED_ONLY')).toBe("r.lifecycle_stage = 'deleted'")
    expect(viewTypeCondition('r', 'ALL')).toBeUndefined()
  })
})
