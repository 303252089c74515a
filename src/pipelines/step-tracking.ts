import type { Keel } from '../client/keel.js'
import type { Clock } from '../core/clock.js'
import { isKeelError } from '../core/errors.js'
import type { Metric, Param, RunStatus as TrackingStatus, Tag } from '../tracking/types.js'
import type { CacheKeyParts } from './cache-key.js'
import type { PipelineDefinition, RunStatus, StepStatus, StepValue } from './types.js'

const CACHE_PARTS_TAG = 'keel.pipeline.cache_parts'
const MAX_PARAMS_PER_BATCH = 100
/** MLflow's limit on a tag value. */
const MAX_TAG_CHARS = 8000

/** Longest param value written for a step input (MLflow accepts 6000; summaries stay readable). */
const MAX_PARAM_CHARS = 500

/**
 * Every pipeline run is a tracking run in experiment `pipelines/<name>`, and every executed step a run
 * nested under it (`mlflow.parentRunId`), so the MLflow UI shows a pipeline as a parent with its steps.
 * Goes to `keel.tracking` directly (not `startRun`): no git lookup and no metric buffer per step.
 */
export class StepTracking {
  private readonly experiments = new Map<string, Promise<string>>()

  constructor(
    private readonly keel: Keel,
    private readonly clock: Clock,
  ) {}

  async startPipeline(definition: PipelineDefinition, runId: string, params: Record<string, StepValue>): Promise<string> {
    const experimentId = await this.experimentFor(definition.name)
    const run = await this.keel.tracking.createRun({
      experimentId,
      runName: `${definition.name}-${runId.slice(0, 8)}`,
      startTime: this.clock.now(),
      tags: [
        { key: 'keel.pipeline', value: definition.name },
        { key: 'keel.pipeline.run', value: runId },
        { key: 'keel.pipeline.digest', value: definition.digest },
      ],
    })
    const trackingRunId = run.info.runId
    await this.logParams(trackingRunId, summarise(params))
    return trackingRunId
  }

  async startStep(
    parentTrackingRunId: string,
    pipeline: string,
    runId: string,
    step: string,
    inputs: Record<string, StepValue>,
    cacheParts?: CacheKeyParts,
  ): Promise<string> {
    const experimentId = await this.experimentFor(pipeline)
    const tags: Tag[] = [
      { key: 'mlflow.parentRunId', value: parentTrackingRunId },
      { key: 'keel.pipeline', value: pipeline },
      { key: 'keel.pipeline.run', value: runId },
      { key: 'keel.pipeline.step', value: step },
    ]
    // Kept so the next run can say which component of the key changed when it misses the cache.
    const partsJson = cacheParts === undefined ? '' : JSON.stringify(cacheParts)
    // A step with very many inputs goes without: its misses then read 'no earlier execution with the same key'.
    if (partsJson !== '' && partsJson.length <= MAX_TAG_CHARS) tags.push({ key: CACHE_PARTS_TAG, value: partsJson })
    const run = await this.keel.tracking.createRun({ experimentId, runName: step, startTime: this.clock.now(), tags })
    await this.logParams(run.info.runId, summarise(inputs))
    return run.info.runId
  }

  /** The cache key parts recorded on a step's tracking run, if any. */
  async cacheParts(trackingRunId: string): Promise<CacheKeyParts | undefined> {
    try {
      const run = await this.keel.tracking.getRun(trackingRunId)
      const tag = run.data.tags.find((t) => t.key === CACHE_PARTS_TAG)
      return tag === undefined ? undefined : (JSON.parse(tag.value) as CacheKeyParts)
    } catch {
      return undefined
    }
  }

  /** Timings as metrics and the final status; `attempt` is the metric's step so retries chart as a series. */
  async finishStep(
    trackingRunId: string,
    status: StepStatus,
    timing: { attempt: number; startedAt: number; finishedAt: number; dispatchMs?: number },
  ): Promise<void> {
    const metrics: Metric[] = [
      { key: 'duration_ms', value: timing.finishedAt - timing.startedAt, timestamp: timing.finishedAt, step: timing.attempt },
      { key: 'attempts', value: timing.attempt, timestamp: timing.finishedAt, step: 0 },
    ]
    if (timing.dispatchMs !== undefined) {
      metrics.push({ key: 'dispatch_ms', value: timing.dispatchMs, timestamp: timing.finishedAt, step: timing.attempt })
    }
    await this.keel.tracking.logBatch(trackingRunId, { metrics })
    await this.end(trackingRunId, trackingStatus(status), timing.finishedAt)
  }

  async finishPipeline(trackingRunId: string, status: RunStatus): Promise<void> {
    await this.end(trackingRunId, trackingStatus(status), this.clock.now())
  }

  /** In batches of MLflow's 100 params per log-batch (a fan-in step may have hundreds of inputs). */
  private async logParams(trackingRunId: string, params: Param[]): Promise<void> {
    for (let i = 0; i < params.length; i += MAX_PARAMS_PER_BATCH) {
      await this.keel.tracking.logBatch(trackingRunId, { params: params.slice(i, i + MAX_PARAMS_PER_BATCH) })
    }
  }

  private async end(trackingRunId: string, status: TrackingStatus, endTime: number): Promise<void> {
    await this.keel.tracking.updateRun(trackingRunId, { status, endTime })
  }

  private experimentFor(pipeline: string): Promise<string> {
    const name = `pipelines/${pipeline}`
    let id = this.experiments.get(name)
    if (id === undefined) {
      id = this.ensureExperiment(name)
      // A failed lookup is not remembered: the next step tries again.
      id.catch(() => this.experiments.delete(name))
      this.experiments.set(name, id)
    }
    return id
  }

  private async ensureExperiment(name: string): Promise<string> {
    const existing = await this.keel.tracking.getExperimentByName(name)
    if (existing !== undefined) return existing.experimentId
    try {
      return await this.keel.tracking.createExperiment({ name })
    } catch (error) {
      // Another process running the same pipeline created it first.
      if (isKeelError(error) && error.code === 'RESOURCE_ALREADY_EXISTS') {
        const raced = await this.keel.tracking.getExperimentByName(name)
        if (raced !== undefined) return raced.experimentId
      }
      throw error
    }
  }
}

function trackingStatus(status: StepStatus | RunStatus): TrackingStatus {
  if (status === 'succeeded' || status === 'cached' || status === 'skipped') return 'FINISHED'
  if (status === 'failed') return 'FAILED'
  if (status === 'cancelled') return 'KILLED'
  return 'RUNNING'
}

/** One param per input: strings as they are, anything else as JSON, cut to a readable length. */
function summarise(values: Record<string, StepValue>): Param[] {
  const params: Param[] = []
  for (const [key, value] of Object.entries(values)) {
    let text = typeof value === 'string' ? value : JSON.stringify(value)
    if (text.length > MAX_PARAM_CHARS) text = `${text.slice(0, MAX_PARAM_CHARS - 1)}…`
    params.push({ key, value: text })
  }
  return params
}
