import type { ArtifactInfo } from '../artifacts/artifact-store.js'
import type {
  Dataset,
  DatasetInput,
  Experiment,
  LoggedModel,
  Metric,
  Run,
  RunInfo,
  SampledSeries,
} from '../tracking/types.js'
import { fromWireParam, fromWireTag, int, list, str, toWireTag, withString } from './wire-helpers.js'
import { formatDouble, toDouble, toInt64 } from './wire-numbers.js'
import type {
  WireDataset,
  WireDatasetInput,
  WireExperiment,
  WireFileInfo,
  WireLoggedModel,
  WireMetric,
  WireRun,
  WireRunInfo,
  WireSampledSeries,
} from './wire-types.js'

/**
 * Domain ↔ MLflow JSON. `toWire*` writes what MLflow's server writes (unset optional strings omitted,
 * non-finite doubles as strings); `fromWire*` reads leniently, defaulting what MLflow may omit, so the HTTP
 * adapters accept any MLflow-compatible server. Registry entities live in `registry-wire.ts`, re-exported here.
 */

export * from './registry-wire.js'

export { fromWireParam, fromWireTag, toWireParam, toWireTag } from './wire-helpers.js'

export function toWireMetric(metric: Metric, runId?: string): WireMetric {
  const wire: WireMetric = {
    key: metric.key,
    value: formatDouble(metric.value) as WireMetric['value'],
    timestamp: metric.timestamp,
    step: metric.step,
  }
  if (runId !== undefined) wire.run_id = runId
  return wire
}

export function fromWireMetric(wire: WireMetric): Metric {
  return { key: str(wire.key), value: toDouble(wire.value) ?? Number.NaN, timestamp: int(wire.timestamp), step: int(wire.step) }
}

export function toWireExperiment(experiment: Experiment): WireExperiment {
  return {
    experiment_id: experiment.experimentId,
    name: experiment.name,
    artifact_location: experiment.artifactLocation,
    lifecycle_stage: experiment.lifecycleStage,
    creation_time: experiment.creationTime,
    last_update_time: experiment.lastUpdateTime,
    tags: experiment.tags.map(toWireTag),
  }
}

export function fromWireExperiment(wire: WireExperiment): Experiment {
  return {
    experimentId: str(wire.experiment_id),
    name: str(wire.name),
    artifactLocation: str(wire.artifact_location),
    lifecycleStage: wire.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creationTime: int(wire.creation_time),
    lastUpdateTime: int(wire.last_update_time, int(wire.creation_time)),
    tags: list(wire.tags).map(fromWireTag),
  }
}

export function toWireRunInfo(info: RunInfo): WireRunInfo {
  const wire: WireRunInfo = {
    run_id: info.runId,
    run_uuid: info.runId,
    run_name: info.runName,
    experiment_id: info.experimentId,
    user_id: info.userId,
    status: info.status,
    start_time: info.startTime,
    artifact_uri: info.artifactUri,
    lifecycle_stage: info.lifecycleStage,
  }
  if (info.endTime !== null) wire.end_time = info.endTime
  return wire
}

export function fromWireRunInfo(wire: WireRunInfo): RunInfo {
  const endTime = toInt64(wire.end_time)
  return {
    runId: str(wire.run_id, str(wire.run_uuid)),
    runName: str(wire.run_name),
    experimentId: str(wire.experiment_id),
    userId: str(wire.user_id),
    status: wire.status ?? 'RUNNING',
    startTime: int(wire.start_time),
    endTime: endTime ?? null,
    artifactUri: str(wire.artifact_uri),
    lifecycleStage: wire.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  }
}

export function toWireDataset(dataset: Dataset): WireDataset {
  const wire: WireDataset = {
    name: dataset.name,
    digest: dataset.digest,
    source_type: dataset.sourceType,
    source: dataset.source,
  }
  withString(wire, 'schema', dataset.schema)
  return withString(wire, 'profile', dataset.profile)
}

export function fromWireDataset(wire: WireDataset): Dataset {
  const dataset: Dataset = {
    name: str(wire.name),
    digest: str(wire.digest),
    sourceType: str(wire.source_type),
    source: str(wire.source),
  }
  if (typeof wire.schema === 'string' && wire.schema !== '') dataset.schema = wire.schema
  if (typeof wire.profile === 'string' && wire.profile !== '') dataset.profile = wire.profile
  return dataset
}

export const toWireDatasetInput = (input: DatasetInput): WireDatasetInput => ({
  tags: input.tags.map(toWireTag),
  dataset: toWireDataset(input.dataset),
})

export const fromWireDatasetInput = (wire: WireDatasetInput): DatasetInput => ({
  dataset: fromWireDataset(wire.dataset),
  tags: list(wire.tags).map(fromWireTag),
})

