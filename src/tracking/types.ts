/** Domain types of experiment tracking. Field meanings follow MLflow's service.proto; names are camelCase here. */

export type LifecycleStage = 'active' | 'deleted'
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED'
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL'

export interface Tag {
  key: string
  value: string
}

export interface Param {
  key: string
  value: string
}

/** One point of a metric's history. `value` may be NaN or ±Infinity. */
export interface Metric {
  key: string
  value: number
  timestamp: number
  step: number
}

export interface Experiment {
  experimentId: string
  name: string
  artifactLocation: string
  lifecycleStage: LifecycleStage
  creationTime: number
  lastUpdateTime: number
  tags: Tag[]
}

export interface RunInfo {
  runId: string
  runName: string
  experimentId: string
  userId: string
  status: RunStatus
  startTime: number
  endTime: number | null
  artifactUri: string
  lifecycleStage: LifecycleStage
}

export interface RunData {
  /** The latest point of each metric (highest step, then timestamp, then value, as MLflow). */
  metrics: Metric[]
  params: Param[]
  tags: Tag[]
}

export interface Dataset {
  name: string
  /** Content hash of the data set; equal content gives an equal digest. */
  digest: string
  sourceType: string
  source: string
  schema?: string
  profile?: string
}

export interface DatasetInput {
  dataset: Dataset
  tags: Tag[]
}

export interface ModelInput {
  modelId: string
}

export interface ModelOutput {
  modelId: string
  step: number
}

export interface Run {
  info: RunInfo
  data: RunData
  inputs: { datasetInputs: DatasetInput[]; modelInputs: ModelInput[] }
  outputs: { modelOutputs: ModelOutput[] }
}

export type LoggedModelStatus = 'LOGGED_MODEL_PENDING' | 'LOGGED_MODEL_READY' | 'LOGGED_MODEL_UPLOAD_FAILED'

export interface LoggedModel {
  modelId: string
  experimentId: string
  name: string
  artifactUri: string
  creationTimestampMs: number
  lastUpdatedTimestampMs: number
  modelType: string
  sourceRunId: string
  status: LoggedModelStatus
  statusMessage: string
  lifecycleStage: LifecycleStage
  tags: Tag[]
  params: Param[]
}

/** A metric history reduced for a chart: per bucket of steps, the first, min, max and last point. */
export interface SampledSeries {
  runId: string
  key: string
  /** Total points stored, before sampling. */
  totalPoints: number
  steps: number[]
  values: number[]
  timestamps: number[]
}
