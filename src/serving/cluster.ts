import cluster from 'node:cluster'
import type { Worker } from 'node:cluster'
import { AggregatorRegistry } from 'prom-client'
import type { Logger } from '../core/logger.js'
import type { RunningServing, ServedModelInfo } from './serve.js'
import type { ServingMetrics } from './serving-metrics.js'
import type { CapturedPrediction } from './types.js'
import { decodeCaptureBatch } from './cluster-capture.js'
import type { CaptureMessage } from './cluster-capture.js'

/**
 * `keel serve --workers N`: a primary process supervises N worker processes (`node:cluster`) that each run
 * `startServing` and share the port. The primary restarts a worker that dies (with backoff, and at most
 * `maxRestartsPerMinute` times a minute, after which it gives up and stops: a crash loop must be seen, not hidden),
 * and forwards SIGTERM/SIGINT: every worker drains (readiness 503, in-flight requests finish, capture flushed) and
 * exits; the primary exits when all did.
 *
 * `/metrics` shows the whole server: the worker that gets the scrape asks the primary over IPC; the primary
 * collects every live worker's registry as JSON and sums them with prom-client's `AggregatorRegistry.aggregate`.
 * (Our own request/response instead of `clusterMetrics()`: that one waits 5 s for a worker that died mid-scrape.)
 *
 * Captured predictions have one writer, the primary: workers forward their batches over IPC
 * (`forwardingPredictionStore` in cluster-capture.ts) and the primary offers them to its own `PredictionCapture`. Several processes
 * writing one SQLite file would queue on its write lock, and better-sqlite3 waits for it synchronously, stalling
 * the waiting worker's event loop; one writer never waits.
 */

export interface ClusterOptions {
  workers: number
  logger: Logger
  /** Restarts allowed in any 60 s window (default 10); one more and the primary stops the server with exit code 1. */
  maxRestartsPerMinute?: number
  /** Delay before the first restart, doubled per restart in the last minute, at most 10 s (default 100 ms). */
  restartBackoffMs?: number
  /** How long workers may take to drain before they are killed (default 30 s). */
  shutdownTimeoutMs?: number
  /** How long the primary waits for workers' metrics (default 2 s); late workers are left out of that scrape. */
  metricsTimeoutMs?: number
  /** Stop on SIGTERM/SIGINT (default true). */
  handleSignals?: boolean
  /** Where predictions the workers forward go (the primary's capture); the caller closes it after `done`. */
  capture?: { offer(prediction: CapturedPrediction): void }
  /** The primary's own metrics (its capture counters), summed into every scrape with the workers'. */
  metrics?: Pick<ServingMetrics, 'registry'>
}

export interface WorkerReady {
  url: string
  models: ServedModelInfo[]
}

export interface ClusterSupervisor {
  /** Resolves when every initial worker listens; rejects when one failed to start (the cluster then stops). */
  readonly ready: Promise<WorkerReady>
  /** Resolves with the exit code once every worker exited after a shutdown (0: all drained cleanly). */
  readonly done: Promise<number>
  /** Drains every worker and resolves with the exit code. Idempotent. */
  shutdown(): Promise<number>
  /** Process ids of the live workers. */
  workerPids(): number[]
}

const MAX_BACKOFF_MS = 10_000
const MINUTE_MS = 60_000

type PrimaryToWorker = { type: 'keel:collect'; id: number } | { type: 'keel:metrics'; id: number; text?: string; error?: string }
type WorkerToPrimary =
  | { type: 'keel:ready'; url: string; models: ServedModelInfo[] }
  | { type: 'keel:metrics?'; id: number }
  | { type: 'keel:collected'; id: number; metrics: object[] }
  | { type: 'keel:capture'; records: CapturedPrediction[] }
  | CaptureMessage

interface Collection {
  waiting: Set<number>
  results: object[][]
  finish: () => void
}