export function toWireRun(run: Run): WireRun {
  return {
    info: toWireRunInfo(run.info),
    data: {
      metrics: run.data.metrics.map((m) => toWireMetric(m)),
      params: run.data.params.map(toWireTag),
      tags: run.data.tags.map(toWireTag),
    },
    inputs: {
      dataset_inputs: run.inputs.datasetInputs.map(toWireDatasetInput),
      model_inputs: run.inputs.modelInputs.map((m) => ({ model_id: m.modelId })),
    },
    outputs: { model_outputs: run.outputs.modelOutputs.map((m) => ({ model_id: m.modelId, step: m.step })) },
  }
}

export function fromWireRun(wire: WireRun): Run {
  return {
    info: fromWireRunInfo(wire.info),
    data: {
      metrics: list(wire.data?.metrics).map(fromWireMetric),
      params: list(wire.data?.params).map(fromWireParam),
      tags: list(wire.data?.tags).map(fromWireTag),
    },
    inputs: {
      datasetInputs: list(wire.inputs?.dataset_inputs).map(fromWireDatasetInput),
      modelInputs: list(wire.inputs?.model_inputs).map((m) => ({ modelId: str(m.model_id) })),
    },
    outputs: {
      modelOutputs: list(wire.outputs?.model_outputs).map((m) => ({ modelId: str(m.model_id), step: int(m.step) })),
    },
  }
}

/** `prefix` joins the listed directory back on, for `artifacts/list` whose paths are relative to the run root. */
export function toWireFileInfo(info: ArtifactInfo, prefix = ''): WireFileInfo {
  const wire: WireFileInfo = { path: prefix === '' ? info.path : `${prefix}/${info.path}`, is_dir: info.isDir }
  if (!info.isDir && info.fileSize !== undefined) wire.file_size = info.fileSize
  // keel extension: the content's sha256, so clients can verify and record lineage over HTTP.
  if (!info.isDir && info.digest !== undefined) wire.digest = info.digest
  return wire
}

export function fromWireFileInfo(wire: WireFileInfo): ArtifactInfo {
  const info: ArtifactInfo = { path: str(wire.path), isDir: wire.is_dir === true }
  const size = toInt64(wire.file_size)
  if (!info.isDir && size !== undefined) info.fileSize = size
  if (!info.isDir && typeof wire.digest === 'string' && /^[0-9a-f]{64}$/.test(wire.digest)) info.digest = wire.digest
  return info
}

export function toWireLoggedModel(model: LoggedModel): WireLoggedModel {
  const info: WireLoggedModel['info'] = {
    model_id: model.modelId,
    experiment_id: model.experimentId,
    name: model.name,
    creation_timestamp_ms: model.creationTimestampMs,
    last_updated_timestamp_ms: model.lastUpdatedTimestampMs,
    artifact_uri: model.artifactUri,
    status: model.status,
    tags: model.tags.map(toWireTag),
    lifecycle_stage: model.lifecycleStage,
  }
  withString(info, 'model_type', model.modelType)
  withString(info, 'source_run_id', model.sourceRunId)
  withString(info, 'status_message', model.statusMessage)
  return { info, data: { params: model.params.map(toWireTag) } }
}

export function fromWireLoggedModel(wire: WireLoggedModel): LoggedModel {
  const info = wire.info
  return {
    modelId: str(info.model_id),
    experimentId: str(info.experiment_id),
    name: str(info.name),
    artifactUri: str(info.artifact_uri),
    creationTimestampMs: int(info.creation_timestamp_ms),
    lastUpdatedTimestampMs: int(info.last_updated_timestamp_ms, int(info.creation_timestamp_ms)),
    modelType: str(info.model_type),
    sourceRunId: str(info.source_run_id),
    status: info.status ?? 'LOGGED_MODEL_PENDING',
    statusMessage: str(info.status_message),
    lifecycleStage: info.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    tags: list(info.tags).map(fromWireTag),
    params: list(wire.data?.params).map(fromWireParam),
  }
}

export const toWireSampledSeries = (series: SampledSeries): WireSampledSeries => ({
  run_id: series.runId,
  key: series.key,
  total_points: series.totalPoints,
  steps: Array.from(series.steps),
  values: Array.from(series.values, (v) => formatDouble(v) as WireSampledSeries['values'][number]),
  timestamps: Array.from(series.timestamps),
})

export const fromWireSampledSeries = (wire: WireSampledSeries): SampledSeries => ({
  runId: str(wire.run_id),
  key: str(wire.key),
  totalPoints: int(wire.total_points),
  steps: list(wire.steps).map((s) => int(s)),
  values: list(wire.values).map((v) => toDouble(v) ?? Number.NaN),
  timestamps: list(wire.timestamps).map((t) => int(t)),
})
