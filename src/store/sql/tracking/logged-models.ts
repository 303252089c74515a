import { notFound } from '../../../core/errors.js'
import { newLoggedModelId } from '../../../core/ids.js'
import { encodePageToken, offsetFromToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import { DEFAULT_MAX_RESULTS, generateRunName } from '../../../tracking/index.js'
import type { CreateLoggedModelInput, LoggedModel, LoggedModelStatus, Param, SearchLoggedModelsInput, Tag } from '../../../tracking/index.js'
import type { SqlExecutor } from '../sql-driver.js'
import { requireActiveExperimentRow } from './experiments.js'
import { insertParamsOnce, upsertTags } from './key-values.js'
import { requireRunRow } from './runs.js'
import { LOGGED_MODEL_COLUMNS, loadLoggedModels } from './rows.js'
import type { LoggedModelRow } from './rows.js'
import { experimentKey, lockClause, placeholders } from './sql-util.js'
import type { StoreContext } from './store-context.js'

async function requireModelRow(db: SqlExecutor, modelId: string, lock?: 'update'): Promise<LoggedModelRow> {
  const row = await db.get<LoggedModelRow>(
    `SELECT ${LOGGED_MODEL_COLUMNS} FROM logged_models m WHERE m.model_id = ? AND m.lifecycle_stage = 'active'${lockClause(db, lock)}`,
    [modelId],
  )
  if (row === undefined) {
    throw notFound(`Logged model with ID '${modelId}' not found. Check the id (m-…), see logged-models/search.`, { model_id: modelId })
  }
  return row
}

async function one(db: SqlExecutor, row: LoggedModelRow): Promise<LoggedModel> {
  return (await loadLoggedModels(db, [row]))[0]!
}

export async function createLoggedModel(ctx: StoreContext, input: CreateLoggedModelInput): Promise<LoggedModel> {
  return ctx.driver.transaction(async (tx) => {
    const experiment = await requireActiveExperimentRow(tx, input.experimentId, 'log models to it', 'share')
    if (input.sourceRunId !== undefined && input.sourceRunId !== '') await requireRunRow(tx, input.sourceRunId)
    const modelId = newLoggedModelId()
    const now = ctx.clock.now()
    const row: LoggedModelRow = {
      model_id: modelId,
      experiment_id: experiment.experiment_id,
      name: input.name ?? generateRunName(ctx.random),
      artifact_uri: `${experiment.artifact_location.replace(/\/+$/, '')}/models/${modelId}/artifacts`,
      creation_time: now,
      last_updated_time: now,
      model_type: input.modelType ?? '',
      source_run_id: input.sourceRunId ?? '',
      status: 'LOGGED_MODEL_PENDING',
      status_message: '',
      lifecycle_stage: 'active',
    }
    await tx.run(
      `INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, creation_time, last_updated_time, model_type,
         source_run_id, status, status_message, lifecycle_stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        row.model_id, row.experiment_id, row.name, row.artifact_uri, row.creation_time, row.last_updated_time,
        row.model_type, row.source_run_id, row.status, row.status_message, row.lifecycle_stage,
      ],
    )
    await insertParamsOnce(tx, 'logged_model_params', 'model_id', modelId, `logged model ID='${modelId}'`, input.params ?? [])
    await upsertTags(tx, 'logged_model_tags', 'model_id', modelId, input.tags ?? [])
    return one(tx, row)
  })
}

export async function getLoggedModel(db: SqlExecutor, modelId: string): Promise<LoggedModel> {
  return one(db, await requireModelRow(db, modelId))
}

export async function finalizeLoggedModel(ctx: StoreContext, modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
  return ctx.driver.transaction(async (tx) => {
    const row = await requireModelRow(tx, modelId, 'update')
    row.status = status
    row.last_updated_time = ctx.clock.now()
    await tx.run('UPDATE logged_models SET status = ?, last_updated_time = ? WHERE model_id = ?', [status, row.last_updated_time, modelId])
    return one(tx, row)
  })
}

async function touch(ctx: StoreContext, tx: SqlExecutor, modelId: string): Promise<void> {
  await tx.run('UPDATE logged_models SET last_updated_time = ? WHERE model_id = ?', [ctx.clock.now(), modelId])
}

export async function setLoggedModelTags(ctx: StoreContext, modelId: string, tags: readonly Tag[]): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    await requireModelRow(tx, modelId, 'update')
    await upsertTags(tx, 'logged_model_tags', 'model_id', modelId, tags)
    await touch(ctx, tx, modelId)
  })
}

export async function deleteLoggedModelTag(ctx: StoreContext, modelId: string, key: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    await requireModelRow(tx, modelId, 'update')
    const result = await tx.run('DELETE FROM logged_model_tags WHERE model_id = ? AND key = ?', [modelId, key])
    if (result.changes === 0) throw notFound(`No tag with key '${key}' on logged model '${modelId}'.`, { model_id: modelId, key })
    await touch(ctx, tx, modelId)
  })
}

export async function logLoggedModelParams(ctx: StoreContext, modelId: string, params: readonly Param[]): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    await requireModelRow(tx, modelId, 'update')
    await insertParamsOnce(tx, 'logged_model_params', 'model_id', modelId, `logged model ID='${modelId}'`, params)
    await touch(ctx, tx, modelId)
  })
}

/** Soft delete, as MLflow: the model disappears from get and search; its rows go when its experiment is purged. */
export async function deleteLoggedModel(ctx: StoreContext, modelId: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    await requireModelRow(tx, modelId, 'update')
    const now = ctx.clock.now()
    await tx.run(
      `UPDATE logged_models SET lifecycle_stage = 'deleted', deleted_time = ?, last_updated_time = ? WHERE model_id = ?`,
      [now, now, modelId],
    )
  })
}

export async function searchLoggedModels(db: SqlExecutor, input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
  const limit = input.maxResults ?? DEFAULT_MAX_RESULTS.loggedModels
  const offset = offsetFromToken(input.pageToken)
  const ids = [...new Set(input.experimentIds)].map(experimentKey).filter((id): id is number => id !== undefined)
  if (ids.length === 0) return { items: [] }
  const rows = await db.all<LoggedModelRow>(
    `SELECT ${LOGGED_MODEL_COLUMNS} FROM logged_models m
     WHERE m.experiment_id IN (${placeholders(ids.length)}) AND m.lifecycle_stage = 'active'
     ORDER BY m.creation_time DESC, m.model_id ASC LIMIT ? OFFSET ?`,
    [...ids, limit + 1, offset],
  )
  const more = rows.length > limit
  const items = await loadLoggedModels(db, more ? rows.slice(0, limit) : rows)
  return more ? { items, nextPageToken: encodePageToken({ offset: offset + limit }) } : { items }
}
