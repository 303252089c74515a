import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { invalidParameter } from '../core/errors.js'
import type { Page } from '../core/page.js'
import { parseRunFilter } from './search-filter.js'
import type {
  CreateExperimentInput,
  CreateLoggedModelInput,
  CreateRunInput,
  LogBatchInput,
  MetricHistoryInput,
  PurgeResult,
  SampledHistoryInput,
  SearchExperimentsInput,
  SearchLoggedModelsInput,
  SearchRunsInput,
  TrackingStore,
  UpdateRunInput,
} from './tracking-store.js'
import type {
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelOutput,
  Param,
  Run,
  RunInfo,
  SampledSeries,
  Tag,
} from './types.js'
import {
  TRACKING_LIMITS,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunOrderBy,
  requireString,
  validateDatasetInputs,
  validateExperimentId,
  validateExperimentName,
  validateInteger,
  validateKey,
  validateLogBatch,
  validateLoggedModelFinalStatus,
  validateMaxResultsFor,
  validateModelId,
  validateParams,
  validateRunId,
  validateRunName,
  validateRunStatus,
  validateTag,
  validateTags,
  validateViewType,
} from './validation.js'

const RUN_NAME_TAG = 'mlflow.runName'
const LOGGED_MODEL_NAME_FORBIDDEN = /[/:.%"']/

function validateExperimentIds(ids: unknown): void {
  if (!Array.isArray(ids)) throw invalidParameter(`'experiment_ids' must be a list of experiment ids.`)
  if (ids.length > TRACKING_LIMITS.maxSearchExperimentIds) {
    throw invalidParameter(`'experiment_ids' lists ${ids.length} experiments; search at most ${TRACKING_LIMITS.maxSearchExperimentIds} at once.`)
  }
  ids.forEach((id, i) => validateExperimentId(`experiment_ids[${i}]`, id))
}

export interface TrackingOptions {
  clock?: Clock
}

/**
 * The tracking service: every argument is checked against MLflow's rules once, here, and then handed to
 * the store, so every adapter (SQLite, PostgreSQL, HTTP) sees only well-formed input and a caller's
 * mistake is an INVALID_PARAMETER_VALUE naming the field, never a database error.
 */
export class Tracking implements TrackingStore {
  readonly clock: Clock

  constructor(
    private readonly store: TrackingStore,
    options: TrackingOptions = {},
  ) {
    this.clock = options.clock ?? systemClock
  }

  /** Appends one metric point (a one-entry log-batch). */
  async logMetric(runId: string, metric: Metric): Promise<void> {
    return this.logBatch(runId, { metrics: [metric] })
  }

  /** Logs one param; the same value again is a no-op, a different value is refused. */
  async logParam(runId: string, param: Param): Promise<void> {
    return this.logBatch(runId, { params: [param] })
  }

  /** Sets (overwrites) one run tag. */
  async setTag(runId: string, tag: Tag): Promise<void> {
    return this.logBatch(runId, { tags: [tag] })
  }

  async createExperiment(input: CreateExperimentInput): Promise<string> {
    validateExperimentName('name', input.name)
    if (input.artifactLocation !== undefined && requireString('artifact_location', input.artifactLocation).trim() === '') {
      throw invalidParameter(`'artifact_location' must not be empty; omit it to use mlflow-artifacts:/<experiment_id>.`)
    }
    validateTags('tags', input.tags, TRACKING_LIMITS.maxExperimentTagValueLength)
    return this.store.createExperiment(input)
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.store.getExperiment(validateExperimentId('experiment_id', experimentId))
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.store.getExperimentByName(validateExperimentName('experiment_name', name))
  }

  async searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>> {
    validateViewType('view_type', input.viewType)
    if (input.filter !== undefined) parseExperimentFilter(requireString('filter', input.filter))
    validateMaxResultsFor('experiments', input.maxResults)
    parseExperimentOrderBy(input.orderBy)
    if (input.pageToken !== undefined) requireString('page_token', input.pageToken)
    return this.store.searchExperiments(input)
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentId('experiment_id', experimentId)
    return this.store.renameExperiment(experimentId, validateExperimentName('new_name', newName))
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    return this.store.deleteExperiment(validateExperimentId('experiment_id', experimentId))
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    return this.store.restoreExperiment(validateExperimentId('experiment_id', experimentId))
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    validateExperimentId('experiment_id', experimentId)
    validateTag('tag', tag, TRACKING_LIMITS.maxExperimentTagValueLength)
    return this.store.setExperimentTag(experimentId, tag)
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    validateExperimentId('experiment_id', experimentId)
    return this.store.deleteExperimentTag(experimentId, validateKey('key', key))
  }

  async createRun(input: CreateRunInput): Promise<Run> {
    validateExperimentId('experiment_id', input.experimentId)
    validateInteger('start_time', input.startTime)
    if (input.userId !== undefined) requireString('user_id', input.userId)
    validateTags('tags', input.tags)
    if (input.runName !== undefined) {
      validateRunName('run_name', input.runName)
      const tagged = input.tags?.findLast((tag) => tag.key === RUN_NAME_TAG)
      if (tagged !== undefined && tagged.value !== input.runName) {
        throw invalidParameter(
          `Both 'run_name' ('${input.runName}') and the '${RUN_NAME_TAG}' tag ('${tagged.value}') are given with different values; pass only one.`,
        )
      }
    }
    return this.store.createRun(input)
  }

  async getRun(runId: string): Promise<Run> {
    return this.store.getRun(validateRunId('run_id', runId))
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    validateRunId('run_id', runId)
    if (input.status !== undefined) validateRunStatus('status', input.status)
    if (input.endTime !== undefined) validateInteger('end_time', input.endTime)
    if (input.runName !== undefined) validateRunName('run_name', input.runName)
    return this.store.updateRun(runId, input)
  }

  async deleteRun(runId: string): Promise<void> {
    return this.store.deleteRun(validateRunId('run_id', runId))
  }

  async restoreRun(runId: string): Promise<void> {
    return this.store.restoreRun(validateRunId('run_id', runId))
  }

  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    validateRunId('run_id', runId)
    validateLogBatch(input)
    return this.store.logBatch(runId, input)
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId('run_id', runId)
    return this.store.deleteTag(runId, validateKey('key', key))
  }

  async logInputs(runId: string, datasets: DatasetInput[], modelIds?: string[]): Promise<void> {
    validateRunId('run_id', runId)
    validateDatasetInputs('datasets', datasets)
    if (modelIds !== undefined) {
      if (!Array.isArray(modelIds)) throw invalidParameter(`'models' must be a list of {model_id}.`)
      modelIds.forEach((id, i) => validateModelId(`models[${i}].model_id`, id))
      return this.store.logInputs(runId, datasets, modelIds)
    }
    return this.store.logInputs(runId, datasets)
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    validateRunId('run_id', runId)
    if (!Array.isArray(models)) throw invalidParameter(`'models' must be a list of {model_id, step}.`)
    models.forEach((model, i) => {
      validateModelId(`models[${i}].model_id`, model.modelId)
      validateInteger(`models[${i}].step`, model.step)
    })
    return this.store.logOutputs(runId, models)
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    validateExperimentIds(input.experimentIds)
    if (input.filter !== undefined) parseRunFilter(requireString('filter', input.filter))
    validateViewType('run_view_type', input.viewType)
    validateMaxResultsFor('runs', input.maxResults)
    parseRunOrderBy(input.orderBy)
    if (input.pageToken !== undefined) requireString('page_token', input.pageToken)
    return this.store.searchRuns(input)
  }

  async getMetricHistory(runId: string, key: string, input: MetricHistoryInput = {}): Promise<Page<Metric>> {
    validateRunId('run_id', runId)
    validateKey('metric_key', key)
    validateMaxResultsFor('metricHistory', input.maxResults)
    if (input.pageToken !== undefined) requireString('page_token', input.pageToken)
    return this.store.getMetricHistory(runId, key, input)
  }

  async getSampledHistory(input: SampledHistoryInput): Promise<SampledSeries[]> {
    if (!Array.isArray(input.runIds) || input.runIds.length === 0) {
      throw invalidParameter(`'run_ids' must list at least one run id.`)
    }
    if (input.runIds.length > TRACKING_LIMITS.maxSampledRuns) {
      throw invalidParameter(`'run_ids' lists ${input.runIds.length} runs; sample at most ${TRACKING_LIMITS.maxSampledRuns} per request.`)
    }
    input.runIds.forEach((id, i) => validateRunId(`run_ids[${i}]`, id))
    validateKey('metric_key', input.key)
    if (input.maxPoints !== undefined) {
      const max = TRACKING_LIMITS.maxSampledPoints
      if (!Number.isInteger(input.maxPoints) || input.maxPoints < 1 || input.maxPoints > max) {
        throw invalidParameter(`'max_points' must be an integer from 1 to ${max}; got ${String(input.maxPoints)}.`)
      }
    }
    if (input.startStep !== undefined) validateInteger('start_step', input.startStep)
    if (input.endStep !== undefined) validateInteger('end_step', input.endStep)
    if (input.startStep !== undefined && input.endStep !== undefined && input.startStep > input.endStep) {
      throw invalidParameter(`'start_step' (${input.startStep}) must not be greater than 'end_step' (${input.endStep}).`)
    }
    return this.store.getSampledHistory(input)
  }

  async createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    validateExperimentId('experiment_id', input.experimentId)
    if (input.name !== undefined) {
      const name = requireString('name', input.name)
      if (name === '' || name.length > TRACKING_LIMITS.maxKeyLength || LOGGED_MODEL_NAME_FORBIDDEN.test(name)) {
        throw invalidParameter(
          `Invalid logged model name '${name}': use 1 to ${TRACKING_LIMITS.maxKeyLength} characters without / : . % " or '.`,
        )
      }
    }
    if (input.modelType !== undefined) requireString('model_type', input.modelType)
    if (input.sourceRunId !== undefined) validateRunId('source_run_id', input.sourceRunId)
    validateParams('params', input.params)
    validateTags('tags', input.tags)
    return this.store.createLoggedModel(input)
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    return this.store.getLoggedModel(validateModelId('model_id', modelId))
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    validateModelId('model_id', modelId)
    return this.store.finalizeLoggedModel(modelId, validateLoggedModelFinalStatus('status', status))
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    validateModelId('model_id', modelId)
    validateTags('tags', tags)
    return this.store.setLoggedModelTags(modelId, tags)
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    validateModelId('model_id', modelId)
    return this.store.deleteLoggedModelTag(modelId, validateKey('tag_key', key))
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    validateModelId('model_id', modelId)
    validateParams('params', params)
    return this.store.logLoggedModelParams(modelId, params)
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    return this.store.deleteLoggedModel(validateModelId('model_id', modelId))
  }

  async searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
    validateExperimentIds(input.experimentIds)
    validateMaxResultsFor('loggedModels', input.maxResults)
    if (input.pageToken !== undefined) requireString('page_token', input.pageToken)
    return this.store.searchLoggedModels(input)
  }

  async purgeDeleted(options: { olderThan: number; runIds?: string[]; experimentIds?: string[] }): Promise<PurgeResult> {
    validateInteger('older_than', options.olderThan)
    options.runIds?.forEach((id, i) => validateRunId(`run_ids[${i}]`, id))
    options.experimentIds?.forEach((id, i) => validateExperimentId(`experiment_ids[${i}]`, id))
    return this.store.purgeDeleted(options)
  }

  async close(): Promise<void> {
    return this.store.close()
  }
}
