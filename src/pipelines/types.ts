import type { Keel } from '../client/keel.js'
import type { Logger } from '../core/logger.js'

/**
 * The shared vocabulary of `src/pipelines/`: a pipeline is a DAG of typed steps; the orchestrator (run-engine)
 * owns the DAG and the durable run state, and hands each ready step to an executor (in-process, or a BullMQ job
 * that any `keel worker` runs). Values between steps are small JSON or artifact references, never bulk data.
 */

/** The type of a step input/output, checked between steps when the pipeline is defined. */
export type ValueType = 'json' | 'number' | 'string' | 'boolean' | 'artifact' | 'dataset' | 'model' | 'metrics' | 'gate'

/** A bulk value passed by reference: where it lives and its content digest (the cache key uses the digest). */
export interface ArtifactRef {
  /** `mlflow-artifacts:/…` (or any URI the artifact store reads). */
  uri: string
  /** sha256 of the content (or of the directory listing's digests). */
  digest: string
}

/** A value on an edge: JSON for small things; ArtifactRef for `artifact`/`dataset`/`model`. */
export type StepValue = null | boolean | number | string | StepValue[] | { [key: string]: StepValue }

/** Where a step input comes from: a pipeline parameter, another step's output, or a constant. */
export type InputSource = { from: 'param'; name: string } | { from: 'step'; step: string; output: string } | { from: 'value'; value: StepValue }

export interface StepContext {
  readonly pipeline: string
  readonly runId: string
  readonly step: string
  /** 1 on the first attempt. */
  readonly attempt: number
  readonly inputs: Readonly<Record<string, StepValue>>
  readonly keel: Keel
  /** The tracking run of this step (nested under the pipeline's run). */
  readonly trackingRunId: string
  readonly signal: AbortSignal
  readonly log: Logger
  /** For steps that fan out (e.g. one value per partition): runs `fn` on every item with the executor's parallelism. */
  map<T extends StepValue, R extends StepValue>(items: readonly T[], fn: (item: T, index: number) => Promise<R>): Promise<R[]>
}

/** A kind of step: registered by name so a worker on another machine can run it (workers load the same step registry). */
export interface StepKind {
  /** Unique, e.g. 'keel.train' or 'fraud.features'. */
  readonly name: string
  /** Part of the cache key: bump when the step's behaviour changes. */
  readonly version: string
  readonly inputs: Readonly<Record<string, ValueType>>
  readonly outputs: Readonly<Record<string, ValueType>>
  run(context: StepContext): Promise<Record<string, StepValue>>
}

export interface StepSpec {
  /** Unique within the pipeline. */
  name: string
  /** A registered StepKind name. */
  kind: string
  inputs?: Record<string, InputSource>
  /** Retries after the first attempt for errors whose `retryable` is true (KeelError field). Default 2. */
  retries?: number
  /** First retry delay in ms, doubled each time, with jitter. Default 500. */
  backoffMs?: number
  /** Per attempt; the step's signal aborts and the attempt fails retryably. Default none. */
  timeoutMs?: number
  /** Named concurrency pool (e.g. 'train'); pools are sized in RunOptions. */
  pool?: string
  /** Run only if this input (a 'gate' or boolean) is true; otherwise the step and its dependents are skipped. */
  when?: { input: string }
  /** Reuse a previous success with the same cache key (default true). */
  cache?: boolean
  /**
   * Fan-out: the named input receives a list; the engine runs the step once per item (that input bound to the
   * item) and collects each output into a list in item order. Fan-in is a later step taking such a list ('json').
   */
  foreach?: { input: string }
}

export interface PipelineDefinition {
  name: string
  /** Changes when the definition changes (hash of the canonical definition); recorded on every run. */
  readonly digest: string
  params: Record<string, { type: ValueType; default?: StepValue }>
  steps: StepSpec[]
  /** Cron schedules (5-field) and event triggers that start runs. */
  schedules?: Array<{ cron: string; params?: Record<string, StepValue> }>
  triggers?: Array<{ event: 'monitoring.retrain' | 'dataset.registered'; params?: Record<string, StepValue> }>
}

export type RunStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled'
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'cached'

export interface PipelineRunRecord {
  id: string
  pipeline: string
  definitionDigest: string
  params: Record<string, StepValue>
  status: RunStatus
  /** The pipeline's tracking run (steps are nested runs under it). */
  trackingRunId: string
  createdAt: number
  updatedAt: number
  error?: string
}

export interface StepRunRecord {
  runId: string
  step: string
  status: StepStatus
  attempt: number
  cacheKey: string
  /** Why the cache hit or missed, for `keel pipeline show`. */
  cacheReason: string
  outputs?: Record<string, StepValue>
  error?: string
  /** Who ran it: 'local' or the worker id. */
  worker?: string
  trackingRunId?: string
  startedAt?: number
  finishedAt?: number
  /** Every attempt (retries show here). */
  attempts: Array<{ attempt: number; worker: string; startedAt: number; finishedAt?: number; error?: string }>
}

/**
 * Durable run state (SQLite, PostgreSQL; the HTTP adapter for workers that reach the store through a keel server).
 * Updates are compare-and-set on status so two workers cannot both finish a step.
 */
export interface PipelineStore {
  createRun(run: PipelineRunRecord, steps: StepRunRecord[]): Promise<void>
  getRun(id: string): Promise<PipelineRunRecord | undefined>
  listRuns(query: { pipeline?: string; status?: RunStatus; maxResults?: number }): Promise<PipelineRunRecord[]>
  setRunStatus(id: string, status: RunStatus, error?: string): Promise<void>
  getSteps(runId: string): Promise<StepRunRecord[]>
  /** Writes `step` if its stored status is one of `expected`; returns false (and writes nothing) otherwise. */
  updateStep(step: StepRunRecord, expected: readonly StepStatus[]): Promise<boolean>
  /** The latest succeeded step with this cache key, for caching across runs. */
  findCached(cacheKey: string): Promise<StepRunRecord | undefined>
  appendLog(runId: string, step: string, line: string, at: number): Promise<void>
  logs(runId: string, step?: string): Promise<Array<{ step: string; line: string; at: number }>>
}

/** Where a ready step runs. The engine calls `dispatch` and awaits the outcome; executors never touch the DAG. */
export interface StepExecutor {
  readonly name: 'local' | 'bullmq'
  dispatch(job: StepJob, signal: AbortSignal): Promise<StepOutcome>
  close(): Promise<void>
}

/** Everything a worker needs to run one attempt of a step (JSON-serialisable: it may cross a queue). */
export interface StepJob {
  runId: string
  pipeline: string
  step: string
  kind: string
  attempt: number
  inputs: Record<string, StepValue>
  timeoutMs?: number
  trackingRunId: string
}

/**
 * `starts`: every worker that started this attempt, in order, when the executor knows (BullMQ: a worker that died
 * mid-step and the one that reran it after the stall check); the engine records the earlier ones as interrupted.
 */
export type StepOutcome = ({ ok: true; outputs: Record<string, StepValue>; worker: string } | { ok: false; error: string; retryable: boolean; worker: string }) & {
  starts?: Array<{ worker: string; startedAt: number }>
}
