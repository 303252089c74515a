import type { Clock } from '../../../core/clock.js'
import type { Page } from '../../../core/page.js'
import type {
  CreateExperimentInput,
  CreateLoggedModelInput,
  CreateRunInput,
  DatasetInput,
  Experiment,
  LogBatchInput,
  LoggedModel,
  LoggedModelStatus,
  Metric,
  MetricHistoryInput,
  ModelOutput,
  Param,
  PurgeResult,
  Run,
  RunInfo,
  SampledHistoryInput,
  SampledSeries,
  SearchExperimentsInput,
  SearchLoggedModelsInput,
  SearchRunsInput,
  Tag,
  TrackingStore,
  UpdateRunInput,
} from '../../../tracking/index.js'
import type { SqlDriver } from '../sql-driver.js'
import * as experiments from './experiments.js'
import { logInputs, logOutputs } from './inputs.js'
import * as models from './logged-models.js'
import { DEFAULT_BLOCK_SIZE } from './metric-blocks.js'
import { getMetricHistory, getSampledHistory } from './metric-queries.js'
import { purgeDeleted } from './purge.js'
import { searchRuns } from './run-search.js'
import * as runs from './runs.js'
import type { StoreContext } from './store-context.js'

export interface SqlTrackingStoreOptions {
  clock: Clock
  /** Points per packed metric block (default 1024); small values exercise block boundaries in tests. */
  metricBlockSize?: number
  /** Randomness for generated run names (default Math.random). */
  random?: () => number
}

/**
 * `TrackingStore` on SQLite or PostgreSQL through one `SqlDriver`; the SQL is shared and branches on the
 * dialect only for row locks and LIKE escaping. Assumes `migrate()` has run. The driver belongs to the
 * caller (the registry store shares it), so `close()` leaves it open.
 */
export class SqlTrackingStore implements TrackingStore {
  private readonly ctx: StoreContext

  constructor(driver: SqlDriver, options: SqlTrackingStoreOptions) {
    const blockSize = options.metricBlockSize ?? DEFAULT_BLOCK_SIZE
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError('metricBlockSize must be a positive integer')
    this.ctx = { driver, clock: options.clock, blockSize, random: options.random ?? Math.random }
  }

  createExperiment(input: CreateExperimentInput): Promise<string> {
    return experiments.createExperiment(this.ctx, input)
  }

  getExperiment(experimentId: string): Promise<Experiment> {
    return experiments.getExperiment(this.ctx.driver, experimentId)
  }

  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return experiments.getExperimentByName(this.ctx.driver, name)
  }

  searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>> {
    return experiments.searchExperiments(this.ctx.driver, input)
  }

  renameExperiment(experimentId: string, newName: string): Promise<void> {
    return experiments.renameExperiment(this.ctx, experimentId, newName)
  }

  deleteExperiment(experimentId: string): Promise<void> {
    return experiments.deleteExperiment(this.ctx, experimentId)
  }

  restoreExperiment(experimentId: string): Promise<void> {
    return experiments.restoreExperiment(this.ctx, experimentId)
  }

  setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    return experiments.setExperimentTag(this.ctx, experimentId, tag)
  }

  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return experiments.deleteExperimentTag(this.ctx, experimentId, key)
  }

  createRun(input: CreateRunInput): Promise<Run> {
    return runs.createRun(this.ctx, input)
  }

  getRun(runId: string): Promise<Run> {
    return runs.getRun(this.ctx.driver, runId)
  }

  updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    return runs.updateRun(this.ctx, runId, input)
  }

  deleteRun(runId: string): Promise<void> {
    return runs.deleteRun(this.ctx, runId)
  }

  restoreRun(runId: string): Promise<void> {
    return runs.restoreRun(this.ctx, runId)
  }

  logBatch(runId: string, input: LogBatchInput): Promise<void> {
    return runs.logBatch(this.ctx, runId, input)
  }

  deleteTag(runId: string, key: string): Promise<void> {
    return runs.deleteTag(this.ctx, runId, key)
  }

  logInputs(runId: string, datasets: DatasetInput[], modelIds?: string[]): Promise<void> {
    return logInputs(this.ctx, runId, datasets, modelIds)
  }

  logOutputs(runId: string, outputs: ModelOutput[]): Promise<void> {
    return logOutputs(this.ctx, runId, outputs)
  }

  searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    return searchRuns(this.ctx.driver, input)
  }

  getMetricHistory(runId: string, key: string, input?: MetricHistoryInput): Promise<Page<Metric>> {
    return getMetricHistory(this.ctx.driver, runId, key, input)
  }

  getSampledHistory(input: SampledHistoryInput): Promise<SampledSeries[]> {
    return getSampledHistory(this.ctx.driver, input)
  }

  createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    return models.createLoggedModel(this.ctx, input)
  }

  getLoggedModel(modelId: string): Promise<LoggedModel> {
    return models.getLoggedModel(this.ctx.driver, modelId)
  }

  finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    return models.finalizeLoggedModel(this.ctx, modelId, status)
  }

  setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    return models.setLoggedModelTags(this.ctx, modelId, tags)
  }

  deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    return models.deleteLoggedModelTag(this.ctx, modelId, key)
  }

  logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    return models.logLoggedModelParams(this.ctx, modelId, params)
  }

  deleteLoggedModel(modelId: string): Promise<void> {
    return models.deleteLoggedModel(this.ctx, modelId)
  }

  searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
    return models.searchLoggedModels(this.ctx.driver, input)
  }

  purgeDeleted(options: { olderThan: number; runIds?: string[]; experimentIds?: string[] }): Promise<PurgeResult> {
    return purgeDeleted(this.ctx, options)
  }

  async close(): Promise<void> {
    // The driver is shared with other stores; whoever opened it closes it.
  }
}