/** The primary's side. Call only where `cluster.isPrimary`. */
export function superviseWorkers(options: ClusterOptions): ClusterSupervisor {
  const { logger, workers: size } = options
  const maxRestarts = options.maxRestartsPerMinute ?? 10
  const backoffMs = options.restartBackoffMs ?? 100
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000
  const metricsTimeoutMs = options.metricsTimeoutMs ?? 2_000
  const restarts: number[] = []
  const collections = new Map<number, Collection>()
  let nextId = 0
  let everReady = false
  let readyCount = 0
  let stopping = false
  let exitCode = 0
  let resolveReady!: (info: WorkerReady) => void
  let rejectReady!: (error: Error) => void
  let resolveDone!: (code: number) => void
  const ready = new Promise<WorkerReady>((res, rej) => ((resolveReady = res), (rejectReady = rej)))
  const done = new Promise<number>((res) => (resolveDone = res))
  ready.catch(() => undefined) // the caller may only await `done`
  const pendingForks = new Set<NodeJS.Timeout>()
  let killTimer: NodeJS.Timeout | undefined

  /** Workers not yet both exited and disconnected (cluster drops a worker from its list only then). */
  const known = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
  const live = (): Worker[] => known().filter((w) => !w.isDead())

  const fork = (): void => {
    const worker = cluster.fork()
    worker.on('message', (message: WorkerToPrimary) => onMessage(worker, message))
  }

  const onMessage = (worker: Worker, message: WorkerToPrimary): void => {
    if (message === null || typeof message !== 'object') return
    if (message.type === 'keel:capture') {
      const capture = options.capture
      if (capture !== undefined && Array.isArray(message.records)) for (const record of message.records) capture.offer(record)
    } else if (message.type === 'keel:capture2') {
      const capture = options.capture
      if (capture !== undefined && Array.isArray(message.batch?.rows)) {
        let records: CapturedPrediction[] = []
        try {
          records = decodeCaptureBatch(message.batch)
        } catch (error) {
          logger.warn({ err: String(error) }, 'a worker sent a malformed batch of captured predictions')
        }
        for (const record of records) capture.offer(record)
      }
    } else if (message.type === 'keel:ready') {
      logger.info({ worker: worker.process.pid, url: message.url }, 'worker ready')
      readyCount++
      if (!everReady && readyCount >= size) {
        everReady = true
        resolveReady({ url: message.url, models: message.models })
      }
    } else if (message.type === 'keel:metrics?') {
      collect().then(
        (text) => send(worker, { type: 'keel:metrics', id: message.id, text }),
        (error: unknown) => send(worker, { type: 'keel:metrics', id: message.id, error: String(error) }),
      )
    } else if (message.type === 'keel:collected') {
      const c = collections.get(message.id)
      if (c !== undefined && c.waiting.delete(worker.id)) {
        c.results.push(message.metrics)
        if (c.waiting.size === 0) c.finish()
      }
    }
  }

  /** Every live worker's metrics, summed; a worker that dies or is late is left out of this scrape. */
  const collect = async (): Promise<string> => {
    const own = options.metrics === undefined ? undefined : await options.metrics.registry.getMetricsAsJSON()
    return new Promise<string>((resolve, reject) => {
      const id = nextId++
      const waiting = new Set<number>()
      const results: object[][] = own === undefined ? [] : [own]
      const timer = setTimeout(() => finish(), metricsTimeoutMs)
      const finish = (): void => {
        clearTimeout(timer)
        collections.delete(id)
        try {
          resolve(AggregatorRegistry.aggregate(results).metrics())
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)))
        }
      }
      collections.set(id, { waiting, results, finish })
      for (const worker of live()) {
        if (worker.isConnected() && send(worker, { type: 'keel:collect', id })) waiting.add(worker.id)
      }
      if (waiting.size === 0) finish()
    })
  }

  const onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    for (const c of collections.values()) if (c.waiting.delete(worker.id) && c.waiting.size === 0) c.finish()
    if (stopping) {
      if (code !== 0) exitCode = 1
      logger.info({ worker: worker.process.pid, code, signal }, 'worker stopped')
      checkFinished()
      return
    }
    if (!everReady) {
      // A worker that cannot start (a model that does not load, a port in use) will not start on retry either.
      logger.error({ worker: worker.process.pid, code, signal }, 'a worker failed to start; stopping')
      rejectReady(new Error(`A serving worker exited during startup (code ${String(code)}${signal === null ? '' : `, signal ${signal}`}); see its error above.`))
      void stop(1)
      return
    }
    const now = Date.now()
    while (restarts.length > 0 && restarts[0]! <= now - MINUTE_MS) restarts.shift()
    if (restarts.length >= maxRestarts) {
      logger.error({ worker: worker.process.pid, code, signal, restarts: restarts.length }, `workers died ${restarts.length} times in a minute; stopping the server`)
      void stop(1)
      return
    }
    const delay = Math.min(MAX_BACKOFF_MS, backoffMs * 2 ** restarts.length)
    restarts.push(now)
    logger.warn({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; restarting it')
    const timer = setTimeout(() => {
      pendingForks.delete(timer)
      if (!stopping) fork()
    }, delay)
    pendingForks.add(timer)
  }

  // Done once every worker has exited and its IPC channel is closed, so every forwarded record has been read.
  const checkFinished = (): void => {
    if (stopping && known().length === 0) setImmediate(finished)
  }
  let isFinished = false
  const finished = (): void => {
    if (isFinished) return
    isFinished = true
    if (killTimer !== undefined) clearTimeout(killTimer)
    cluster.off('exit', onExit)
    cluster.off('disconnect', checkFinished)
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    resolveDone(exitCode)
  }

  const stop = (code: number): Promise<number> => {
    if (code !== 0) exitCode = code
    if (stopping) return done
    stopping = true
    for (const timer of pendingForks) clearTimeout(timer)
    pendingForks.clear()
    const workers = live()
    checkFinished()
    for (const worker of workers) {
      // A signal, not worker.kill(): that disconnects IPC first, and the worker still needs it while draining.
      if (worker.process.exitCode === null && worker.process.signalCode === null) worker.process.kill('SIGTERM')
    }
    killTimer = setTimeout(() => {
      logger.error({ timeoutMs: shutdownTimeoutMs }, 'workers did not drain in time; killing them')
      exitCode = 1
      for (const worker of live()) worker.process.kill('SIGKILL')
    }, shutdownTimeoutMs)
    killTimer.unref()
    return done
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C: stop waiting for the drain.
      for (const worker of live()) worker.process.kill('SIGKILL')
      return
    }
    logger.info({ signal }, 'shutting down: draining workers')
    void stop(0)
  }

  cluster.on('exit', onExit)
  cluster.on('disconnect', checkFinished)
  if (options.handleSignals !== false) {
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
  }
  for (let i = 0; i < size; i++) fork()

  return {
    ready,
    done,
    shutdown: () => stop(0),
    workerPids: () => live().flatMap((w) => (w.process.pid === undefined ? [] : [w.process.pid])),
  }
}

