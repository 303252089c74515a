import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  Param,
  Run,
  RunInfo,
  RunStatus,
  Tag,
} from '../../../tracking/index.js'
import type { SqlExecutor } from '../sql-driver.js'
import { groupBy, selectIn } from './sql-util.js'

/** Row shapes and row → domain mapping; collections are loaded in bulk (`IN (...)`), never per entity. */

export const EXPERIMENT_COLUMNS =
  'e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, e.last_update_time, e.deleted_time'

export interface ExperimentRow {
  experiment_id: number
  name: string
  artifact_location: string
  lifecycle_stage: LifecycleStage
  creation_time: number
  last_update_time: number
  deleted_time: number | null
}

export const RUN_COLUMNS =
  'r.run_id, r.experiment_id, r.name, r.user_id, r.status, r.start_time, r.end_time, r.artifact_uri, r.lifecycle_stage'

export interface RunRow {
  run_id: string
  experiment_id: number
  name: string
  user_id: string
  status: RunStatus
  start_time: number
  end_time: number | null
  artifact_uri: string
  lifecycle_stage: LifecycleStage
}

export const LOGGED_MODEL_COLUMNS =
  'm.model_id, m.experiment_id, m.name, m.artifact_uri, m.creation_time, m.last_updated_time, m.model_type, m.source_run_id, m.status, m.status_message, m.lifecycle_stage'

export interface LoggedModelRow {
  model_id: string
  experiment_id: number
  name: string
  artifact_uri: string
  creation_time: number
  last_updated_time: number
  model_type: string
  source_run_id: string
  status: LoggedModelStatus
  status_message: string
  lifecycle_stage: LifecycleStage
}

interface KeyValueRow {
  owner: string
  key: string
  value: string
}

interface LatestMetricRow {
  run_id: string
  key: string
  value: number | null
  timestamp: number
  step: number
  is_nan: number
}

export function toRunInfo(row: RunRow): RunInfo {
  return {
    runId: row.run_id,
    runName: row.name,
    experimentId: String(row.experiment_id),
    userId: row.user_id,
    status: row.status,
    startTime: row.start_time,
    endTime: row.end_time,
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage,
  }
}

/** NaN cannot be bound to a REAL column (SQLite stores NULL), so the latest value carries an is_nan flag. */
export function latestValue(row: { value: number | null; is_nan: number }): number {
  return Number(row.is_nan) === 1 ? NaN : Number(row.value)
}

function keyValues(rows: readonly KeyValueRow[]): Map<string, Tag[]> {
  const out = new Map<string, Tag[]>()
  for (const [owner, list] of groupBy(rows, (row) => row.owner)) {
    out.set(
      owner,
      list.map((row) => ({ key: row.key, value: row.value })),
    )
  }
  return out
}

/** Tags or params of many owners: `table` has `ownerColumn`, key, value. */
async function loadKeyValues(db: SqlExecutor, table: string, ownerColumn: string, owners: readonly (string | number)[]): Promise<Map<string, Tag[]>> {
  const rows = await selectIn<KeyValueRow>(
    db,
    owners,
    (list) => `SELECT ${ownerColumn} AS owner, key, value FROM ${table} WHERE ${ownerColumn} IN (${list}) ORDER BY ${ownerColumn}, key`,
  )
  for (const row of rows) row.owner = String(row.owner)
  return keyValues(rows)
}

export async function loadExperiments(db: SqlExecutor, rows: readonly ExperimentRow[]): Promise<Experiment[]> {
  if (rows.length === 0) return []
  const tags = await loadKeyValues(db, 'experiment_tags', 'experiment_id', rows.map((row) => row.experiment_id))
  return rows.map((row) => ({
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage,
    creationTime: row.creation_time,
    lastUpdateTime: row.last_update_time,
    tags: tags.get(String(row.experiment_id)) ?? [],
  }))
}

interface InputRow {
  run_id: string
  dataset_id: string
  name: string
  digest: string
  source_type: string
  source: string
  dataset_schema: string | null
  dataset_profile: string | null
}

interface InputTagRow {
  run_id: string
  dataset_id: string
  key: string
  value: string
}

