import { Queue, QueueEvents } from 'bullmq'
import type { ConnectionOptions, Job } from 'bullmq'
import { Redis } from 'ioredis'
import type { Keel } from '../client/keel.js'
import { invalidParameter } from '../core/errors.js'
import type { StepExecutor, StepJob, StepOutcome } from './types.js'

/** The queue keel's steps go through unless told otherwise (`keel worker --queue`). */
export const DEFAULT_STEP_QUEUE = 'keel-steps'

/** One start of a step attempt on a worker (a stalled job starts again on another worker). */
export interface StepStart {
  worker: string
  startedAt: number
}

/**
 * What a worker returns for a job, and so what the executor resolves with: a StepOutcome plus how the attempt
 * went on the queue. `starts` has one entry per time a worker picked the job up: more than one means a worker
 * died (or stalled) mid-step and another reran it; the engine records them in the step's `attempts`.
 */
export type BullmqStepOutcome = StepOutcome & {
  startedAt?: number
  finishedAt?: number
  /** BullMQ's count of starts of this job (1 unless a stalled job was picked up again). */
  attemptsStarted?: number
  /** How many times BullMQ found this job stalled (its worker's lock expired) and put it back to wait. */
  stalledCounter?: number
  starts?: StepStart[]
}

/** Progress a worker reports when it starts a job: how the executor learns who started it, even if it dies. */
export interface StartProgress {
  keelStart: StepStart
}

