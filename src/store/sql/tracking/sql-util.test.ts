import { describe, expect, it } from 'vitest'
import type { SqlExecutor, SqlValue } from '../sql-driver.js'
import { chunk, experimentKey, isUniqueViolation, placeholders, powerOfTwoChunks, selectIn, valueRows } from './sql-util.js'

describe('sql-util', () => {
  it('builds placeholder lists and VALUES rows', () => {
    expect(placeholders(0)).toBe('')
    expect(placeholders(3)).toBe('?, ?, ?')
    expect(valueRows(2, 3)).toBe('(?, ?, ?), (?, ?, ?)')
  })

  it('splits rows into power-of-two chunks so statement shapes repeat', () => {
    const items = Array.from({ length: 37 }, (_, i) => i)
    const parts = powerOfTwoChunks(items)
    expect(parts.map((p) => p.length)).toEqual([32, 4, 1])
    expect(parts.flat()).toEqual(items)
    expect(powerOfTwoChunks(Array.from({ length: 300 }, (_, i) => i)).map((p) => p.length)).toEqual([128, 128, 32, 8, 4])
    expect(powerOfTwoChunks([])).toEqual([])
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
  })

  it('accepts only digit-string experiment ids', () => {
    expect(experimentKey('0')).toBe(0)
    expect(experimentKey('42')).toBe(42)
    for (const bad of ['', 'abc', '-1', '1.5', '1e3', '9'.repeat(16)]) expect(experimentKey(bad)).toBeUndefined()
  })

  it('recognizes unique violations of both dialects', () => {
    expect(isUniqueViolation({ code: '23505' })).toBe(true)
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(true)
    expect(isUniqueViolation({ code: 'SQLITE_BUSY' })).toBe(false)
    expect(isUniqueViolation(null)).toBe(false)
  })

  it('pads IN lists to powers of two and splits long ones', async () => {
    const calls: Array<{ sql: string; params: readonly SqlValue[] }> = []
    const db: SqlExecutor = {
      dialect: 'sqlite',
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => {
        calls.push({ sql, params })
        return params.slice(1).map((id) => ({ id })) as T[]
      },
      get: async () => undefined,
      run: async () => ({ changes: 0 }),
    }
    const ids = Array.from({ length: 600 }, (_, i) => `r${i}`)
    const rows = await selectIn<{ id: string }>(db, ids, (list) => `SELECT id FROM t WHERE k = ? AND id IN (${list})`, ['k'])
    expect(calls.map((c) => c.params.length - 1)).toEqual([512, 128])
    expect(calls[1]?.params.slice(-40)).toEqual(new Array(40).fill('r599'))
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids))
    expect(await selectIn(db, [], () => 'never')).toEqual([])
  })
})
