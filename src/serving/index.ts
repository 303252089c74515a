/**
 * keel's serving layer: `startServing` (what `keel serve` runs in each process), and its parts for embedding —
 * `openDeployment` (a registry-driven, hot-swapping model), `createServingApp` (the OIP v2 + MLflow HTTP app),
 * `Batcher`, `ServingMetrics`, `PredictionCapture`; `superviseWorkers`/`runServingWorker` run it on every core.
 */
export type {
  Arm,
  BatchingOptions,
  CapturedPrediction,
  Deployment,
  DeploymentAnswer,
  PredictContext,
  ServedVersion,
  TrafficPolicy,
} from './types.js'
export { DEFAULT_BATCHING, DEFAULT_POLL_MS, openDeployment } from './deployment.js'
export type { DeploymentMetrics, DeploymentOptions, DeploymentSpec } from './deployment.js'
export { createServingApp, DEFAULT_SERVING_LIMITS } from './serving-app.js'
export type { ServingApp, ServingAppCapture, ServingAppMetrics, ServingAppOptions, ServingLimits } from './serving-app.js'
export { Batcher } from './batcher.js'
export type { BatcherHooks, BatcherRuntime } from './batcher.js'
export { ServingMetrics } from './serving-metrics.js'
export type { RequestLabels, ServingMetricsOptions } from './serving-metrics.js'
export { PredictionCapture } from './prediction-capture.js'
export type { CaptureMetrics, PredictionCaptureOptions } from './prediction-capture.js'
export { seededRandom } from './traffic-router.js'
export { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, parseBatching, parseServedModelUri, parseTrafficPolicy, startServing } from './serve.js'
export type { RunningServing, ServedModelInfo, ServeOptions } from './serve.js'
export { runServingWorker, superviseWorkers } from './cluster.js'
export type { ClusterOptions, ClusterSupervisor, ServingWorkerOptions, WorkerReady } from './cluster.js'
