import type { Comparator, ViewType } from '../../../tracking/index.js'
import type { SqlDialect, SqlValue } from '../sql-driver.js'

/** A piece of SQL with its parameters in textual order. */
export interface SqlFragment {
  sql: string
  params: SqlValue[]
}

const NEVER: SqlFragment = { sql: '1 = 0', params: [] }

/**
 * `column <op> value` for an integer column (times, steps). A fractional or out-of-range bound is turned
 * into the equivalent integer bound, so PostgreSQL never receives a non-integer for a BIGINT parameter
 * and the column's index stays usable.
 */
export function integerComparison(column: string, comparator: Comparator, value: number): SqlFragment {
  const always: SqlFragment = { sql: `${column} IS NOT NULL`, params: [] }
  if (Number.isSafeInteger(value)) return { sql: `${column} ${comparator} ?`, params: [value] }
  if (value > Number.MAX_SAFE_INTEGER) {
    return comparator === '<' || comparator === '<=' || comparator === '!=' ? always : NEVER
  }
  if (value < -Number.MAX_SAFE_INTEGER) {
    return comparator === '>' || comparator === '>=' || comparator === '!=' ? always : NEVER
  }
  switch (comparator) {
    case '>':
      return { sql: `${column} > ?`, params: [Math.floor(value)] }
    case '>=':
      return { sql: `${column} >= ?`, params: [Math.ceil(value)] }
    case '<':
      return { sql: `${column} < ?`, params: [Math.ceil(value)] }
    case '<=':
      return { sql: `${column} <= ?`, params: [Math.floor(value)] }
    case '!=':
      return always
    default:
      return NEVER
  }
}

/**
 * String comparison with MLflow's semantics on both dialects: `=`/`!=` and LIKE are case-sensitive, ILIKE
 * is `lower() LIKE lower()`. PostgreSQL's LIKE treats `\` as an escape, SQLite's does not; `ESCAPE ''`
 * turns it off so a pattern means the same everywhere.
 */
export function stringComparison(dialect: SqlDialect, expr: string, comparator: Comparator, value: string | string[]): SqlFragment {
  const escape = dialect === 'postgres' ? ` ESCAPE ''` : ''
  switch (comparator) {
    case '=':
    case '!=':
      return { sql: `${expr} ${comparator} ?`, params: [value as string] }
    case 'LIKE':
      return { sql: `${expr} LIKE ?${escape}`, params: [value as string] }
    case 'ILIKE':
      return { sql: `lower(${expr}) LIKE lower(CAST(? AS TEXT))${escape}`, params: [value as string] }
    case 'IN':
    case 'NOT IN': {
      const list = Array.isArray(value) ? value : [value]
      return { sql: `${expr} ${comparator} (${list.map(() => '?').join(', ')})`, params: [...list] }
    }
    default:
      return NEVER
  }
}

export function viewTypeCondition(alias: string, viewType: ViewType | undefined): string | undefined {
  switch (viewType ?? 'ACTIVE_ONLY') {
    case 'ACTIVE_ONLY':
      return `${alias}.lifecycle_stage = 'active'`
    case 'DELETED_ONLY':
      return `${alias}.lifecycle_stage = 'deleted'`
    default:
      return undefined
  }
}