function send(worker: Worker, message: PrimaryToWorker): boolean {
  try {
    return worker.isConnected() && worker.send(message)
  } catch {
    return false // the worker is going away; its exit is handled elsewhere
  }
}

export interface ServingWorkerOptions {
  /** Created before anything loads, so the primary can collect this worker's metrics while it starts. */
  metrics: ServingMetrics
  /** Starts serving; `renderMetrics` answers `/metrics` for the whole cluster. */
  start(renderMetrics: () => Promise<string>): Promise<RunningServing>
  logger: Logger
  /** How long a scrape waits for the primary (default 5 s). */
  metricsTimeoutMs?: number
}

/**
 * A worker's side. Call only where `cluster.isWorker`. Resolves with the exit code once the worker has drained
 * after SIGTERM/SIGINT (0) — the caller returns it; the worker then disconnects so the process can end.
 * Rejects when starting failed.
 */
export async function runServingWorker(options: ServingWorkerOptions): Promise<number> {
  const { metrics, logger } = options
  const timeoutMs = options.metricsTimeoutMs ?? 5_000
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>()
  let nextId = 0
  const onMessage = (message: PrimaryToWorker): void => {
    if (message === null || typeof message !== 'object') return
    if (message.type === 'keel:collect') {
      metrics.registry.getMetricsAsJSON().then(
        (json) => process.send?.({ type: 'keel:collected', id: message.id, metrics: json } satisfies WorkerToPrimary),
        () => process.send?.({ type: 'keel:collected', id: message.id, metrics: [] } satisfies WorkerToPrimary),
      )
    } else if (message.type === 'keel:metrics') {
      const p = pending.get(message.id)
      if (p === undefined) return
      pending.delete(message.id)
      clearTimeout(p.timer)
      if (message.text !== undefined) p.resolve(message.text)
      else p.reject(new Error(`The primary could not aggregate metrics: ${message.error ?? 'unknown error'}`))
    }
  }
  process.on('message', onMessage)
  const clusterMetrics = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new Error(`No cluster metrics from the primary within ${timeoutMs} ms.`))
      }, timeoutMs)
      if (process.send === undefined || !process.connected) {
        // Without a primary (it died), this worker can still say what it saw itself.
        clearTimeout(timer)
        metrics.render().then(resolve, reject)
        return
      }
      pending.set(id, { resolve, reject, timer })
      // send() returning false only means the channel is backed up (captured predictions): the message is queued.
      process.send({ type: 'keel:metrics?', id } satisfies WorkerToPrimary)
    })

  let signalled = false
  let stopRequested: (() => void) | undefined
  const stopSignal = new Promise<void>((resolve) => (stopRequested = resolve))
  const onSignal = (): void => {
    signalled = true
    stopRequested?.()
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  let running: RunningServing
  try {
    running = await options.start(clusterMetrics)
  } catch (error) {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    process.off('message', onMessage)
    // The caller reports the error; the process must still end (the primary sees the exit and stops).
    cluster.worker?.disconnect()
    setTimeout(() => process.exit(1), 2_000).unref()
    throw error
  }
  process.send?.({ type: 'keel:ready', url: running.url, models: running.models() } satisfies WorkerToPrimary)
  if (!signalled) await stopSignal
  logger.info({}, 'draining')
  let code = 0
  try {
    await running.close()
  } catch (error) {
    logger.error({ err: String(error) }, 'draining failed')
    code = 1
  }
  // The signal handlers stay: a forwarded SIGTERM arriving after the drain must not kill the process by signal.
  process.off('message', onMessage)
  for (const p of pending.values()) clearTimeout(p.timer)
  // Closing the IPC channel lets the process end; a leftover handle must not keep a drained worker alive.
  cluster.worker?.disconnect()
  setTimeout(() => process.exit(code), 2_000).unref()
  return code
}
