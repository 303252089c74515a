import type { FastifyInstance } from 'fastify'
import { invalidParameter } from '../../core/errors.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWireDatasetInput, fromWireTag, toWireRun, toWireRunInfo } from '../../protocol/mlflow-wire.js'
import type { Tag } from '../../tracking/types.js'
import { addEndpoint, compact, requestUser, withToken } from '../route.js'
import type { ServerContext } from '../server-context.js'

const USER_TAG = 'mlflow.user'
const LOGGED_MODELS_TAG = 'mlflow.log-model.history'

/** `run_id`, or the deprecated `run_uuid` older clients send. */
export function runIdOf(input: { run_id?: string | undefined; run_uuid?: string | undefined }): string {
  const runId = input.run_id !== undefined && input.run_id !== '' ? input.run_id : input.run_uuid
  if (runId === undefined || runId === '') {
    throw invalidParameter("Missing value for required parameter 'run_id'. See the API docs (/openapi.json) for the request's fields.")
  }
  return runId
}

/** runs/create, update, delete, restore, get, search, the logging calls, inputs/outputs and 2.x log-model. */
export function runRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tracking, clock } = ctx

  addEndpoint(app, ENDPOINTS.createRun, async (input, request) => {
    const tags: Tag[] = input.tags?.map(fromWireTag) ?? []
    const claimed = input.user_id ?? tags.find((t) => t.key === USER_TAG)?.value
    const userId = requestUser(request, claimed)
    // The mlflow.user tag and user_id must agree, and an authenticated user wins over what the body claims.
    for (const t of tags) if (t.key === USER_TAG) t.value = userId
    const run = await tracking.createRun(
      compact({
        experimentId: input.experiment_id ?? '0',
        runName: input.run_name,
        startTime: input.start_time ?? clock.now(),
        userId,
        tags,
      }),
    )
    return { run: toWireRun(run) }
  })

  addEndpoint(app, ENDPOINTS.updateRun, async (input) => {
    const info = await tracking.updateRun(
      runIdOf(input),
      compact({ status: input.status, endTime: input.end_time, runName: input.run_name }),
    )
    return { run_info: toWireRunInfo(info) }
  })

  addEndpoint(app, ENDPOINTS.deleteRun, async (input) => {
    await tracking.deleteRun(input.run_id)
  })

  addEndpoint(app, ENDPOINTS.restoreRun, async (input) => {
    await tracking.restoreRun(input.run_id)
  })

  addEndpoint(app, ENDPOINTS.getRun, async (input) => ({ run: toWireRun(await tracking.getRun(runIdOf(input))) }))

  addEndpoint(app, ENDPOINTS.searchRuns, async (input) => {
    const page = await tracking.searchRuns(
      compact({
        experimentIds: input.experiment_ids ?? [],
        filter: input.filter,
        viewType: input.run_view_type,
        maxResults: input.max_results ?? 1000,
        orderBy: input.order_by,
        pageToken: input.page_token,
      }),
    )
    return withToken({ runs: page.items.map(toWireRun) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.logMetric, async (input) => {
    await tracking.logMetric(runIdOf(input), {
      key: input.key,
      value: input.value,
      timestamp: input.timestamp,
      step: input.step ?? 0,
    })
  })

  addEndpoint(app, ENDPOINTS.logParam, async (input) => {
    await tracking.logParam(runIdOf(input), { key: input.key, value: input.value })
  })

  addEndpoint(app, ENDPOINTS.setTag, async (input) => {
    await tracking.setTag(runIdOf(input), { key: input.key, value: input.value })
  })

  addEndpoint(app, ENDPOINTS.deleteTag, async (input) => {
    await tracking.deleteTag(input.run_id, input.key)
  })

  addEndpoint(app, ENDPOINTS.logBatch, async (input) => {
    await tracking.logBatch(input.run_id, {
      metrics: (input.metrics ?? []).map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp, step: m.step ?? 0 })),
      params: (input.params ?? []).map(fromWireTag),
      tags: (input.tags ?? []).map(fromWireTag),
    })
  })

  addEndpoint(app, ENDPOINTS.logInputs, async (input) => {
    const datasets = (input.datasets ?? []).map(fromWireDatasetInput)
    const models = input.models?.map((m) => m.model_id)
    if (models === undefined) await tracking.logInputs(input.run_id, datasets)
    else await tracking.logInputs(input.run_id, datasets, models)
  })

  addEndpoint(app, ENDPOINTS.logOutputs, async (input) => {
    await tracking.logOutputs(
      input.run_id,
      input.models.map((m) => ({ modelId: m.model_id, step: m.step ?? 0 })),
    )
  })

  addEndpoint(app, ENDPOINTS.logModel, async (input) => {
    const model = parseModelJson(input.model_json)
    const run = await tracking.getRun(input.run_id)
    const previous = run.data.tags.find((t) => t.key === LOGGED_MODELS_TAG)?.value
    const history = parseHistory(previous)
    history.push(model)
    await tracking.setTag(input.run_id, { key: LOGGED_MODELS_TAG, value: JSON.stringify(history) })
  })
}

const MODEL_JSON_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'] as const
/** MLflow keeps these out of the history tag (`Model.get_tags_dict`): they can be large. */
const MODEL_JSON_DROPPED = new Set(['signature', 'input_example', 'saved_input_example_info'])

function parseModelJson(text: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalidParameter("Invalid value for parameter 'model_json': it must be the MLmodel as a JSON object string.")
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidParameter("Invalid value for parameter 'model_json': it must be the MLmodel as a JSON object string.")
  }
  const model = parsed as Record<string, unknown>
  const missing = MODEL_JSON_FIELDS.filter((f) => !(f in model))
  if (missing.length > 0) {
    throw invalidParameter(`Model json is missing mandatory fields: ${missing.join(', ')}.`, { missing })
  }
  const kept: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(model)) if (!MODEL_JSON_DROPPED.has(key)) kept[key] = value
  return kept
}

function parseHistory(value: string | undefined): unknown[] {
  if (value === undefined) return []
  try {
    const parsed: unknown = JSON.parse(value)
    return Array.isArray(parsed) ? parsed : []
  } catch {
    return []
  }
}
