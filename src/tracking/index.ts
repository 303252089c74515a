/**
 * Experiment tracking: experiments, runs, params, metric history, tags, datasets and logged models.
 *
 * @example
 * const tracking = new Tracking(store)
 * const run = await tracking.createRun({ experimentId: '0', startTime: Date.now() })
 * await tracking.logMetric(run.info.runId, { key: 'auc', value: 0.91, timestamp: Date.now(), step: 1 })
 */
export * from './types.js'
export type * from './tracking-store.js'
export { Tracking } from './tracking.js'
export type { TrackingOptions } from './tracking.js'
export { parseFilter, parseRunFilter, parseOrderBy, likeToRegExp } from './search-filter.js'
export type { Comparator, EntityType, FilterClause, OrderByClause } from './search-filter.js'
export {
  TRACKING_LIMITS,
  DEFAULT_MAX_RESULTS,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunOrderBy,
  validateKey,
  validateLogBatch,
} from './validation.js'
export { downsample, downsampleChunks } from './downsample.js'
export type { MetricSeries, StepBounds } from './downsample.js'
export { generateRunName } from './run-names.js'