/** Assembles full runs (params, tags, latest metrics, inputs, outputs) with one query per collection. */
export async function loadRuns(db: SqlExecutor, rows: readonly RunRow[]): Promise<Run[]> {
  if (rows.length === 0) return []
  const ids = rows.map((row) => row.run_id)
  const params = await loadKeyValues(db, 'params', 'run_id', ids)
  const tags = await loadKeyValues(db, 'run_tags', 'run_id', ids)
  const metricRows = await selectIn<LatestMetricRow>(
    db,
    ids,
    (list) => `SELECT run_id, key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_id IN (${list}) ORDER BY run_id, key`,
  )
  const metrics = new Map<string, Metric[]>()
  for (const [runId, list] of groupBy(metricRows, (row) => row.run_id)) {
    metrics.set(
      runId,
      list.map((row) => ({ key: row.key, value: latestValue(row), timestamp: row.timestamp, step: row.step })),
    )
  }
  const inputs = await loadDatasetInputs(db, ids)
  const modelInputs = groupBy(
    await selectIn<{ run_id: string; model_id: string }>(
      db,
      ids,
      (list) => `SELECT run_id, model_id FROM run_model_inputs WHERE run_id IN (${list}) ORDER BY run_id, model_id`,
    ),
    (row) => row.run_id,
  )
  const modelOutputs = groupBy(
    await selectIn<{ run_id: string; model_id: string; step: number }>(
      db,
      ids,
      (list) => `SELECT run_id, model_id, step FROM run_model_outputs WHERE run_id IN (${list}) ORDER BY run_id, step, model_id`,
    ),
    (row) => row.run_id,
  )
  return rows.map((row) => ({
    info: toRunInfo(row),
    data: {
      metrics: metrics.get(row.run_id) ?? [],
      params: (params.get(row.run_id) ?? []) as Param[],
      tags: tags.get(row.run_id) ?? [],
    },
    inputs: {
      datasetInputs: inputs.get(row.run_id) ?? [],
      modelInputs: (modelInputs.get(row.run_id) ?? []).map((m) => ({ modelId: m.model_id })),
    },
    outputs: { modelOutputs: (modelOutputs.get(row.run_id) ?? []).map((m) => ({ modelId: m.model_id, step: m.step })) },
  }))
}

async function loadDatasetInputs(db: SqlExecutor, runIds: readonly string[]): Promise<Map<string, DatasetInput[]>> {
  const inputRows = await selectIn<InputRow>(
    db,
    runIds,
    (list) =>
      `SELECT i.run_id, d.dataset_id, d.name, d.digest, d.source_type, d.source, d.dataset_schema, d.dataset_profile
       FROM run_inputs i JOIN datasets d ON d.dataset_id = i.dataset_id
       WHERE i.run_id IN (${list}) ORDER BY i.run_id, d.name, d.digest`,
  )
  const out = new Map<string, DatasetInput[]>()
  if (inputRows.length === 0) return out
  const tagRows = await selectIn<InputTagRow>(
    db,
    runIds,
    (list) => `SELECT run_id, dataset_id, key, value FROM run_input_tags WHERE run_id IN (${list}) ORDER BY run_id, dataset_id, key`,
  )
  const tags = groupBy(tagRows, (row) => `${row.run_id}/${row.dataset_id}`)
  for (const [runId, list] of groupBy(inputRows, (row) => row.run_id)) {
    out.set(
      runId,
      list.map((row) => {
        const dataset: DatasetInput['dataset'] = {
          name: row.name,
          digest: row.digest,
          sourceType: row.source_type,
          source: row.source,
        }
        if (row.dataset_schema !== null) dataset.schema = row.dataset_schema
        if (row.dataset_profile !== null) dataset.profile = row.dataset_profile
        const inputTags = (tags.get(`${runId}/${row.dataset_id}`) ?? []).map((t) => ({ key: t.key, value: t.value }))
        return { dataset, tags: inputTags }
      }),
    )
  }
  return out
}

export async function loadLoggedModels(db: SqlExecutor, rows: readonly LoggedModelRow[]): Promise<LoggedModel[]> {
  if (rows.length === 0) return []
  const ids = rows.map((row) => row.model_id)
  const tags = await loadKeyValues(db, 'logged_model_tags', 'model_id', ids)
  const params = await loadKeyValues(db, 'logged_model_params', 'model_id', ids)
  return rows.map((row) => ({
    modelId: row.model_id,
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactUri: row.artifact_uri,
    creationTimestampMs: row.creation_time,
    lastUpdatedTimestampMs: row.last_updated_time,
    modelType: row.model_type,
    sourceRunId: row.source_run_id,
    status: row.status,
    statusMessage: row.status_message,
    lifecycleStage: row.lifecycle_stage,
    tags: tags.get(row.model_id) ?? [],
    params: params.get(row.model_id) ?? [],
  }))
}
