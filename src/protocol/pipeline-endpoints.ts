import { z } from 'zod'
import type { PipelineRunRecord, RunStatus, StepRunRecord, StepStatus, StepValue } from '../pipelines/types.js'
import { endpoint } from './endpoint.js'
import { int64Schema } from './wire-numbers.js'

/**
 * keel's pipeline run-state API (`/api/keel/v1/pipelines/...`): how a worker or CLI that reaches the store
 * through a keel server reads and writes durable run state. Step updates are compare-and-set on the stored
 * status (`expected`), so two workers cannot both finish a step. snake_case on the wire.
 */

const int64 = int64Schema()

const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const
const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'cached'] as const
/** Steps per run at most in one `POST /pipelines/runs`. */
export const MAX_STEPS_PER_RUN = 10_000

const runStatus = z.enum(RUN_STATUSES, { error: `expected one of ${RUN_STATUSES.join(', ')}` })
const stepStatus = z.enum(STEP_STATUSES, { error: `expected one of ${STEP_STATUSES.join(', ')}` })
const name = (what: string) => z.string().min(1, { error: `expected ${what}` })
const values = z
  .record(z.string(), z.json(), { error: 'expected a JSON object of values by name' })
  .meta({ description: 'small JSON values (artifacts by reference: {uri, digest})' })

const wireAttempt = z.object({
  attempt: z.number().int().min(1, { error: 'attempts count from 1' }),
  worker: z.string(),
  started_at: z.number().int(),
  finished_at: z.number().int().optional(),
  error: z.string().optional(),
})

export const wirePipelineRun = z.object({
  id: name('the pipeline run id'),
  pipeline: name('the pipeline name'),
  definition_digest: name('the definition digest'),
  params: values,
  status: runStatus,
  tracking_run_id: name('the tracking run id of the pipeline run'),
  created_at: z.number().int().min(0),
  updated_at: z.number().int().min(0),
  error: z.string().optional(),
})
export type WirePipelineRun = z.output<typeof wirePipelineRun>

export const wireStepRun = z.object({
  run_id: name('the pipeline run id'),
  step: name('the step name'),
  status: stepStatus,
  attempt: z.number().int().min(0),
  cache_key: z.string(),
  cache_reason: z.string(),
  outputs: values.optional(),
  error: z.string().optional(),
  worker: z.string().optional(),
  tracking_run_id: z.string().optional(),
  started_at: z.number().int().min(0).optional(),
  finished_at: z.number().int().min(0).optional(),
  attempts: z.array(wireAttempt),
})
export type WireStepRun = z.output<typeof wireStepRun>

const wireLogLine = z.object({ step: z.string(), line: z.string(), at: z.number().int() })

export const pipelineEndpoints = {
  createPipelineRun: endpoint({
    operationId: 'createPipelineRun',
    method: 'POST',
    api: 'keel',
    path: '/pipelines/runs',
    summary: `Store a new pipeline run and all its steps (at most ${MAX_STEPS_PER_RUN.toLocaleString('en-US')}) in one transaction; an id already stored is RESOURCE_ALREADY_EXISTS.`,
    tag: 'keel',
    request: z.object({
      run: wirePipelineRun,
      steps: z.array(wireStepRun).max(MAX_STEPS_PER_RUN, { error: `at most ${MAX_STEPS_PER_RUN} steps per run` }),
    }),
    response: z.object({}),
  }),
  getPipelineRun: endpoint({
    operationId: 'getPipelineRun',
    method: 'GET',
    api: 'keel',
    path: '/pipelines/runs/get',
    summary: 'One pipeline run; 404 RESOURCE_DOES_NOT_EXIST when there is none with that id.',
    tag: 'keel',
    request: z.object({ run_id: name('the pipeline run id') }),
    response: z.object({ run: wirePipelineRun }),
  }),
  listPipelineRuns: endpoint({
    operationId: 'listPipelineRuns',
    method: 'GET',
    api: 'keel',
    path: '/pipelines/runs',
    summary: 'Pipeline runs newest first, only those of `pipeline` and in `status` when given; max_results 1 to 10,000 (default 100).',
    tag: 'keel',
    request: z.object({
      pipeline: z.string().optional().meta({ description: 'only runs of this pipeline' }),
      status: runStatus.optional().meta({ description: 'only runs in this status' }),
      max_results: int64.optional(),
    }),
    response: z.object({ runs: z.array(wirePipelineRun) }),
  }),
  setPipelineRunStatus: endpoint({
    operationId: 'setPipelineRunStatus',
    method: 'POST',
    api: 'keel',
    path: '/pipelines/runs/set-status',
    summary: "Set a pipeline run's status (and error, cleared when absent); the server stamps updated_at.",
    tag: 'keel',
    request: z.object({ run_id: name('the pipeline run id'), status: runStatus, error: z.string().optional() }),
    response: z.object({}),
  }),
  getPipelineSteps: endpoint({
    operationId: 'getPipelineSteps',
    method: 'GET',
    api: 'keel',
    path: '/pipelines/steps',
    summary: "A pipeline run's steps in definition order (empty for an unknown run).",
    tag: 'keel',
    request: z.object({ run_id: name('the pipeline run id') }),
    response: z.object({ steps: z.array(wireStepRun) }),
  }),
  updatePipelineStep: endpoint({
    operationId: 'updatePipelineStep',
    method: 'POST',
    api: 'keel',
    path: '/pipelines/steps/update',
    summary:
      'Compare-and-set: writes the step only if its stored status is one of `expected`; `updated` says whether it did. Of two concurrent updaters from the same status only one wins. An unknown step is 404.',
    tag: 'keel',
    request: z.object({
      step: wireStepRun,
      expected: z.array(stepStatus).min(1, { error: 'name the statuses the step may be in' }),
    }),
    response: z.object({ updated: z.boolean() }),
  }),
  findCachedPipelineStep: endpoint({
    operationId: 'findCachedPipelineStep',
    method: 'GET',
    api: 'keel',
    path: '/pipelines/steps/cached',
    summary: 'The latest succeeded step with this cache key (for caching across runs); no `step` field when there is none.',
    tag: 'keel',
    request: z.object({ cache_key: name('the cache key') }),
    response: z.object({ step: wireStepRun.optional() }),
  }),
  appendPipelineLog: endpoint({
    operationId: 'appendPipelineLog',
    method: 'POST',
    api: 'keel',
    path: '/pipelines/logs',
    summary: "Append one line to a step's log (append-only, kept in order); an unknown run is 404.",
    tag: 'keel',
    request: z.object({ run_id: name('the pipeline run id'), step: z.string(), line: z.string(), at: int64 }),
    response: z.object({}),
  }),
  pipelineLogs: endpoint({
    operationId: 'pipelineLogs',
    method: 'GET',
    api: 'keel',
    path: '/pipelines/logs',
    summary: "A pipeline run's log lines in the order they were appended, only one step's when `step` is given.",
    tag: 'keel',
    request: z.object({ run_id: name('the pipeline run id'), step: z.string().optional() }),
    response: z.object({ logs: z.array(wireLogLine) }),
  }),
}

