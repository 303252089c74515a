import { decodePageToken, encodePageToken, offsetFromToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import { DEFAULT_MAX_RESULTS, parseRunFilter, parseRunOrderBy } from '../../../tracking/index.js'
import type { FilterClause, OrderByClause, Run, SearchRunsInput, ViewType } from '../../../tracking/index.js'
import type { SqlDialect, SqlExecutor, SqlValue } from '../sql-driver.js'
import { RUN_COLUMNS, loadRuns } from './rows.js'
import type { RunRow } from './rows.js'
import { integerComparison, stringComparison, viewTypeCondition } from './search-sql.js'
import type { SqlFragment } from './search-sql.js'
import { experimentKey, placeholders } from './sql-util.js'

const KEYED_TABLES = { metric: 'latest_metrics', param: 'params', tag: 'run_tags' } as const
type KeyedType = keyof typeof KEYED_TABLES

const ATTRIBUTE_COLUMNS: Record<string, string> = {
  run_id: 'r.run_id',
  run_name: 'r.name',
  status: 'r.status',
  user_id: 'r.user_id',
  artifact_uri: 'r.artifact_uri',
  lifecycle_stage: 'r.lifecycle_stage',
  start_time: 'r.start_time',
  end_time: 'r.end_time',
}
const INTEGER_ATTRIBUTES = new Set(['start_time', 'end_time'])

const DATASET_COLUMNS: Record<string, string> = { name: 'd.name', digest: 'd.digest', context: 'c.value' }
const CONTEXT_TAG = 'mlflow.data.context'

export interface RunSearchPlan {
  experimentIds: number[]
  clauses: FilterClause[]
  order: OrderByClause[]
  viewType: ViewType | undefined
  limit: number
  offset: number
  /**
   * When the first order clause is a metric/param/tag, the search runs in two parts: runs that have a
   * value for that key (`present`: ordered by it, driven by its index) then runs without one (`absent`,
   * NaN included), which MLflow sorts last.
   */
  split?: 'present' | 'absent'
}

interface Join {
  alias: string
  type: KeyedType
  key: string
  inner: boolean
}

/**
 * One SQL statement for a run search. Each metric/param/tag key used by the filter is an inner join on its
 * (run_id, key) row (a run without the key cannot match); keys used only for ordering are left joins and
 * sort last. Ties break on start_time DESC, then run_id, as MLflow. For the `present` part of a split
 * search the ordered key drives the query (`CROSS JOIN` fixes the join order on SQLite, where the planner
 * otherwise tends to sort every run of the experiment), so the first page reads about `limit` index rows.
 */
export function buildRunSearchSql(dialect: SqlDialect, plan: RunSearchPlan): SqlFragment {
  const joins = new Map<string, Join>()
  const joinFor = (type: KeyedType, key: string, inner: boolean): Join => {
    const id = `${type}\u0000${key}`
    let join = joins.get(id)
    if (join === undefined) {
      join = { alias: `j${joins.size}`, type, key, inner }
      joins.set(id, join)
    } else if (inner) join.inner = true
    return join
  }

  const where: string[] = []
  const whereParams: SqlValue[] = []
  const add = (fragment: SqlFragment): void => {
    where.push(fragment.sql)
    whereParams.push(...fragment.params)
  }
  add({ sql: `r.experiment_id IN (${placeholders(plan.experimentIds.length)})`, params: [...plan.experimentIds] })
  const stage = viewTypeCondition('r', plan.viewType)
  if (stage !== undefined) where.push(stage)

  const datasetClauses: FilterClause[] = []
  for (const clause of plan.clauses) {
    switch (clause.type) {
      case 'metric': {
        const { alias } = joinFor('metric', clause.key, true)
        // NaN is stored as NULL + is_nan: it matches only `!=`, as IEEE comparisons do.
        if (clause.comparator === '!=') add({ sql: `(${alias}.value != ? OR ${alias}.is_nan = 1)`, params: [clause.value as number] })
        else add({ sql: `${alias}.value ${clause.comparator} ?`, params: [clause.value as number] })
        break
      }
      case 'param':
      case 'tag': {
        const { alias } = joinFor(clause.type, clause.key, true)
        add(stringComparison(dialect, `${alias}.value`, clause.comparator, clause.value as string))
        break
      }
      case 'attribute': {
        const column = ATTRIBUTE_COLUMNS[clause.key]!
        if (INTEGER_ATTRIBUTES.has(clause.key)) add(integerComparison(column, clause.comparator, clause.value as number))
        else add(stringComparison(dialect, column, clause.comparator, clause.value as string | string[]))
        break
      }
      case 'dataset':
        datasetClauses.push(clause)
        break
    }
  }
  if (datasetClauses.length > 0) add(datasetCondition(dialect, datasetClauses))

  const first = plan.order[0]
  const split = plan.split !== undefined && first !== undefined && first.type !== 'attribute' ? first : undefined
  let driver: Join | undefined
  if (split !== undefined) {
    const type = split.type as KeyedType
    if (plan.split === 'present') {
      driver = joinFor(type, split.key, true)
      if (type === 'metric') where.push(`${driver.alias}.value IS NOT NULL`)
      // A run_id filter is more selective than any index walk: let the planner start from runs.
      if (plan.clauses.some((c) => c.type === 'attribute' && c.key === 'run_id')) driver = undefined
    } else {
      const present = type === 'metric' ? ' AND x.value IS NOT NULL' : ''
      add({
        sql: `NOT EXISTS (SELECT 1 FROM ${KEYED_TABLES[type]} x WHERE x.run_id = r.run_id AND x.key = ?${present})`,
        params: [split.key],
      })
    }
  }

  const orderSql: string[] = []
  plan.order.forEach((clause, i) => {
    const direction = clause.ascending ? 'ASC' : 'DESC'
    if (split !== undefined && i === 0) {
      // present: non-null values only, so the index order serves as is; absent: nothing to order by.
      if (plan.split === 'present') orderSql.push(`${joinFor(clause.type as KeyedType, clause.key, true).alias}.value ${direction}`)
      return
    }
    const expr = clause.type === 'attribute' ? ATTRIBUTE_COLUMNS[clause.key]! : `${joinFor(clause.type as KeyedType, clause.key, false).alias}.value`
    orderSql.push(`${expr} ${direction} NULLS LAST`)
  })
  orderSql.push('r.start_time DESC', 'r.run_id ASC')

  let from = 'runs r'
  const fromParams: SqlValue[] = []
  const driverWhere: string[] = []
  const driverParams: SqlValue[] = []
  if (driver !== undefined) {
    from = `${KEYED_TABLES[driver.type]} ${driver.alias} CROSS JOIN runs r`
    driverWhere.push(`${driver.alias}.run_id = r.run_id`, `${driver.alias}.key = ?`)
    driverParams.push(driver.key)
    if (driver.type === 'metric') {
      driverWhere.push(`${driver.alias}.experiment_id IN (${placeholders(plan.experimentIds.length)})`)
      driverParams.push(...plan.experimentIds)
    }
  }
  for (const join of joins.values()) {
    if (join === driver) continue
    from += ` ${join.inner ? 'JOIN' : 'LEFT JOIN'} ${KEYED_TABLES[join.type]} ${join.alias} ON ${join.alias}.run_id = r.run_id AND ${join.alias}.key = ?`
    fromParams.push(join.key)
  }
  return {
    sql: `SELECT ${RUN_COLUMNS} FROM ${from} WHERE ${[...driverWhere, ...where].join(' AND ')} ORDER BY ${orderSql.join(', ')} LIMIT ? OFFSET ?`,
    params: [...fromParams, ...driverParams, ...whereParams, plan.limit, plan.offset],
  }
}

/** All dataset clauses apply to the same logged input: `datasets.name = 'a' AND datasets.context = 'train'`. */
function datasetCondition(dialect: SqlDialect, clauses: readonly FilterClause[]): SqlFragment {
  const needsContext = clauses.some((clause) => clause.key === 'context')
  const conditions: string[] = []
  const params: SqlValue[] = []
  for (const clause of clauses) {
    const fragment = stringComparison(dialect, DATASET_COLUMNS[clause.key]!, clause.comparator, clause.value as string | string[])
    conditions.push(fragment.sql)
    params.push(...fragment.params)
  }
  const context = needsContext
    ? 'LEFT JOIN run_input_tags c ON c.run_id = i.run_id AND c.dataset_id = i.dataset_id AND c.key = ?'
    : ''
  return {
    sql: `EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id ${context}
      WHERE i.run_id = r.run_id AND ${conditions.join(' AND ')})`,
    params: needsContext ? [CONTEXT_TAG, ...params] : params,
  }
}

export async function searchRuns(db: SqlExecutor, input: SearchRunsInput): Promise<Page<Run>> {
  const clauses = parseRunFilter(input.filter)
  const order = parseRunOrderBy(input.orderBy)
  const limit = input.maxResults ?? DEFAULT_MAX_RESULTS.searchRuns
  const token = decodePageToken(input.pageToken)
  const offset = offsetFromToken(input.pageToken)
  const experimentIds = [...new Set(input.experimentIds)].map(experimentKey).filter((id): id is number => id !== undefined)
  if (experimentIds.length === 0) return { items: [] }
  const base = { experimentIds, clauses, order, viewType: input.viewType }
  const query = async (plan: Omit<RunSearchPlan, keyof typeof base>): Promise<RunRow[]> => {
    const sql = buildRunSearchSql(db.dialect, { ...base, ...plan })
    return db.all<RunRow>(sql.sql, sql.params)
  }
  let rows: RunRow[]
  let absentFrom: number | undefined
  if (order[0] === undefined || order[0].type === 'attribute') {
    rows = await query({ limit: limit + 1, offset })
  } else {
    // Runs with a value for the first order key, then the rest; the token remembers where the rest starts.
    const known = token?.['absentFrom']
    absentFrom = typeof known === 'number' && Number.isInteger(known) && known >= 0 ? known : undefined
    rows = absentFrom !== undefined && offset >= absentFrom ? [] : await query({ split: 'present', limit: limit + 1, offset })
    if (rows.length <= limit) {
      if (rows.length > 0 || offset === 0) absentFrom = offset + rows.length
      else absentFrom ??= await countPresent(db, base)
      const absent = await query({ split: 'absent', limit: limit + 1 - rows.length, offset: Math.max(0, offset - absentFrom) })
      rows = rows.concat(absent)
    }
  }
  const more = rows.length > limit
  const items = await loadRuns(db, more ? rows.slice(0, limit) : rows)
  if (!more) return { items }
  const next: Record<string, unknown> = { offset: offset + limit }
  if (absentFrom !== undefined) next['absentFrom'] = absentFrom
  return { items, nextPageToken: encodePageToken(next) }
}

/** How many runs the `present` part holds (only for a page token that skipped past it without saying so). */
async function countPresent(db: SqlExecutor, base: Omit<RunSearchPlan, 'limit' | 'offset' | 'split'>): Promise<number> {
  const sql = buildRunSearchSql(db.dialect, { ...base, split: 'present', limit: -1, offset: 0 })
  const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM (${sql.sql.replace(/ LIMIT \? OFFSET \?$/, '')}) AS present`, sql.params.slice(0, -2))
  return Number(row?.n ?? 0)
}