export interface BullmqExecutorOptions {
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`), or ioredis options. */
  connection: string | ConnectionOptions
  /** Default `keel-steps`; workers must use the same. */
  queue?: string
  /** Redis key prefix (BullMQ's default `bull`). */
  prefix?: string
  keel?: Keel
  /** How long finished jobs are kept (so a re-dispatch of a finished attempt gets its result), default 1 h. */
  keepFinishedMs?: number
}

interface Pending {
  resolve: (outcome: BullmqStepOutcome) => void
  starts: StepStart[]
}

/** Redis options from a `redis://` URL; BullMQ workers need `maxRetriesPerRequest: null` (blocking commands). */
export function redisConnectionOptions(connection: string | ConnectionOptions): ConnectionOptions {
  if (typeof connection !== 'string') return connection
  let url: URL
  try {
    url = new URL(connection)
  } catch {
    throw invalidParameter(`Redis URL '${connection}' is not a URL: use redis://host:6379 (or rediss:// for TLS).`)
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw invalidParameter(`Redis URL '${connection}' must start with redis:// or rediss://, e.g. redis://127.0.0.1:6379.`)
  }
  const options: ConnectionOptions = {
    host: url.hostname === '' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    maxRetriesPerRequest: null,
  }
  if (url.username !== '') options.username = decodeURIComponent(url.username)
  if (url.password !== '') options.password = decodeURIComponent(url.password)
  const db = url.pathname.replace(/^\//, '')
  if (db !== '') {
    if (!/^\d+$/.test(db)) throw invalidParameter(`Redis URL '${connection}' names database '${db}': use a number, e.g. redis://host:6379/0.`)
    options.db = Number(db)
  }
  if (url.protocol === 'rediss:') options.tls = {}
  return options
}

/**
 * The job id of one attempt of a step: `${runId}:${step}:${attempt}`, so dispatching the same attempt twice
 * (an engine resumed after a crash) adds nothing. BullMQ allows ':' only as exactly two separators, so colons
 * inside the parts are escaped.
 */
export function stepJobId(job: Pick<StepJob, 'runId' | 'step' | 'attempt'>): string {
  const part = (s: string): string => s.replace(/%/g, '%25').replace(/:/g, '%3A')
  return `${part(job.runId)}:${part(job.step)}:${job.attempt}`
}

/**
 * Runs steps on whichever `keel worker` takes them: each dispatch adds a BullMQ job and resolves when a worker
 * finishes it (seen through QueueEvents). BullMQ's own retries are off (attempts 1): the engine retries. A worker
 * that dies mid-step loses its lock, BullMQ's stalled-job check puts the job back and another worker reruns it
 * (at-least-once, so steps are idempotent); the outcome lists every start.
 */
export class BullmqExecutor implements StepExecutor {
  readonly name = 'bullmq' as const
  readonly queueName: string
  private readonly queue: Queue
  private events: QueueEvents | undefined
  private readonly connection: ConnectionOptions
  private readonly prefix: string
  private readonly publisher: Redis
  private readonly pending = new Map<string, Pending>()
  private readonly watched = new WeakMap<AbortSignal, Set<string>>()
  private readonly cancelChannel: string
  private readonly keepFinishedS: number
  private ready: Promise<void> | undefined
  private closed = false

  constructor(options: BullmqExecutorOptions) {
    const connection = redisConnectionOptions(options.connection)
    this.queueName = options.queue ?? DEFAULT_STEP_QUEUE
    this.prefix = options.prefix ?? 'bull'
    this.connection = connection
    this.keepFinishedS = Math.max(1, Math.round((options.keepFinishedMs ?? 3_600_000) / 1000))
    this.queue = new Queue(this.queueName, { connection, prefix: this.prefix })
    this.publisher = new Redis({ ...(connection as object), maxRetriesPerRequest: null, lazyConnect: true })
    this.cancelChannel = cancelChannel(this.prefix, this.queueName)
    // Errors reach us as rejected calls; without a listener an 'error' event would crash the process.
    this.queue.on('error', () => {})
    this.publisher.on('error', () => {})
  }

  /** Connects and starts listening; dispatch calls it, tests and benchmarks may call it first. */
  start(): Promise<void> {
    this.ready ??= (async () => {
      await Promise.all([this.queue.waitUntilReady(), this.publisher.connect()])
      // QueueEvents would read the event stream from the moment its first XREAD arrives, and a job finished
      // before that would be missed: start from the stream's current last entry instead.
      const last = (await this.publisher.xrevrange(`${this.prefix}:${this.queueName}:events`, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0'
      const events = new QueueEvents(this.queueName, { connection: this.connection, prefix: this.prefix, lastEventId: last })
      events.on('error', () => {})
      events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, toOutcome(returnvalue)))
      events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, queueFailure(failedReason)))
      events.on('progress', ({ jobId, data }) => this.started(jobId, data))
      events.on('duplicated', ({ jobId }) => void this.resolveDuplicate(jobId))
      this.events = events
      await events.waitUntilReady()
      if (this.closed) await events.close()
    })()
    return this.ready
  }

  async dispatch(job: StepJob, signal: AbortSignal): Promise<BullmqStepOutcome> {
    if (this.closed) throw invalidParameter('the BullMQ executor is closed; create a new one to dispatch steps.')
    await this.start()
    if (signal.aborted) return cancelled('before it was queued')
    const jobId = stepJobId(job)
    if (this.pending.has(jobId)) throw invalidParameter(`step '${job.step}' attempt ${job.attempt} of run ${job.runId} is already being dispatched.`)
    const outcome = new Promise<BullmqStepOutcome>((resolve) => this.pending.set(jobId, { resolve, starts: [] }))
    const watched = this.watch(signal)
    watched.add(jobId)
    try {
      // The previous attempt may still wait in the queue if the engine that dispatched it died (a resumed run
      // dispatches attempt + 1): remove it, so the step does not run twice. A running or finished job stays.
      if (job.attempt > 1) await this.queue.remove(stepJobId({ ...job, attempt: job.attempt - 1 })).catch(() => 0)
      await this.queue.add(job.kind, job, {
        jobId,
        attempts: 1,
        removeOnComplete: { age: this.keepFinishedS },
        removeOnFail: { age: this.keepFinishedS },
      })
      return await outcome
    } catch (error) {
      this.pending.delete(jobId)
      throw error
    } finally {
      watched.delete(jobId)
    }
  }

