import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { Worker } from 'bullmq'
import type { ConnectionOptions, Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Keel } from '../client/keel.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { cancelChannel, DEFAULT_STEP_QUEUE, redisConnectionOptions } from './bullmq-executor.js'
import type { BullmqStepOutcome, StartProgress, StepStart } from './bullmq-executor.js'
import { runStepJob } from './local-executor.js'
import type { RunStepJobOptions, StepKindLookup } from './local-executor.js'
import type { PipelineStore, StepJob } from './types.js'

function knows(registry: StepKindLookup, kind: string): boolean {
  try {
    return registry.get(kind) !== undefined
  } catch {
    return false
  }
}

/** What a worker reports as it runs, for `keel worker`'s output. */
export type WorkerEvent =
  | { type: 'started'; job: StepJob; worker: string; restart: boolean }
  | { type: 'finished'; job: StepJob; worker: string; outcome: BullmqStepOutcome; ms: number }

export interface PipelineWorkerOptions {
  connection: string | ConnectionOptions
  keel: Keel
  registry: StepKindLookup
  /** Steps run at once by this worker (default 1). */
  concurrency?: number
  queue?: string
  prefix?: string
  /** Shown in step records and logs; default `<host>-<pid>-<random>`. */
  id?: string
  logger?: Logger
  /** Where a step's `log` lines go besides the logger; default `keel.pipelines`. */
  store?: PipelineStore
  /** How long a worker's claim on a job lasts without renewal (default 30 s); a dead worker's jobs rerun after it. */
  lockDurationMs?: number
  /** How often stalled jobs are looked for (default 30 s). */
  stalledIntervalMs?: number
  /** A job whose worker died more than this many times fails instead of rerunning (default 1). */
  maxStalledCount?: number
  /** Items of `context.map` run at once (default: the worker's concurrency). */
  mapConcurrency?: number
  onEvent?: (event: WorkerEvent) => void
  clock?: Clock
}

export interface PipelineWorker {
  readonly id: string
  /** Steps running now. */
  running(): number
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>
  /** Stops taking jobs and waits for the running ones to finish (drain); `force` abandons them to other workers. */
  close(force?: boolean): Promise<void>
}

/**
 * Joins the pool of workers of a step queue: takes StepJobs, runs `registry.get(kind).run(context)` with its own
 * keel client, a per-attempt timeout as an AbortSignal, and returns a StepOutcome (never throws: a step's error
 * is a failed outcome, retryable when the error says so, and the engine decides about retries).
 */
export function startPipelineWorker(options: PipelineWorkerOptions): PipelineWorker {
  const connection = redisConnectionOptions(options.connection)
  const queueName = options.queue ?? DEFAULT_STEP_QUEUE
  const prefix = options.prefix ?? 'bull'
  const id = options.id ?? `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`
  const logger = options.logger ?? silentLogger
  const clock = options.clock ?? systemClock
  const concurrency = options.concurrency ?? 1
  const controllers = new Map<string, AbortController>()
  const store = options.store ?? options.keel.pipelines
  // The same attempt runner as the local executor, so both executors behave alike (timeouts, errors, logs).
  const runOptions: RunStepJobOptions = {
    keel: options.keel,
    registry: options.registry,
    worker: id,
    mapConcurrency: Math.max(1, options.mapConcurrency ?? concurrency),
    logger,
    clock,
    ...(store === undefined ? {} : { store }),
  }

  const processor = async (job: Job<StepJob>): Promise<BullmqStepOutcome> => {
    const data = job.data
    const startedAt = clock.now()
    const restart = job.attemptsStarted > 1 || job.stalledCounter > 0
    // On a rerun after a stall, the job's progress still names the worker that started it before and died.
    const previous = restart ? previousStart(job.progress) : undefined
    if (restart) {
      const who = previous === undefined ? 'its previous worker' : `worker ${previous.worker} (started ${new Date(previous.startedAt).toISOString()})`
      const line = `warn step '${data.step}' attempt ${data.attempt} restarted on worker ${id}: ${who} stopped mid-step and its lock expired`
      logger.warn({ runId: data.runId, step: data.step, attempt: data.attempt, worker: id, previous: previous?.worker }, 'restarting a stalled step')
      void store?.appendLog(data.runId, data.step, line, startedAt).catch(() => {})
    }
    // Tells the executor who started the job now, so a start whose worker dies is still on record.
    const progress: StartProgress = { keelStart: { worker: id, startedAt } }
    void job.updateProgress(progress as unknown as object).catch(() => {})
    options.onEvent?.({ type: 'started', job: data, worker: id, restart })
    const controller = new AbortController()
    controllers.set(job.id ?? '', controller)
    let outcome: BullmqStepOutcome
    try {
      outcome = knows(options.registry, data.kind)
        ? await runStepJob(data, controller.signal, runOptions)
        : {
            ok: false,
            error: `Step '${data.step}': step kind '${data.kind}' is not registered on worker ${id}; start the worker with --steps <module> that registers it.`,
            retryable: false,
            worker: id,
          }
    } finally {
      controllers.delete(job.id ?? '')
    }
    const finishedAt = clock.now()
    outcome = {
      ...outcome,
      startedAt,
      finishedAt,
      attemptsStarted: job.attemptsStarted,
      stalledCounter: job.stalledCounter,
      starts: previous === undefined ? [{ worker: id, startedAt }] : [previous, { worker: id, startedAt }],
    }
    options.onEvent?.({ type: 'finished', job: data, worker: id, outcome, ms: finishedAt - startedAt })
    return outcome
  }

  const worker = new Worker<StepJob, BullmqStepOutcome>(queueName, processor, {
    connection,
    prefix,
    concurrency,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 1,
    // The engine retries (with the step's backoff and its attempt history); the queue never does.
    autorun: true,
  })
  worker.on('error', (error) => logger.warn({ err: String(error), worker: id }, 'BullMQ worker error'))

  // Cancellation crosses machines on a pub/sub channel: the executor names the job, its worker aborts it.
  const subscriber = new Redis({ ...(connection as object), maxRetriesPerRequest: null })
  subscriber.on('error', (error) => logger.warn({ err: String(error), worker: id }, 'cancel subscription error'))
  subscriber.on('message', (_channel: string, jobId: string) => {
    const controller = controllers.get(jobId)
    if (controller !== undefined) controller.abort(new Error('the step was cancelled'))
  })
  const subscribed = subscriber.subscribe(cancelChannel(prefix, queueName))

  let closing: Promise<void> | undefined
  return {
    id,
    running: () => controllers.size,
    ready: async () => {
      await Promise.all([worker.waitUntilReady(), subscribed])
    },
    close: (force = false) => {
      closing ??= (async () => {
        await worker.close(force)
        subscriber.disconnect()
      })()
      return closing
    },
  }
}

function previousStart(progress: unknown): StepStart | undefined {
  const start = (progress as Partial<StartProgress> | null)?.keelStart
  return start !== undefined && typeof start.worker === 'string' && typeof start.startedAt === 'number' ? start : undefined
}
