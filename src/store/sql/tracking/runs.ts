import { invalidParameter, notFound } from '../../../core/errors.js'
import { newRunId } from '../../../core/ids.js'
import { generateRunName } from '../../../tracking/index.js'
import type { CreateRunInput, LogBatchInput, Metric, Run, RunInfo, Tag, UpdateRunInput } from '../../../tracking/index.js'
import type { SqlExecutor, SqlValue } from '../sql-driver.js'
import { requireActiveExperimentRow } from './experiments.js'
import { insertParamsOnce, lastByKey, upsertTags } from './key-values.js'
import { appendMetricPoints } from './metric-blocks.js'
import { RUN_COLUMNS, loadRuns, toRunInfo } from './rows.js'
import type { RunRow } from './rows.js'
import { insertRows, lockClause } from './sql-util.js'
import type { StoreContext } from './store-context.js'

export const RUN_NAME_TAG = 'mlflow.runName'
export const USER_TAG = 'mlflow.user'

function noRun(runId: string): Error {
  return notFound(`Run with id=${runId} not found. Check the run id (32 hex characters, see runs/search).`, { run_id: runId })
}

export async function requireRunRow(db: SqlExecutor, runId: string, lock?: 'update'): Promise<RunRow> {
  const row = await db.get<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_id = ?${lockClause(db, lock)}`, [runId])
  if (row === undefined) throw noRun(runId)
  return row
}

/**
 * The run, locked for the transaction (PostgreSQL: concurrent batches of one run serialize here, so metric
 * blocks and write-once params never race), refusing deleted runs and runs of deleted experiments.
 */
export async function requireWritableRun(tx: SqlExecutor, runId: string): Promise<RunRow> {
  const row = await tx.get<RunRow & { experiment_stage: string }>(
    `SELECT ${RUN_COLUMNS}, e.lifecycle_stage AS experiment_stage
     FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id WHERE r.run_id = ?${lockClause(tx, 'update', 'r')}`,
    [runId],
  )
  if (row === undefined) throw noRun(runId)
  if (row.lifecycle_stage !== 'active' || row.experiment_stage !== 'active') {
    const what = row.lifecycle_stage !== 'active' ? `run ${runId}` : `experiment ${row.experiment_id} of run ${runId}`
    throw invalidParameter(
      `The run ${runId} must be in the 'active' state to be modified; the ${what} is deleted. Restore it first.`,
      { run_id: runId },
    )
  }
  return row
}

const byKey = (a: Tag, b: Tag): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

export async function createRun(ctx: StoreContext, input: CreateRunInput): Promise<Run> {
  return ctx.driver.transaction(async (tx) => {
    const experiment = await requireActiveExperimentRow(tx, input.experimentId, 'create runs in it', 'share')
    const tags = new Map((input.tags ?? []).map((tag) => [tag.key, tag.value]))
    const runName = input.runName || tags.get(RUN_NAME_TAG) || generateRunName(ctx.random)
    const userId = input.userId ?? tags.get(USER_TAG) ?? ''
    tags.set(RUN_NAME_TAG, runName)
    if (userId !== '' && !tags.has(USER_TAG)) tags.set(USER_TAG, userId)
    const runId = newRunId()
    const row: RunRow = {
      run_id: runId,
      experiment_id: experiment.experiment_id,
      name: runName,
      user_id: userId,
      status: 'RUNNING',
      start_time: input.startTime,
      end_time: null,
      artifact_uri: `${experiment.artifact_location.replace(/\/+$/, '')}/${runId}/artifacts`,
      lifecycle_stage: 'active',
    }
    await tx.run(
      `INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, end_time, artifact_uri, lifecycle_stage)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [row.run_id, row.experiment_id, row.name, row.user_id, row.status, row.start_time, row.end_time, row.artifact_uri, row.lifecycle_stage],
    )
    const tagList = [...tags].map(([key, value]) => ({ key, value }))
    await upsertTags(tx, 'run_tags', 'run_id', runId, tagList)
    return {
      info: toRunInfo(row),
      data: { metrics: [], params: [], tags: tagList.sort(byKey) },
      inputs: { datasetInputs: [], modelInputs: [] },
      outputs: { modelOutputs: [] },
    }
  })
}

export async function getRun(db: SqlExecutor, runId: string): Promise<Run> {
  const [run] = await loadRuns(db, [await requireRunRow(db, runId)])
  return run!
}

