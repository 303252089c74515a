import type { SqlExecutor, SqlValue } from '../sql-driver.js'

/** Largest IN list / multi-row VALUES chunk; well under SQLite's and PostgreSQL's parameter limits. */
export const MAX_IN_LIST = 500
const IN_LIST_CHUNK = 512

/** `?, ?, ?` */
export function placeholders(count: number): string {
  return count === 0 ? '' : '?' + ', ?'.repeat(count - 1)
}

/** `(?, ?), (?, ?)` for `rows` rows of `columns` values. */
export function valueRows(rows: number, columns: number): string {
  const row = `(${placeholders(columns)})`
  return row + `, ${row}`.repeat(rows - 1)
}

export function chunk<T>(items: readonly T[], size: number = MAX_IN_LIST): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Splits a row count into power-of-two chunk sizes (37 → 32, 4, 1) so multi-row statements come in a few
 * fixed shapes the drivers can cache, instead of one shape per batch size.
 */
export function powerOfTwoChunks<T>(items: readonly T[], max = 128): T[][] {
  const out: T[][] = []
  let i = 0
  while (i < items.length) {
    let size = max
    while (size > items.length - i) size >>= 1
    out.push(items.slice(i, i + size))
    i += size
  }
  return out
}

/**
 * Inserts rows with multi-row VALUES statements: `sql(rowsSql)` builds the statement around the
 * `(?, ?), (?, ?)` list and `flatten` writes one row's values.
 */
export async function insertRows<T>(
  db: SqlExecutor,
  rows: readonly T[],
  columns: number,
  sql: (values: string) => string,
  flatten: (row: T, out: SqlValue[]) => void,
): Promise<void> {
  for (const part of powerOfTwoChunks(rows)) {
    const params: SqlValue[] = []
    for (const row of part) flatten(row, params)
    await db.run(sql(valueRows(part.length, columns)), params)
  }
}

/**
 * Runs `query` over `ids` in IN-list chunks and concatenates the rows. Each list is padded to a power of
 * two by repeating its last id (harmless inside IN), so a query has a handful of shapes the driver can
 * cache rather than one per list length.
 */
export async function selectIn<R>(
  db: SqlExecutor,
  ids: readonly SqlValue[],
  query: (inList: string) => string,
  before: readonly SqlValue[] = [],
): Promise<R[]> {
  const rows: R[] = []
  for (const part of chunk(ids, IN_LIST_CHUNK)) {
    let size = 1
    while (size < part.length) size <<= 1
    const padded = part.concat(new Array<SqlValue>(size - part.length).fill(part[part.length - 1]!))
    rows.push(...(await db.all<R>(query(placeholders(size)), [...before, ...padded])))
  }
  return rows
}

/** A unique-constraint violation on either dialect (SQLite SQLITE_CONSTRAINT_*, PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** Experiment ids are string integers; anything else names no experiment (and must never reach a BIGINT). */
export function experimentKey(id: string): number | undefined {
  if (!/^\d{1,15}$/.test(id)) return undefined
  return Number(id)
}

export type RowLock = 'update' | 'share' | 'delete'

const LOCKS: Record<RowLock, string> = { update: ' FOR NO KEY UPDATE', share: ' FOR SHARE', delete: ' FOR UPDATE' }

/**
 * A row lock where the dialect has them (SQLite's `BEGIN IMMEDIATE` already serializes writers).
 * `update` (`FOR NO KEY UPDATE`) serializes writers of the row without blocking the foreign-key checks
 * of child inserts (KEY SHARE), so a delete cannot deadlock with a batch; `share` lets concurrent
 * creators of child rows (runs of one experiment) proceed together; `delete` is for rows about to go.
 * PostgreSQL re-checks the WHERE clause of a locking read after waiting, so a row restored meanwhile
 * drops out of a purge.
 */
export function lockClause(db: SqlExecutor, lock: RowLock | undefined, alias?: string): string {
  if (db.dialect !== 'postgres' || lock === undefined) return ''
  return `${LOCKS[lock]}${alias === undefined ? '' : ` OF ${alias}`}`
}

/** Groups rows by a string field, keeping row order within each group. */
export function groupBy<R>(rows: readonly R[], key: (row: R) => string): Map<string, R[]> {
  const groups = new Map<string, R[]>()
  for (const row of rows) {
    const k = key(row)
    const list = groups.get(k)
    if (list === undefined) groups.set(k, [row])
    else list.push(row)
  }
  return groups
}

