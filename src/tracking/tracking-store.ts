import type { Page } from '../core/page.js'
import type {
  Dataset,
  DatasetInput,
  Experiment,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  ModelOutput,
  Param,
  Run,
  RunInfo,
  RunStatus,
  SampledSeries,
  Tag,
  ViewType,
} from './types.js'

export interface CreateExperimentInput {
  name: string
  /** Where the runs' artifacts go; defaults to `mlflow-artifacts:/<experiment id>`. */
  artifactLocation?: string
  tags?: Tag[]
}

export interface SearchExperimentsInput {
  viewType?: ViewType
  /** MLflow experiment filter: `name LIKE 'x%' AND tags.k = 'v'`. */
  filter?: string
  maxResults?: number
  /** e.g. `['name ASC', 'creation_time DESC']`. */
  orderBy?: string[]
  pageToken?: string
}

export interface CreateRunInput {
  experimentId: string
  runName?: string
  startTime: number
  userId?: string
  tags?: Tag[]
}

export interface UpdateRunInput {
  status?: RunStatus
  endTime?: number
  runName?: string
}

export interface LogBatchInput {
  metrics?: Metric[]
  params?: Param[]
  tags?: Tag[]
}

export interface SearchRunsInput {
  experimentIds: string[]
  /** MLflow's run filter grammar, see `parseRunFilter`. */
  filter?: string
  viewType?: ViewType
  maxResults?: number
  /** e.g. `['metrics.rmse ASC', 'params.lr', 'attributes.start_time DESC']`. */
  orderBy?: string[]
  pageToken?: string
}

export interface MetricHistoryInput {
  maxResults?: number
  pageToken?: string
}

export interface SampledHistoryInput {
  runIds: string[]
  key: string
  /** Points per series after sampling (default 320, as MLflow's UI). */
  maxPoints?: number
  startStep?: number
  endStep?: number
}

export interface CreateLoggedModelInput {
  experimentId: string
  name?: string
  modelType?: string
  sourceRunId?: string
  params?: Param[]
  tags?: Tag[]
}

export interface SearchLoggedModelsInput {
  experimentIds: string[]
  maxResults?: number
  pageToken?: string
}

/** What a purge removed, so the caller can delete the artifacts too. */
export interface PurgeResult {
  runIds: string[]
  experimentIds: string[]
  /** Artifact URIs (run `artifactUri`s) whose contents should now be deleted. */
  artifactUris: string[]
}

/**
 * Metadata of experiment tracking. Adapters: SQLite, PostgreSQL, HTTP (a `keel server`).
 *
 * Adapters implement primitives atomically and enforce invariants that need the stored state (params are
 * immutable, names are unique, deleted runs refuse writes). Argument validation (MLflow's key and size
 * rules, log-batch limits) happens once above the port in `Tracking`, so the adapters trust their inputs.
 * Every method throws `KeelError` with a stable code: RESOURCE_DOES_NOT_EXIST for unknown ids,
 * RESOURCE_ALREADY_EXISTS for duplicate names, INVALID_PARAMETER_VALUE for rule violations.
 */
export interface TrackingStore {
  createExperiment(input: CreateExperimentInput): Promise<string>
  getExperiment(experimentId: string): Promise<Experiment>
  /** Returns undefined when no experiment (active or deleted) has the name. */
  getExperimentByName(name: string): Promise<Experiment | undefined>
  searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>>
  renameExperiment(experimentId: string, newName: string): Promise<void>
  deleteExperiment(experimentId: string): Promise<void>
  restoreExperiment(experimentId: string): Promise<void>
  setExperimentTag(experimentId: string, tag: Tag): Promise<void>
  deleteExperimentTag(experimentId: string, key: string): Promise<void>

  createRun(input: CreateRunInput): Promise<Run>
  getRun(runId: string): Promise<Run>
  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo>
  deleteRun(runId: string): Promise<void>
  restoreRun(runId: string): Promise<void>
  /** Metrics append to history; params are write-once (same value is a no-op); tags overwrite. One transaction. */
  logBatch(runId: string, input: LogBatchInput): Promise<void>
  deleteTag(runId: string, key: string): Promise<void>
  logInputs(runId: string, datasets: DatasetInput[], modelIds?: string[]): Promise<void>
  logOutputs(runId: string, models: ModelOutput[]): Promise<void>
  searchRuns(input: SearchRunsInput): Promise<Page<Run>>

  /** Every point of one metric in insertion order, paged. */
  getMetricHistory(runId: string, key: string, input?: MetricHistoryInput): Promise<Page<Metric>>
  /** The history of one metric for several runs, reduced to about `maxPoints` per run for a chart. */
  getSampledHistory(input: SampledHistoryInput): Promise<SampledSeries[]>

  createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel>
  getLoggedModel(modelId: string): Promise<LoggedModel>
  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel>
  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void>
  deleteLoggedModelTag(modelId: string, key: string): Promise<void>
  logLoggedModelParams(modelId: string, params: Param[]): Promise<void>
  deleteLoggedModel(modelId: string): Promise<void>
  searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>>

  /** Permanently removes deleted runs (and deleted experiments with their runs) deleted before `olderThan`. */
  purgeDeleted(options: { olderThan: number; runIds?: string[]; experimentIds?: string[] }): Promise<PurgeResult>

  close(): Promise<void>
}

export type { Dataset }
