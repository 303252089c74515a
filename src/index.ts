/**
 * keel: MLflow-compatible experiment tracking and model registry for TypeScript.
 * @example
 * import { Keel } from 'keel'
 * await using keel = await Keel.open() // sqlite:.keel/keel.db; or postgres://..., http://keel-server:5000
 * const run = await keel.startRun({ experiment: 'fraud' })
 * run.logMetric('auc', 0.93)
 * await run.end()
 */
export * from './core/index.js'
export * from './tracking/index.js'
export * from './registry/index.js'
export * from './artifacts/index.js'
export * from './client/index.js'
export { DEFAULT_STORE_URI, openStores, parseStoreUri } from './store/open-stores.js'
export type {
  GarbageCollectionOptions,
  GarbageCollectionResult,
  OpenStoresOptions,
  StoreLocation,
  Stores,
} from './store/open-stores.js'
export type { HttpAuth, HttpTransportOptions } from './store/http/http-transport.js'
export { createServer } from './server/create-server.js'
export type { ServerLimits, ServerOptions } from './server/create-server.js'
export * from './evaluation/index.js'
export * from './data/index.js'
export * from './features/index.js'
export * from './training/index.js'
export { ALGORITHMS, algorithm, loadModel } from './models/algorithms.js'
export type { Algorithm, FitContext, Predictor, Progress, SavedModel, Task } from './models/predictor.js'
export * from './serving/index.js'
export * from './monitoring/index.js'
export * from './pipelines/index.js'
