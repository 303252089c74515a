import { availableParallelism } from 'node:os'
import type { Keel } from '../client/keel.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { isKeelError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import type { PipelineStore, StepContext, StepExecutor, StepJob, StepKind, StepOutcome, StepValue } from './types.js'

/** What an executor needs of the step registry (StepRegistry satisfies it). */
export interface StepKindLookup {
  get(name: string): StepKind | undefined
}

export interface LocalExecutorOptions {
  /** Where `context.log` lines go; defaults to `keel.pipelines`. */
  store?: PipelineStore
  /** Parallelism of `context.map` (default: the machine's cores). */
  mapConcurrency?: number
  /** Also receives every step log line (e.g. the CLI's pino). */
  logger?: Logger
  clock?: Clock
  /** Recorded as who ran the step (default 'local'). */
  worker?: string
}

/**
 * Runs steps in this process: `kind.run` under an AbortSignal that fires on cancellation or at the step's
 * timeout. A step that ignores the signal still fails at its timeout; its late result is discarded.
 */
export class LocalExecutor implements StepExecutor {
  readonly name = 'local' as const
  private readonly options: RunStepJobOptions

  constructor(keel: Keel, registry: StepKindLookup, options: LocalExecutorOptions = {}) {
    const store = options.store ?? keel.pipelines
    this.options = {
      keel,
      registry,
      worker: options.worker ?? 'local',
      mapConcurrency: options.mapConcurrency ?? availableParallelism(),
      logger: options.logger ?? silentLogger,
      clock: options.clock ?? systemClock,
      ...(store === undefined ? {} : { store }),
    }
  }

  dispatch(job: StepJob, signal: AbortSignal): Promise<StepOutcome> {
    return runStepJob(job, signal, this.options)
  }

  async close(): Promise<void> {}
}


export interface RunStepJobOptions {
  keel: Keel
  registry: StepKindLookup
  worker: string
  mapConcurrency: number
  logger: Logger
  clock: Clock
  store?: PipelineStore
}

/**
 * Runs one attempt of a step and never throws: every failure becomes an outcome whose `retryable` comes from
 * the error (KeelError's field; a plain Error only when it sets `retryable: true`). Shared with the BullMQ worker
 * so both executors behave the same.
 */
export async function runStepJob(job: StepJob, signal: AbortSignal, options: RunStepJobOptions): Promise<StepOutcome> {
  const worker = options.worker
  let kind: StepKind | undefined
  try {
    kind = options.registry.get(job.kind)
  } catch {
    kind = undefined
  }
  if (kind === undefined) {
    return { ok: false, error: `Step '${job.step}': no step kind '${job.kind}' is registered on worker '${worker}'.`, retryable: false, worker }
  }
  const runKind = kind
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(signal.reason)
  if (signal.aborted) controller.abort(signal.reason)
  else signal.addEventListener('abort', onAbort, { once: true })
  const pendingLogs: Promise<unknown>[] = []
  const log = stepLogger(job, options, pendingLogs)
  const context: StepContext = {
    pipeline: job.pipeline,
    runId: job.runId,
    step: job.step,
    attempt: job.attempt,
    inputs: job.inputs,
    keel: options.keel,
    trackingRunId: job.trackingRunId,
    signal: controller.signal,
    log,
    map: (items, fn) => boundedMap(items, fn, options.mapConcurrency, controller.signal),
  }
  let timer: NodeJS.Timeout | undefined
  try {
    return await new Promise<StepOutcome>((resolve) => {
      if (job.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          // Resolve first so the abort below cannot turn the timeout into a cancellation.
          resolve({ ok: false, error: `Step '${job.step}' timed out after ${job.timeoutMs} ms (attempt ${job.attempt}).`, retryable: true, worker })
          controller.abort(new Error('timeout'))
        }, job.timeoutMs)
      }
      controller.signal.addEventListener(
        'abort',
        () => resolve({ ok: false, error: `Step '${job.step}' was cancelled.`, retryable: false, worker }),
        { once: true },
      )
      if (controller.signal.aborted) return
      Promise.resolve()
        .then(() => runKind.run(context))
        .then(
          (outputs) => resolve(checkOutputs(job, runKind, outputs, worker)),
          (error: unknown) => resolve({ ok: false, error: errorMessage(error), retryable: isRetryable(error), worker }),
        )
    })
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
    // Lines logged before the step returned are stored before its outcome is (logs never trail the status).
    if (pendingLogs.length > 0) await Promise.allSettled(pendingLogs)
  }
}

function checkOutputs(job: StepJob, kind: StepKind, outputs: unknown, worker: string): StepOutcome {
  if (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs)) {
    return { ok: false, error: `Step '${job.step}' (kind '${kind.name}') must return an object of outputs; it returned ${JSON.stringify(outputs) ?? String(outputs)}.`, retryable: false, worker }
  }
  const record = outputs as Record<string, StepValue>
  for (const name of Object.keys(kind.outputs)) {
    if (!(name in record)) {
      return { ok: false, error: `Step '${job.step}' (kind '${kind.name}') did not return its declared output '${name}'.`, retryable: false, worker }
    }
  }
  return { ok: true, outputs: record, worker }
}

export function isRetryable(error: unknown): boolean {
  if (isKeelError(error)) return error.retryable
  if (error !== null && typeof error === 'object') return (error as { retryable?: unknown }).retryable === true
  return false
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error)
}

function stepLogger(job: StepJob, options: RunStepJobOptions, pending: Promise<unknown>[]): Logger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object, msg?: string) => {
    options.logger[level]({ ...obj, pipeline: job.pipeline, runId: job.runId, step: job.step, attempt: job.attempt }, msg)
    if (options.store === undefined) return
    const fields = Object.keys(obj).length > 0 ? ` ${JSON.stringify(obj)}` : ''
    const line = `${level} ${msg ?? ''}${fields}`.trimEnd()
    pending.push(options.store.appendLog(job.runId, job.step, line, options.clock.now()).catch(() => undefined))
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

/** `fn` on every item, at most `limit` at once, results in item order; the first failure rejects. */
export async function boundedMap<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  limit: number,
  signal?: AbortSignal,
): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const lanes = Math.max(1, Math.min(limit, items.length))
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      if (signal?.aborted === true) throw signal.reason
      const index = next++
      results[index] = await fn(items[index] as T, index)
    }
  }
  await Promise.all(Array.from({ length: lanes }, lane))
  return results
}
