import type { SqlValue } from '../sql-driver.js'

/** Largest list bound in one statement; well under SQLite's and PostgreSQL's parameter limits. */
export const IN_LIST_CHUNK = 1024

/**
 * `(?, ?, ...)` for an IN clause. The list is padded (by repeating its last value, which IN ignores)
 * to a power of two, so a few distinct statements reach the drivers' prepared-statement caches
 * instead of one per list length.
 */
export function inList(values: readonly SqlValue[]): { sql: string; params: SqlValue[] } {
  if (values.length === 0) throw new Error('inList needs at least one value')
  let size = 8
  while (size < values.length) size *= 2
  const params = values.slice()
  const last = values[values.length - 1]!
  while (params.length < size) params.push(last)
  return { sql: `(${new Array<string>(size).fill('?').join(', ')})`, params }
}

/** Splits `values` into chunks of at most `size`, for IN lists over large pages. */
export function chunked<T>(values: readonly T[], size = IN_LIST_CHUNK): T[][] {
  const out: T[][] = []
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size))
  return out
}