export async function updateRun(ctx: StoreContext, runId: string, input: UpdateRunInput): Promise<RunInfo> {
  return ctx.driver.transaction(async (tx) => {
    const row = await requireWritableRun(tx, runId)
    const sets: string[] = []
    const params: SqlValue[] = []
    if (input.status !== undefined) {
      sets.push('status = ?')
      params.push(input.status)
      row.status = input.status
    }
    if (input.endTime !== undefined) {
      sets.push('end_time = ?')
      params.push(input.endTime)
      row.end_time = input.endTime
    }
    if (input.runName !== undefined && input.runName !== '') {
      sets.push('name = ?')
      params.push(input.runName)
      row.name = input.runName
      await upsertTags(tx, 'run_tags', 'run_id', runId, [{ key: RUN_NAME_TAG, value: input.runName }])
    }
    if (sets.length > 0) await tx.run(`UPDATE runs SET ${sets.join(', ')} WHERE run_id = ?`, [...params, runId])
    return toRunInfo(row)
  })
}

export async function deleteRun(ctx: StoreContext, runId: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const row = await requireRunRow(tx, runId, 'update')
    if (row.lifecycle_stage === 'deleted') return // keep the first deletion time: purge age counts from it
    await tx.run(`UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_id = ?`, [ctx.clock.now(), runId])
  })
}

export async function restoreRun(ctx: StoreContext, runId: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const row = await requireRunRow(tx, runId, 'update')
    if (row.lifecycle_stage === 'active') return
    const experiment = await tx.get<{ lifecycle_stage: string }>('SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?', [
      row.experiment_id,
    ])
    if (experiment?.lifecycle_stage !== 'active') {
      throw invalidParameter(
        `Run ${runId} belongs to deleted experiment ${row.experiment_id}; restore the experiment first.`,
        { run_id: runId, experiment_id: String(row.experiment_id) },
      )
    }
    await tx.run(`UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_id = ?`, [runId])
  })
}

export async function deleteTag(ctx: StoreContext, runId: string, key: string): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    await requireWritableRun(tx, runId)
    const result = await tx.run('DELETE FROM run_tags WHERE run_id = ? AND key = ?', [runId, key])
    if (result.changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}.`, { run_id: runId, key })
  })
}

/** Params (write-once), tags (upsert) and metrics (append + latest) of one batch, in one transaction. */
export async function logBatch(ctx: StoreContext, runId: string, input: LogBatchInput): Promise<void> {
  await ctx.driver.transaction(async (tx) => {
    const run = await requireWritableRun(tx, runId)
    await insertParamsOnce(tx, 'params', 'run_id', runId, `run ID='${runId}'`, input.params ?? [])
    const tags = lastByKey(input.tags ?? [])
    if (tags.length > 0) {
      await upsertTags(tx, 'run_tags', 'run_id', runId, tags)
      // The run name and user are columns too (search, ordering); MLflow keeps them equal to these tags.
      for (const tag of tags) {
        if (tag.key === RUN_NAME_TAG && tag.value !== '') await tx.run('UPDATE runs SET name = ? WHERE run_id = ?', [tag.value, runId])
        if (tag.key === USER_TAG) await tx.run('UPDATE runs SET user_id = ? WHERE run_id = ?', [tag.value, runId])
      }
    }
    const metrics = input.metrics ?? []
    if (metrics.length > 0) {
      await appendMetricPoints(tx, runId, metrics, ctx.blockSize)
      await updateLatestMetrics(tx, run, metrics)
    }
  })
}

/** MLflow's rule for the latest point: higher step, then later timestamp, then larger value (NaN never wins a tie). */
export function isLater(candidate: Metric, current: Metric): boolean {
  if (candidate.step !== current.step) return candidate.step > current.step
  if (candidate.timestamp !== current.timestamp) return candidate.timestamp > current.timestamp
  return candidate.value > current.value
}

/** The batch's latest point per key is computed here; the stored row is replaced only if that point is later. */
async function updateLatestMetrics(tx: SqlExecutor, run: RunRow, metrics: readonly Metric[]): Promise<void> {
  const latest = new Map<string, Metric>()
  for (const metric of metrics) {
    const current = latest.get(metric.key)
    if (current === undefined || isLater(metric, current)) latest.set(metric.key, metric)
  }
  await insertRows(
    tx,
    [...latest.values()],
    7,
    (values) =>
      `INSERT INTO latest_metrics (run_id, experiment_id, key, value, timestamp, step, is_nan) VALUES ${values}
       ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp,
         step = excluded.step, is_nan = excluded.is_nan
       WHERE excluded.step > latest_metrics.step
          OR (excluded.step = latest_metrics.step AND excluded.timestamp > latest_metrics.timestamp)
          OR (excluded.step = latest_metrics.step AND excluded.timestamp = latest_metrics.timestamp
              AND excluded.value > latest_metrics.value)`,
    (m, out) => {
      const nan = Number.isNaN(m.value)
      out.push(run.run_id, run.experiment_id, m.key, nan ? null : m.value, m.timestamp, m.step, nan ? 1 : 0)
    },
  )
}
