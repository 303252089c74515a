import type { Clock } from '../../core/clock.js'
import { systemClock } from '../../core/clock.js'
import { KeelError } from '../../core/errors.js'
import type { Page } from '../../core/page.js'
import {
  fromWireExperiment,
  fromWireLoggedModel,
  fromWireMetric,
  fromWireRun,
  fromWireRunInfo,
  fromWireSampledSeries,
  toWireDatasetInput,
  toWireMetric,
  toWireTag,
} from '../../protocol/mlflow-wire.js'
import type {
  WireExperiment,
  WireLoggedModel,
  WireMetric,
  WireRun,
  WireRunInfo,
  WireSampledSeries,
} from '../../protocol/wire-types.js'
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
} from '../../tracking/tracking-store.js'
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
} from '../../tracking/types.js'
import type { HttpTransport } from './http-transport.js'
import { API, KEEL, body, page } from './wire-body.js'


export interface GcRequest {
  olderThanMs?: number
  runIds?: string[]
  experimentIds?: string[]
}

export interface GcResponse {
  runIds: string[]
  experimentIds: string[]
  artifactFilesDeleted: number
  bytesFreed: number
}

/**
 * `TrackingStore` over a keel (or MLflow) server's REST API 2.0, plus keel's own endpoints for sampled
 * history and garbage collection. Arguments are validated by `Tracking` above it, and again by the server.
 */
export class HttpTrackingStore implements TrackingStore {
  private readonly clock: Clock

  constructor(
    private readonly http: HttpTransport,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock
  }