  /** One abort listener per signal (a run's signal is shared by all its steps), cancelling its jobs in flight. */
  private watch(signal: AbortSignal): Set<string> {
    let jobs = this.watched.get(signal)
    if (jobs === undefined) {
      const set = new Set<string>()
      jobs = set
      this.watched.set(signal, set)
      const cancelAll = (): void => {
        for (const jobId of set) void this.cancel(jobId)
      }
      signal.addEventListener('abort', cancelAll, { once: true })
    }
    return jobs
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const [jobId, pending] of this.pending) {
      this.pending.delete(jobId)
      pending.resolve({ ok: false, error: 'the BullMQ executor was closed before the step finished', retryable: true, worker: 'bullmq' })
    }
    await Promise.allSettled([this.ready, this.events?.close(), this.queue.close()])
    this.publisher.disconnect()
  }

  /** Cancels an attempt: removes it if still waiting, and tells the worker running it to abort its signal. */
  private async cancel(jobId: string): Promise<void> {
    const pending = this.pending.get(jobId)
    if (pending === undefined) return
    this.pending.delete(jobId)
    pending.resolve({ ...cancelled('while queued or running'), starts: pending.starts })
    await Promise.allSettled([this.publisher.publish(this.cancelChannel, jobId), this.queue.remove(jobId)])
  }

  private settle(jobId: string, outcome: BullmqStepOutcome): void {
    const pending = this.pending.get(jobId)
    if (pending === undefined) return
    this.pending.delete(jobId)
    // The worker that finished knows only its own start; the progress events told us about earlier ones.
    const starts = mergeStarts(pending.starts, outcome.starts ?? [])
    pending.resolve(starts.length === 0 ? outcome : { ...outcome, starts })
  }

  private started(jobId: string, data: unknown): void {
    const pending = this.pending.get(jobId)
    const start = (data as Partial<StartProgress> | null)?.keelStart
    if (pending === undefined || start === undefined || typeof start.worker !== 'string') return
    pending.starts.push({ worker: start.worker, startedAt: Number(start.startedAt) })
  }

  /** The same attempt was queued before (an engine resumed): if it already finished, its result is the answer. */
  private async resolveDuplicate(jobId: string): Promise<void> {
    if (!this.pending.has(jobId)) return
    const existing: Job | undefined = await this.queue.getJob(jobId)
    if (existing === undefined) return
    const state = await existing.getState()
    if (state === 'completed') this.settle(jobId, toOutcome(existing.returnvalue))
    else if (state === 'failed') this.settle(jobId, queueFailure(existing.failedReason))
    // Otherwise it is waiting or running: its completion event will come.
  }
}

/** The Redis pub/sub channel on which executors tell workers to abort a job. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:keel-cancel`
}

function cancelled(when: string): BullmqStepOutcome {
  return { ok: false, error: `cancelled ${when}`, retryable: false, worker: 'bullmq' }
}

/** A failure of the queue itself (a job stalled past maxStalledCount, a worker that threw): worth retrying. */
function queueFailure(reason: string | undefined): BullmqStepOutcome {
  return { ok: false, error: `the job failed on the queue: ${reason ?? 'unknown reason'}`, retryable: true, worker: 'bullmq' }
}

function toOutcome(value: unknown): BullmqStepOutcome {
  const v = value as Partial<BullmqStepOutcome> | null
  if (v !== null && typeof v === 'object' && typeof v.ok === 'boolean' && typeof v.worker === 'string') return v as BullmqStepOutcome
  return { ok: false, error: `a worker returned something that is not a step outcome: ${JSON.stringify(value)?.slice(0, 200)}`, retryable: false, worker: 'bullmq' }
}

function mergeStarts(seen: readonly StepStart[], reported: readonly StepStart[]): StepStart[] {
  const out = [...seen]
  for (const start of reported) {
    if (!out.some((s) => s.worker === start.worker && s.startedAt === start.startedAt)) out.push(start)
  }
  return out.sort((a, b) => a.startedAt - b.startedAt)
}
