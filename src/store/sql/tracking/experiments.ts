import { alreadyExists, invalidParameter, notFound } from '../../../core/errors.js'
import { encodePageToken, offsetFromToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import { DEFAULT_MAX_RESULTS, parseExperimentFilter, parseExperimentOrderBy } from '../../../tracking/index.js'
import type { CreateExperimentInput, Experiment, SearchExperimentsInput, Tag } from '../../../tracking/index.js'
import type { SqlExecutor, SqlValue } from '../sql-driver.js'
import { upsertTags } from './key-values.js'
import { EXPERIMENT_COLUMNS, loadExperiments } from './rows.js'
import type { ExperimentRow } from './rows.js'
import { integerComparison, stringComparison, viewTypeCondition } from './search-sql.js'
import { experimentKey, isUniqueViolation, lockClause } from './sql-util.js'
import type { RowLock } from './sql-util.js'
import type { StoreContext } from './store-context.js'

const DEFAULT_EXPERIMENT_ID = '0'

function duplicateName(name: string, deleted: boolean): Error {
  const hint = deleted
    ? ' It is deleted: restore it, or purge it (keel gc) to reuse the name.'
    : ' Choose another name or use the existing experiment.'
  return alreadyExists(`Experiment(name=${name}) already exists.${hint}`, { name })
}

function noExperiment(id: string): Error {
  return notFound(`No experiment with id '${id}' exists. Check the id, or list experiments with experiments/search.`, {
    experiment_id: id,
  })
}

/** The experiment row, locked for the transaction on PostgreSQL; RESOURCE_DOES_NOT_EXIST when absent. */
export async function requireExperimentRow(db: SqlExecutor, id: string, lock?: RowLock): Promise<ExperimentRow> {
  const key = experimentKey(id)
  const row =
    key === undefined
      ? undefined
      : await db.get<ExperimentRow>(
          `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE e.experiment_id = ?${lockClause(db, lock)}`,
          [key],
        )
  if (row === undefined) throw noExperiment(id)
  return row
}

/** An active experiment; `share` lets several runs be created at once while a delete waits. */
export async function requireActiveExperimentRow(
  db: SqlExecutor,
  id: string,
  action: string,
  lock: RowLock = 'update',
): Promise<ExperimentRow> {
  const row = await requireExperimentRow(db, id, lock)
  if (row.lifecycle_stage !== 'active') {
    throw invalidParameter(`Experiment '${id}' is deleted; restore it before you ${action}.`, { experiment_id: id })
  }
  return row
}

export async function createExperiment(ctx: StoreContext, input: CreateExperimentInput): Promise<string> {
  return ctx.driver.transaction(async (tx) => {
    const existing = await tx.get<{ lifecycle_stage: string }>('SELECT lifecycle_stage FROM experiments WHERE name = ?', [
      input.name,
    ])
    if (existing !== undefined) throw duplicateName(input.name, existing.lifecycle_stage === 'deleted')
    const now = ctx.clock.now()
    let row: { experiment_id: number } | undefined
    try {
      row = await tx.get<{ experiment_id: number }>(
        `INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
         VALUES (?, ?, 'active', ?, ?) RETURNING experiment_id`,
        [input.name, input.artifactLocation ?? '', now, now],
      )
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName(input.name, false)
      throw error
    }
    const id = Number(row!.experiment_id)
    if (input.artifactLocation === undefined) {
      await tx.run('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?', [`mlflow-artifacts:/${id}`, id])
    }
    await upsertTags(tx, 'experiment_tags', 'experiment_id', id, input.tags ?? [])
    return String(id)
  })
}

export async function getExperiment(db: SqlExecutor, id: string): Promise<Experiment> {
  const [experiment] = await loadExperiments(db, [await requireExperimentRow(db, id)])
  return experiment!
}

export async function getExperimentByName(db: SqlExecutor, name: string): Promise<Experiment | undefined> {
  const row = await db.get<ExperimentRow>(`SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE e.name = ?`, [name])
  if (row === undefined) return undefined
  return (await loadExperiments(db, [row]))[0]
}

const ORDER_COLUMNS: Record<string, string> = {
  name: 'e.name',
  creation_time: 'e.creation_time',
  last_update_time: 'e.last_update_time',
  experiment_id: 'e.experiment_id',
}

export async function searchExperiments(db: SqlExecutor, input: SearchExperimentsInput): Promise<Page<Experiment>> {
  const clauses = parseExperimentFilter(input.filter)
  const order = parseExperimentOrderBy(input.orderBy)
  const limit = input.maxResults ?? DEFAULT_MAX_RESULTS.searchExperiments
  const offset = offsetFromToken(input.pageToken)
  const joins: string[] = []
  const joinParams: SqlValue[] = []
  const tagAliases = new Map<string, string>()
  const where: string[] = []
  const whereParams: SqlValue[] = []
  const stage = viewTypeCondition('e', input.viewType)
  if (stage !== undefined) where.push(stage)
  for (const clause of clauses) {
    let fragment
    if (clause.type === 'tag') {
      let alias = tagAliases.get(clause.key)
      if (alias === undefined) {
        alias = `t${tagAliases.size}`
        tagAliases.set(clause.key, alias)
        joins.push(`JOIN experiment_tags ${alias} ON ${alias}.experiment_id = e.experiment_id AND ${alias}.key = ?`)
        joinParams.push(clause.key)
      }
      fragment = stringComparison(db.dialect, `${alias}.value`, clause.comparator, clause.value as string)
    } else if (clause.key === 'name') {
      fragment = stringComparison(db.dialect, 'e.name', clause.comparator, clause.value as string)
    } else {
      fragment = integerComparison(`e.${clause.key}`, clause.comparator, clause.value as number)
    }
    where.push(fragment.sql)
    whereParams.push(...fragment.params)
  }
  const orderSql = order.map((o) => `${ORDER_COLUMNS[o.key]!} ${o.ascending ? 'ASC' : 'DESC'}`)
  if (order.length === 0) orderSql.push('e.creation_time DESC')
  orderSql.push('e.experiment_id ASC')
  const rows = await db.all<ExperimentRow>(
    `SELECT ${EXPERIMENT_COLUMNS} FROM experiments e ${joins.join(' ')}
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY ${orderSql.join(', ')} LIMIT ? OFFSET ?`,
    [...joinParams, ...whereParams, limit + 1, offset],
  )
  const more = rows.length > limit
  const items = await loadExperiments(db, more ? rows.slice(0, limit) : rows)
  return more ? { items, nextPageToken: encodePageToken({ offset: offset + limit }) } : { items }
}

export async function renameExperiment(ctx: StoreContext, id: string, newName: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const row = await requireActiveExperimentRow(tx, id, 'rename it')
    if (row.name === newName) return
    const clash = await tx.get<{ lifecycle_stage: string }>('SELECT lifecycle_stage FROM experiments WHERE name = ?', [newName])
    if (clash !== undefined) throw duplicateName(newName, clash.lifecycle_stage === 'deleted')
    try {
      await tx.run('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?', [
        newName,
        ctx.clock.now(),
        row.experiment_id,
      ])
    } catch (error) {
      if (isUniqueViolation(error)) throw duplicateName(newName, false)
      throw error
    }
  })
}

