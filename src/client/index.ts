/**
 * keel's TypeScript client: experiments, runs with buffered metrics, artifacts and model registration.
 * @example
 * await using keel = await Keel.open('sqlite:.keel/keel.db')
 * const run = await keel.startRun({ experiment: 'fraud' })
 */
export { Keel } from './keel.js'
export type { KeelOptions, RegisterModelOptions, StartRunOptions } from './keel.js'
export { ActiveRun } from './active-run.js'
export type { ActiveRunOptions, DatasetSpec, LoggedArtifact, ParamValue } from './active-run.js'
export { MetricBuffer } from './metric-buffer.js'
export type { ExitHooks, MetricBufferOptions, MetricSink, TimerScheduler } from './metric-buffer.js'
