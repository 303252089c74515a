/**
 * keel pipelines: DAGs of typed steps, checked when defined, cached by code version and input digests, run
 * in-process or across BullMQ workers with durable, resumable run state.
 * @example
 * import { PipelineEngine, LocalExecutor, StepRegistry, builtInSteps, definePipeline } from 'keel'
 * const registry = builtInSteps(new StepRegistry())
 * const training = definePipeline({ name: 'training', params: { path: 'string' }, steps: [
 *   { name: 'ingest', kind: 'keel.ingest', inputs: { path: 'params.path' } }, ...] }, registry)
 * const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry))
 * const run = await engine.run(training, { path: 'data/train.csv' })
 */
export type {
  ArtifactRef as PipelineArtifactRef,
  InputSource,
  PipelineDefinition,
  PipelineRunRecord,
  PipelineStore,
  RunStatus as PipelineRunStatus,
  StepContext,
  StepExecutor,
  StepJob,
  StepKind,
  StepOutcome,
  StepRunRecord,
  StepSpec,
  StepStatus,
  StepValue,
  ValueType as PipelineValueType,
} from './types.js'
export { definePipeline, parseParamText, resolveParams, stepDependencies } from './define.js'
export type { InputReference, PipelineInput as PipelineDefinitionInput, PipelineParamInput, PipelineStepInput } from './define.js'
export { StepRegistry } from './step-registry.js'
export { cacheKey, cacheReason, canonicalJson } from './cache-key.js'
export type { CacheInputPart, CacheKey, CacheKeyParts } from './cache-key.js'
export { VALUE_TYPES as PIPELINE_VALUE_TYPES, isArtifactRef, typeAccepts, whenPasses } from './value-types.js'
export { PipelineEngine } from './run-engine.js'
export type { PipelineEngineOptions } from './run-engine.js'
export { LocalExecutor } from './local-executor.js'
export type { LocalExecutorOptions } from './local-executor.js'
export { MemoryPipelineStore } from './memory-pipeline-store.js'
export { BullmqExecutor, DEFAULT_STEP_QUEUE } from './bullmq-executor.js'
export type { BullmqExecutorOptions } from './bullmq-executor.js'
export { startPipelineWorker } from './pipeline-worker.js'
export type { PipelineWorker, PipelineWorkerOptions, WorkerEvent as PipelineWorkerEvent } from './pipeline-worker.js'
export { BUILT_IN_STEPS, PIPELINE_STEP_TAG, builtInSteps, stepTable } from './steps/index.js'
export type { DatasetRef as PipelineDatasetRef, ModelRef as PipelineModelRef } from './steps/index.js'
export { PIPELINE_EVENTS, PipelineScheduler, SCHEDULER_LOG_STEP } from './scheduler.js'
export type { DatasetRegisteredEvent, PipelineEvent, RetrainTriggerEvent, SchedulerOptions, SchedulerStart, SchedulerTimer } from './scheduler.js'
export { fireTimes, nextFire, parseCron } from './cron.js'
export type { CronSpec } from './cron.js'
