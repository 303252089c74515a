import { invalidParameter } from '../../../core/errors.js'
import { offsetFromToken } from '../../../core/page.js'
import { REGISTRY_LIMITS } from '../../../registry/validation.js'
import { parseFilter, parseOrderBy } from '../../../tracking/search-filter.js'
import type { Comparator, FilterClause } from '../../../tracking/search-filter.js'
import type { SqlDialect, SqlValue } from '../sql-driver.js'

/** A WHERE clause (without the keyword; `1 = 1` when empty), its parameters and an ORDER BY list. */
export interface SearchSql {
  where: string
  params: SqlValue[]
  orderBy: string
}

/** Offsets beyond 2^53 cannot come from our own tokens, and PostgreSQL would reject them as bigint. */
export function pageOffset(token: string | undefined): number {
  const offset = offsetFromToken(token)
  if (offset > Number.MAX_SAFE_INTEGER) throw invalidParameter('Invalid page token: its offset is out of range.')
  return offset
}

const STRING_COMPARATORS = new Set<Comparator>(['=', '!=', 'LIKE', 'ILIKE'])
/** Longest IN list a filter may hold (parameter limits of the drivers are far above). */
const MAX_IN_LIST = 1000
const NUMBER_COMPARATORS = new Set<Comparator>(['=', '!=', '>', '>=', '<', '<='])

/**
 * `column <op> ?`. LIKE escapes with a backslash on both dialects (PostgreSQL's default), so `\%`
 * matches a literal percent sign everywhere; SQLite's LIKE is case-sensitive (driver pragma).
 */
function compareString(dialect: SqlDialect, column: string, comparator: Comparator): string {
  switch (comparator) {
    case '=':
      return `${column} = ?`
    case '!=':
      return `${column} <> ?`
    case 'LIKE':
      return dialect === 'sqlite' ? `${column} LIKE ? ESCAPE '\\'` : `${column} LIKE ?`
    case 'ILIKE':
      return dialect === 'sqlite' ? `lower(${column}) LIKE lower(?) ESCAPE '\\'` : `${column} ILIKE ?`
    default:
      throw new Error(`not a string comparator: ${comparator}`)
  }
}

function stringValue(clause: FilterClause, filter: string, what: string): string {
  if (typeof clause.value !== 'string') {
    throw invalidParameter(`Invalid filter '${filter}': ${what} must be compared with a quoted string.`)
  }
  // PostgreSQL rejects a pattern ending in its escape character; say so instead of failing there.
  if ((clause.comparator === 'LIKE' || clause.comparator === 'ILIKE') && /(^|[^\\])(\\\\)*\\$/.test(clause.value)) {
    throw invalidParameter(`Invalid filter '${filter}': the ${clause.comparator} pattern ends with a lone '\\'; write '\\\\' for a backslash.`)
  }
  return clause.value
}

function tagClause(dialect: SqlDialect, clause: FilterClause, filter: string, table: string, owner: string): { sql: string; params: SqlValue[] } {
  if (!STRING_COMPARATORS.has(clause.comparator)) {
    throw invalidParameter(`Invalid filter '${filter}': tags compare with = != LIKE ILIKE, not ${clause.comparator}.`)
  }
  const value = stringValue(clause, filter, `tags.${clause.key}`)
  return {
    sql: `EXISTS (SELECT 1 FROM ${table} t WHERE ${owner} AND t.key = ? AND ${compareString(dialect, 't.value', clause.comparator)})`,
    params: [clause.key, value],
  }
}

function inClause(column: string, clause: FilterClause, filter: string): { sql: string; params: SqlValue[] } {
  if (!Array.isArray(clause.value) || clause.value.length === 0) {
    throw invalidParameter(`Invalid filter '${filter}': ${clause.comparator} needs a non-empty list like ('a', 'b').`)
  }
  if (clause.value.length > MAX_IN_LIST) {
    throw invalidParameter(`Invalid filter: ${clause.comparator} lists hold at most ${MAX_IN_LIST} values; split the search.`)
  }
  const marks = clause.value.map(() => '?').join(', ')
  return { sql: `${column} ${clause.comparator === 'IN' ? 'IN' : 'NOT IN'} (${marks})`, params: clause.value }
}

function orderClauses(
  orderBy: readonly string[] | undefined,
  keys: Record<string, string>,
  what: string,
): { column: string; ascending: boolean }[] {
  const seen = new Set<string>()
  const out: { column: string; ascending: boolean }[] = []
  for (const item of orderBy ?? []) {
    if (typeof item !== 'string' || item.trim() === '') continue
    const parsed = parseOrderBy(item)
    const column = parsed.type === 'attribute' ? keys[parsed.key] : undefined
    if (column === undefined) {
      throw invalidParameter(`Invalid order_by '${item}' for ${what}: use ${Object.keys(keys).join(', ')} with ASC or DESC.`)
    }
    if (seen.has(column)) throw invalidParameter(`order_by names '${parsed.key}' twice: ${JSON.stringify(orderBy)}.`)
    seen.add(column)
    out.push({ column, ascending: parsed.ascending })
  }
  return out
}

function render(clauses: { column: string; ascending: boolean }[]): string {
  return clauses.map((c) => `${c.column} ${c.ascending ? 'ASC' : 'DESC'}`).join(', ')
}

const MODEL_ORDER_KEYS: Record<string, string> = {
  name: 'm.name',
  timestamp: 'm.last_updated_timestamp',
  last_updated_timestamp: 'm.last_updated_timestamp',
  creation_timestamp: 'm.creation_timestamp',
}