export function toWirePipelineRun(run: PipelineRunRecord): WirePipelineRun {
  const wire: WirePipelineRun = {
    id: run.id,
    pipeline: run.pipeline,
    definition_digest: run.definitionDigest,
    params: run.params,
    status: run.status,
    tracking_run_id: run.trackingRunId,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
  }
  if (run.error !== undefined) wire.error = run.error
  return wire
}

export function fromWirePipelineRun(wire: WirePipelineRun): PipelineRunRecord {
  const run: PipelineRunRecord = {
    id: wire.id,
    pipeline: wire.pipeline,
    definitionDigest: wire.definition_digest,
    params: wire.params as Record<string, StepValue>,
    status: wire.status as RunStatus,
    trackingRunId: wire.tracking_run_id,
    createdAt: wire.created_at,
    updatedAt: wire.updated_at,
  }
  if (wire.error !== undefined) run.error = wire.error
  return run
}

export function toWireStepRun(step: StepRunRecord): WireStepRun {
  const wire: WireStepRun = {
    run_id: step.runId,
    step: step.step,
    status: step.status,
    attempt: step.attempt,
    cache_key: step.cacheKey,
    cache_reason: step.cacheReason,
    attempts: step.attempts.map((a) => {
      const out: WireStepRun['attempts'][number] = { attempt: a.attempt, worker: a.worker, started_at: a.startedAt }
      if (a.finishedAt !== undefined) out.finished_at = a.finishedAt
      if (a.error !== undefined) out.error = a.error
      return out
    }),
  }
  if (step.outputs !== undefined) wire.outputs = step.outputs
  if (step.error !== undefined) wire.error = step.error
  if (step.worker !== undefined) wire.worker = step.worker
  if (step.trackingRunId !== undefined) wire.tracking_run_id = step.trackingRunId
  if (step.startedAt !== undefined) wire.started_at = step.startedAt
  if (step.finishedAt !== undefined) wire.finished_at = step.finishedAt
  return wire
}

export function fromWireStepRun(wire: WireStepRun): StepRunRecord {
  const step: StepRunRecord = {
    runId: wire.run_id,
    step: wire.step,
    status: wire.status as StepStatus,
    attempt: wire.attempt,
    cacheKey: wire.cache_key,
    cacheReason: wire.cache_reason,
    attempts: wire.attempts.map((a) => {
      const out: StepRunRecord['attempts'][number] = { attempt: a.attempt, worker: a.worker, startedAt: a.started_at }
      if (a.finished_at !== undefined) out.finishedAt = a.finished_at
      if (a.error !== undefined) out.error = a.error
      return out
    }),
  }
  if (wire.outputs !== undefined) step.outputs = wire.outputs as Record<string, StepValue>
  if (wire.error !== undefined) step.error = wire.error
  if (wire.worker !== undefined) step.worker = wire.worker
  if (wire.tracking_run_id !== undefined) step.trackingRunId = wire.tracking_run_id
  if (wire.started_at !== undefined) step.startedAt = wire.started_at
  if (wire.finished_at !== undefined) step.finishedAt = wire.finished_at
  return step
}