  async createExperiment(input: CreateExperimentInput): Promise<string> {
    const res = await this.http.post<{ experiment_id: string }>(
      `${API}/experiments/create`,
      body({ name: input.name, artifact_location: input.artifactLocation, tags: input.tags?.map(toWireTag) }),
    )
    return String(res.experiment_id)
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.http.get<{ experiment: WireExperiment }>(`${API}/experiments/get`, { experiment_id: experimentId })
    return fromWireExperiment(res.experiment)
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const res = await this.http.get<{ experiment: WireExperiment }>(`${API}/experiments/get-by-name`, {
        experiment_name: name,
      })
      return fromWireExperiment(res.experiment)
    } catch (error) {
      // MLflow answers an unknown name with 404 RESOURCE_DOES_NOT_EXIST; the port says "undefined".
      if (error instanceof KeelError && error.code === 'RESOURCE_DOES_NOT_EXIST') return undefined
      throw error
    }
  }

  async searchExperiments(input: SearchExperimentsInput): Promise<Page<Experiment>> {
    const res = await this.http.post<{ experiments?: WireExperiment[]; next_page_token?: string }>(
      `${API}/experiments/search`,
      body({
        view_type: input.viewType,
        filter: input.filter,
        max_results: input.maxResults,
        order_by: input.orderBy,
        page_token: input.pageToken,
      }),
    )
    return page((res.experiments ?? []).map(fromWireExperiment), res.next_page_token)
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.http.post(`${API}/experiments/update`, { experiment_id: experimentId, new_name: newName })
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.http.post(`${API}/experiments/delete`, { experiment_id: experimentId })
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.http.post(`${API}/experiments/restore`, { experiment_id: experimentId })
  }

  async setExperimentTag(experimentId: string, tag: Tag): Promise<void> {
    await this.http.post(`${API}/experiments/set-experiment-tag`, {
      experiment_id: experimentId,
      key: tag.key,
      value: tag.value,
    })
  }

  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    await this.http.post(`${API}/experiments/delete-experiment-tag`, { experiment_id: experimentId, key })
  }

  async createRun(input: CreateRunInput): Promise<Run> {
    const res = await this.http.post<{ run: WireRun }>(
      `${API}/runs/create`,
      body({
        experiment_id: input.experimentId,
        run_name: input.runName,
        start_time: input.startTime,
        user_id: input.userId,
        tags: input.tags?.map(toWireTag),
      }),
    )
    return fromWireRun(res.run)
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.http.get<{ run: WireRun }>(`${API}/runs/get`, { run_id: runId })
    return fromWireRun(res.run)
  }

  async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
    const res = await this.http.post<{ run_info: WireRunInfo }>(
      `${API}/runs/update`,
      body({ run_id: runId, status: input.status, end_time: input.endTime, run_name: input.runName }),
    )
    return fromWireRunInfo(res.run_info)
  }

  async deleteRun(runId: string): Promise<void> {
    await this.http.post(`${API}/runs/delete`, { run_id: runId })
  }

  async restoreRun(runId: string): Promise<void> {
    await this.http.post(`${API}/runs/restore`, { run_id: runId })
  }

  async logBatch(runId: string, input: LogBatchInput): Promise<void> {
    await this.http.post(
      `${API}/runs/log-batch`,
      body({
        run_id: runId,
        metrics: input.metrics?.map((m) => toWireMetric(m)),
        params: input.params?.map(toWireTag),
        tags: input.tags?.map(toWireTag),
      }),
    )
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.http.post(`${API}/runs/delete-tag`, { run_id: runId, key })
  }

  async logInputs(runId: string, datasets: DatasetInput[], modelIds?: string[]): Promise<void> {
    await this.http.post(
      `${API}/runs/log-inputs`,
      body({
        run_id: runId,
        datasets: datasets.map(toWireDatasetInput),
        models: modelIds?.map((id) => ({ model_id: id })),
      }),
    )
  }

  async logOutputs(runId: string, models: ModelOutput[]): Promise<void> {
    await this.http.post(`${API}/runs/outputs`, {
      run_id: runId,
      models: models.map((m) => ({ model_id: m.modelId, step: m.step })),
    })
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    const res = await this.http.post<{ runs?: WireRun[]; next_page_token?: string }>(
      `${API}/runs/search`,
      body({
        experiment_ids: input.experimentIds,
        filter: input.filter,
        run_view_type: input.viewType,
        max_results: input.maxResults,
        order_by: input.orderBy,
        page_token: input.pageToken,
      }),
    )
    return page((res.runs ?? []).map(fromWireRun), res.next_page_token)
  }

  async getMetricHistory(runId: string, key: string, input: MetricHistoryInput = {}): Promise<Page<Metric>> {
    const res = await this.http.get<{ metrics?: WireMetric[]; next_page_token?: string }>(`${API}/metrics/get-history`, {
      run_id: runId,
      metric_key: key,
      max_results: input.maxResults,
      page_token: input.pageToken,
    })
    return page((res.metrics ?? []).map(fromWireMetric), res.next_page_token)
  }

  async getSampledHistory(input: SampledHistoryInput): Promise<SampledSeries[]> {
    const res = await this.http.get<{ series?: WireSampledSeries[] }>(`${KEEL}/metrics/sampled`, {
      run_ids: input.runIds,
      metric_key: input.key,
      max_points: input.maxPoints,
      start_step: input.startStep,
      end_step: input.endStep,
    })
    return (res.series ?? []).map(fromWireSampledSeries)
  }

  async createLoggedModel(input: CreateLoggedModelInput): Promise<LoggedModel> {
    const res = await this.http.post<{ model: WireLoggedModel }>(
      `${API}/logged-models`,
      body({
        experiment_id: input.experimentId,
        name: input.name,
        model_type: input.modelType,
        source_run_id: input.sourceRunId,
        params: input.params?.map(toWireTag),
        tags: input.tags?.map(toWireTag),
      }),
    )
    return fromWireLoggedModel(res.model)
  }

  async getLoggedModel(modelId: string): Promise<LoggedModel> {
    const res = await this.http.get<{ model: WireLoggedModel }>(`${API}/logged-models/${encodeURIComponent(modelId)}`)
    return fromWireLoggedModel(res.model)
  }

  async finalizeLoggedModel(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const res = await this.http.patch<{ model: WireLoggedModel }>(`${API}/logged-models/${encodeURIComponent(modelId)}`, {
      model_id: modelId,
      status,
    })
    return fromWireLoggedModel(res.model)
  }

  async setLoggedModelTags(modelId: string, tags: Tag[]): Promise<void> {
    await this.http.patch(`${API}/logged-models/${encodeURIComponent(modelId)}/tags`, {
      model_id: modelId,
      tags: tags.map(toWireTag),
    })
  }

  async deleteLoggedModelTag(modelId: string, key: string): Promise<void> {
    await this.http.delete(
      `${API}/logged-models/${encodeURIComponent(modelId)}/tags/${encodeURIComponent(key)}`,
      { model_id: modelId, tag_key: key },
    )
  }

  async logLoggedModelParams(modelId: string, params: Param[]): Promise<void> {
    await this.http.post(`${API}/logged-models/${encodeURIComponent(modelId)}/params`, {
      model_id: modelId,
      params: params.map(toWireTag),
    })
  }

  async deleteLoggedModel(modelId: string): Promise<void> {
    await this.http.delete(`${API}/logged-models/${encodeURIComponent(modelId)}`, { model_id: modelId })
  }

  async searchLoggedModels(input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
    const res = await this.http.post<{ models?: WireLoggedModel[]; next_page_token?: string }>(
      `${API}/logged-models/search`,
      body({ experiment_ids: input.experimentIds, max_results: input.maxResults, page_token: input.pageToken }),
    )
    return page((res.models ?? []).map(fromWireLoggedModel), res.next_page_token)
  }

  /**
   * The server purges and deletes the artifacts itself (they live there), so no URIs come back for the
   * caller to delete.
   */
  async purgeDeleted(options: { olderThan: number; runIds?: string[]; experimentIds?: string[] }): Promise<PurgeResult> {
    const request: GcRequest = { olderThanMs: Math.max(0, this.clock.now() - options.olderThan) }
    if (options.runIds !== undefined) request.runIds = options.runIds
    if (options.experimentIds !== undefined) request.experimentIds = options.experimentIds
    const result = await this.collectGarbage(request)
    return { runIds: result.runIds, experimentIds: result.experimentIds, artifactUris: [] }
  }

  /** keel's `POST /api/keel/v1/gc`: purge deleted runs/experiments and their artifacts on the server. */
  async collectGarbage(request: GcRequest = {}): Promise<GcResponse> {
    const res = await this.http.post<{
      run_ids?: string[]
      experiment_ids?: string[]
      artifact_files_deleted?: number
      bytes_freed?: number
    }>(
      `${KEEL}/gc`,
      body({ older_than_ms: request.olderThanMs, run_ids: request.runIds, experiment_ids: request.experimentIds }),
    )
    return {
      runIds: res.run_ids ?? [],
      experimentIds: res.experiment_ids ?? [],
      artifactFilesDeleted: Number(res.artifact_files_deleted ?? 0),
      bytesFreed: Number(res.bytes_freed ?? 0),
    }
  }

  async close(): Promise<void> {
    // The transport is shared with the other adapters; `Stores.close()` closes it.
  }
}