/** `registered-models/search`: `name` and `tags.<k>` with = != LIKE ILIKE; ties break on name. */
export function modelSearchSql(dialect: SqlDialect, filter: string | undefined, orderBy: readonly string[] | undefined): SearchSql {
  const where: string[] = []
  const params: SqlValue[] = []
  for (const clause of parseFilter(filter)) {
    const text = filter ?? ''
    if (clause.type === 'tag') {
      const t = tagClause(dialect, clause, text, 'registered_model_tags', 't.model_key = m.id')
      where.push(t.sql)
      params.push(...t.params)
    } else if (clause.type === 'attribute' && clause.key === 'name') {
      if (!STRING_COMPARATORS.has(clause.comparator)) {
        throw invalidParameter(`Invalid filter '${text}': name compares with = != LIKE ILIKE, not ${clause.comparator}.`)
      }
      where.push(compareString(dialect, 'm.name', clause.comparator))
      params.push(stringValue(clause, text, 'name'))
    } else {
      throw invalidParameter(`Invalid filter '${text}': registered models filter on name and tags.<key> only.`)
    }
  }
  const clauses = orderClauses(orderBy, MODEL_ORDER_KEYS, 'registered models')
  if (!clauses.some((c) => c.column === 'm.name')) clauses.push({ column: 'm.name', ascending: true })
  return { where: where.length > 0 ? where.join(' AND ') : '1 = 1', params, orderBy: render(clauses) }
}

const VERSION_ORDER_KEYS: Record<string, string> = {
  name: 'm.name',
  version_number: 'v.version',
  creation_timestamp: 'v.creation_timestamp',
  timestamp: 'v.last_updated_timestamp',
  last_updated_timestamp: 'v.last_updated_timestamp',
}

const VERSION_STRING_COLUMNS: Record<string, string> = { name: 'm.name', run_id: 'v.run_id', source_path: 'v.source' }

function versionNumber(value: unknown, filter: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(n) || n < 0 || n > REGISTRY_LIMITS.versionMax) {
    throw invalidParameter(`Invalid filter '${filter}': version_number compares with a whole number.`)
  }
  return n
}

/**
 * `model-versions/search`: `name`, `run_id` (also IN / NOT IN), `source_path`, `version_number`
 * (numeric comparisons) and `tags.<k>`. Default order is MLflow's: last update DESC, name ASC,
 * version DESC; name and version always end the order so pages are stable.
 */
export function versionSearchSql(dialect: SqlDialect, filter: string | undefined, orderBy: readonly string[] | undefined): SearchSql {
  const where: string[] = []
  const params: SqlValue[] = []
  const text = filter ?? ''
  for (const clause of parseFilter(filter)) {
    if (clause.type === 'tag') {
      const t = tagClause(dialect, clause, text, 'model_version_tags', 't.version_key = v.id')
      where.push(t.sql)
      params.push(...t.params)
      continue
    }
    const column = clause.type === 'attribute' ? VERSION_STRING_COLUMNS[clause.key] : undefined
    if (column !== undefined) {
      if (clause.comparator === 'IN' || clause.comparator === 'NOT IN') {
        if (clause.key !== 'run_id' && clause.key !== 'name') {
          throw invalidParameter(`Invalid filter '${text}': IN and NOT IN work for run_id and name only.`)
        }
        const c = inClause(column, clause, text)
        where.push(c.sql)
        params.push(...c.params)
      } else if (STRING_COMPARATORS.has(clause.comparator)) {
        where.push(compareString(dialect, column, clause.comparator))
        params.push(stringValue(clause, text, clause.key))
      } else {
        throw invalidParameter(`Invalid filter '${text}': ${clause.key} compares with = != LIKE ILIKE, not ${clause.comparator}.`)
      }
    } else if (clause.type === 'attribute' && clause.key === 'version_number') {
      if (clause.comparator === 'IN' || clause.comparator === 'NOT IN') {
        const values = Array.isArray(clause.value) ? clause.value.map((v) => versionNumber(v, text)) : []
        const c = inClause('v.version', { ...clause, value: values.map(String) }, text)
        where.push(c.sql)
        params.push(...values)
      } else if (NUMBER_COMPARATORS.has(clause.comparator)) {
        where.push(`v.version ${clause.comparator === '!=' ? '<>' : clause.comparator} ?`)
        params.push(versionNumber(clause.value, text))
      } else {
        throw invalidParameter(`Invalid filter '${text}': version_number compares with = != > >= < <=.`)
      }
    } else {
      throw invalidParameter(
        `Invalid filter '${text}': model versions filter on name, run_id, source_path, version_number and tags.<key>.`,
      )
    }
  }
  const given = (orderBy ?? []).filter((o) => typeof o === 'string' && o.trim() !== '')
  const clauses = orderClauses(
    given.length > 0 ? given : ['last_updated_timestamp DESC', 'name ASC', 'version_number DESC'],
    VERSION_ORDER_KEYS,
    'model versions',
  )
  if (!clauses.some((c) => c.column === 'm.name')) clauses.push({ column: 'm.name', ascending: true })
  if (!clauses.some((c) => c.column === 'v.version')) clauses.push({ column: 'v.version', ascending: false })
  return { where: where.length > 0 ? where.join(' AND ') : '1 = 1', params, orderBy: render(clauses) }
}