/** Deleting an experiment deletes its active runs at the same instant, so restoring brings exactly those back. */
export async function deleteExperiment(ctx: StoreContext, id: string): Promise<void> {
  if (id === DEFAULT_EXPERIMENT_ID) {
    throw invalidParameter(`The default experiment '0' cannot be deleted; it must always exist.`, { experiment_id: id })
  }
  await ctx.driver.transaction(async (tx) => {
    const row = await requireExperimentRow(tx, id, 'update')
    if (row.lifecycle_stage === 'deleted') return
    const now = ctx.clock.now()
    await tx.run(
      `UPDATE experiments SET lifecycle_stage = 'deleted', deleted_time = ?, last_update_time = ? WHERE experiment_id = ?`,
      [now, now, row.experiment_id],
    )
    await tx.run(
      `UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'`,
      [now, row.experiment_id],
    )
  })
}

export async function restoreExperiment(ctx: StoreContext, id: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const row = await requireExperimentRow(tx, id, 'update')
    if (row.lifecycle_stage === 'active') return
    await tx.run(
      `UPDATE experiments SET lifecycle_stage = 'active', deleted_time = NULL, last_update_time = ? WHERE experiment_id = ?`,
      [ctx.clock.now(), row.experiment_id],
    )
    if (row.deleted_time !== null) {
      await tx.run(
        `UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL
         WHERE experiment_id = ? AND lifecycle_stage = 'deleted' AND deleted_time = ?`,
        [row.experiment_id, row.deleted_time],
      )
    }
  })
}

export async function setExperimentTag(ctx: StoreContext, id: string, tag: Tag): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const row = await requireActiveExperimentRow(tx, id, 'set its tags')
    await upsertTags(tx, 'experiment_tags', 'experiment_id', row.experiment_id, [tag])
    await tx.run('UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?', [ctx.clock.now(), row.experiment_id])
  })
}

export async function deleteExperimentTag(ctx: StoreContext, id: string, key: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const row = await requireActiveExperimentRow(tx, id, 'delete its tags')
    const result = await tx.run('DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?', [row.experiment_id, key])
    if (result.changes === 0) {
      throw notFound(`No tag with key '${key}' on experiment '${id}'.`, { experiment_id: id, key })
    }
    await tx.run('UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?', [ctx.clock.now(), row.experiment_id])
  })
}
