import { Queue } from 'bullmq'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import { KeelError } from '../core/errors.js'
import { REDIS_AVAILABLE, startRedis, uniqueQueue } from '../../test/support/redis.js'
import type { TestRedis } from '../../test/support/redis.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { BullmqExecutor, redisConnectionOptions, stepJobId } from './bullmq-executor.js'
import { startPipelineWorker } from './pipeline-worker.js'
import type { StepKindLookup } from './local-executor.js'
import type { PipelineWorker } from './pipeline-worker.js'
import type { StepContext, StepJob, StepKind, StepValue } from './types.js'

describe('redisConnectionOptions', () => {
  it('reads host, port, credentials, database and TLS from a URL', () => {
    expect(redisConnectionOptions('redis://127.0.0.1:6380')).toMatchObject({ host: '127.0.0.1', port: 6380, maxRetriesPerRequest: null })
    expect(redisConnectionOptions('rediss://u:p%40ss@cache.example:7000/3')).toMatchObject({
      host: 'cache.example',
      port: 7000,
      username: 'u',
      password: 'p@ss',
      db: 3,
      tls: {},
    })
    expect(redisConnectionOptions('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379 })
  })

  it('refuses what is not a redis URL, saying what to write', () => {
    expect(() => redisConnectionOptions('localhost:6379')).toThrow(/redis:\/\//)
    expect(() => redisConnectionOptions('http://localhost:6379')).toThrow(/must start with redis:\/\//)
    expect(() => redisConnectionOptions('redis://h:1/abc')).toThrow(/database 'abc'/)
  })
})

describe('stepJobId', () => {
  it('is run:step:attempt, escaping colons so BullMQ accepts it and ids stay distinct', () => {
    expect(stepJobId({ runId: 'r1', step: 'train', attempt: 2 })).toBe('r1:train:2')
    const escaped = stepJobId({ runId: 'r1', step: 'a:b', attempt: 1 })
    expect(escaped.split(':')).toHaveLength(3)
    expect(escaped).not.toBe(stepJobId({ runId: 'r1', step: 'a%3Ab', attempt: 1 }))
  })
})

class Kinds implements StepKindLookup {
  private readonly kinds = new Map<string, StepKind>()
  add(name: string, run: (ctx: StepContext) => Promise<Record<string, StepValue>>): this {
    this.kinds.set(name, { name, version: '1', inputs: {}, outputs: {}, run })
    return this
  }
  has(name: string): boolean {
    return this.kinds.has(name)
  }
  get(name: string): StepKind {
    const kind = this.kinds.get(name)
    if (kind === undefined) throw new Error(`no kind ${name}`)
    return kind
  }
}

function job(step: string, kind: string, extra: Partial<StepJob> = {}): StepJob {
  return { runId: `run-${Math.random().toString(36).slice(2, 8)}`, pipeline: 'p', step, kind, attempt: 1, inputs: {}, trackingRunId: 't', ...extra }
}

describe.skipIf(!REDIS_AVAILABLE)('BullmqExecutor with a pipeline worker (needs redis-server or REDIS_URL)', () => {
  let redis: TestRedis
  let keel: Keel
  let dir: { path: string; remove: () => void }
  const cleanups: Array<() => Promise<void>> = []

  beforeAll(async () => {
    redis = await startRedis()
    dir = tempDir()
    keel = await Keel.open(`sqlite:${dir.path}/keel.db`)
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    await keel.close()
    await redis.stop()
    dir.remove()
  })

  async function pool(kinds: Kinds, workers = 1, concurrency = 2): Promise<{ executor: BullmqExecutor; workers: PipelineWorker[]; runs: string[] }> {
    const queue = uniqueQueue()
    const executor = new BullmqExecutor({ connection: redis.url, queue, keel })
    const started: PipelineWorker[] = []
    const runs: string[] = []
    for (let i = 0; i < workers; i++) {
      started.push(
        startPipelineWorker({
          connection: redis.url,
          queue,
          keel,
          registry: kinds,
          concurrency,
          id: `w${i}`,
          onEvent: (e) => {
            if (e.type === 'started') runs.push(`${e.worker}:${e.job.step}`)
          },
        }),
      )
    }
    await Promise.all(started.map((w) => w.ready()))
    await executor.start()
    cleanups.push(async () => {
      await executor.close()
      await Promise.all(started.map((w) => w.close(true)))
    })
    return { executor, workers: started, runs }
  }

  it('runs a step on a worker and resolves with its outputs and who ran it', async () => {
    const kinds = new Kinds().add('double', async (ctx) => ({ y: (ctx.inputs['x'] as number) * 2, step: ctx.step, attempt: ctx.attempt }))
    const { executor } = await pool(kinds)
    const outcome = await executor.dispatch(job('twice', 'double', { inputs: { x: 21 } }), new AbortController().signal)
    expect(outcome).toMatchObject({ ok: true, outputs: { y: 42, step: 'twice', attempt: 1 }, worker: 'w0', attemptsStarted: 1, stalledCounter: 0 })
    expect(outcome.starts).toHaveLength(1)
    expect(outcome.starts?.[0]?.worker).toBe('w0')
  })

  it('maps errors: retryable KeelErrors and errors that say so are retryable, others are not', async () => {
    const kinds = new Kinds()
      .add('busy', async () => {
        throw new KeelError('TEMPORARILY_UNAVAILABLE', 'database busy')
      })
      .add('bad', async () => {
        throw new KeelError('INVALID_PARAMETER_VALUE', 'column amount missing')
      })
      .add('flaky', async () => {
        throw Object.assign(new Error('connection reset'), { retryable: true })
      })
      .add('plain', async () => {
        throw new Error('boom')
      })
    const { executor } = await pool(kinds)
    const signal = new AbortController().signal
    const [busy, bad, flaky, plain] = await Promise.all(['busy', 'bad', 'flaky', 'plain'].map((k) => executor.dispatch(job(k, k), signal)))
    expect(busy).toMatchObject({ ok: false, retryable: true, error: 'database busy' })
    expect(bad).toMatchObject({ ok: false, retryable: false, error: 'column amount missing' })
    expect(flaky).toMatchObject({ ok: false, retryable: true, error: 'connection reset' })
    expect(plain).toMatchObject({ ok: false, retryable: false, error: 'boom', worker: 'w0' })
  })

  it('fails a step kind the worker does not know, naming it and how to load it', async () => {
    const { executor } = await pool(new Kinds())
    const outcome = await executor.dispatch(job('s', 'fraud.features'), new AbortController().signal)
    expect(outcome).toMatchObject({ ok: false, retryable: false })
    expect(outcome.ok ? '' : outcome.error).toMatch(/kind 'fraud\.features' is not registered on worker w0.*--steps/)
  })

  it('times an attempt out (retryably) even when the step ignores its signal, and aborts the signal', async () => {
    let sawAbort = false
    const kinds = new Kinds()
      .add('deaf', () => new Promise(() => {}))
      .add('listens', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => ((sawAbort = true), reject(new Error('stopped'))))))
    const { executor } = await pool(kinds)
    const signal = new AbortController().signal
    const [deaf, listens] = await Promise.all([executor.dispatch(job('d', 'deaf', { timeoutMs: 100 }), signal), executor.dispatch(job('l', 'listens', { timeoutMs: 100 }), signal)])
    expect(deaf).toMatchObject({ ok: false, retryable: true, error: "Step 'd' timed out after 100 ms (attempt 1)." })
    expect(listens).toMatchObject({ ok: false, retryable: true })
    expect(sawAbort).toBe(true)
  })

  it('cancels a running step: the outcome is a non-retryable failure and the worker aborts the step', async () => {
    let resolveStarted!: () => void
    const started = new Promise<void>((r) => (resolveStarted = r))
    let abortedOnWorker!: () => void
    const workerSawAbort = new Promise<void>((r) => (abortedOnWorker = r))
    const kinds = new Kinds().add('long', (ctx) => {
      resolveStarted()
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => (abortedOnWorker(), reject(new Error('aborted')))))
    })
    const { executor, workers } = await pool(kinds)
    const controller = new AbortController()
    const outcome = executor.dispatch(job('l', 'long'), controller.signal)
    await started
    controller.abort()
    await expect(outcome).resolves.toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/cancelled/) })
    await workerSawAbort
    // Bounded wait for the worker to let go of the job.
    for (let i = 0; i < 200 && workers[0]!.running() > 0; i++) await new Promise((r) => setImmediate(r))
    expect(workers[0]!.running()).toBe(0)
  })

  it('dispatching an attempt that already finished returns its result without running it again', async () => {
    let runs = 0
    const kinds = new Kinds().add('count', async () => ({ n: ++runs }))
    const { executor } = await pool(kinds)
    const j = job('c', 'count')
    const signal = new AbortController().signal
    const first = await executor.dispatch(j, signal)
    const again = await executor.dispatch(j, signal)
    expect(first).toMatchObject({ ok: true, outputs: { n: 1 } })
    expect(again).toMatchObject({ ok: true, outputs: { n: 1 } })
    expect(runs).toBe(1)
    const next = await executor.dispatch({ ...j, attempt: 2 }, signal)
    expect(next).toMatchObject({ ok: true, outputs: { n: 2 } })
  })

  it('a resumed run dispatching the next attempt removes the previous one still waiting, so the step runs once', async () => {
    const ran: number[] = []
    const kinds = new Kinds().add('once', async (ctx) => (ran.push(ctx.attempt), { attempt: ctx.attempt }))
    const queue = uniqueQueue()
    const inspect = new Queue(queue, { connection: redisConnectionOptions(redis.url) })
    const executor = new BullmqExecutor({ connection: redis.url, queue, keel })
    let worker: PipelineWorker | undefined
    cleanups.push(async () => {
      await executor.close()
      await worker?.close(true)
      await inspect.close()
    })
    const waiting = async (): Promise<string[]> => (await inspect.getWaiting()).map((j) => j.id ?? '')
    const until = async (ids: string[]): Promise<void> => {
      for (let i = 0; i < 500 && JSON.stringify(await waiting()) !== JSON.stringify(ids); i++) await new Promise((r) => setImmediate(r))
    }
    const j = job('s', 'once')
    // An engine dispatches attempt 1 while no worker is free, then dies.
    const dead = new BullmqExecutor({ connection: redis.url, queue, keel })
    const lost = dead.dispatch(j, new AbortController().signal)
    await until([stepJobId(j)])
    await dead.close()
    await expect(lost).resolves.toMatchObject({ ok: false, retryable: true })
    // The run is resumed by another engine, which dispatches attempt 2; then a worker is free.
    const resumed = executor.dispatch({ ...j, attempt: 2 }, new AbortController().signal)
    await until([stepJobId({ ...j, attempt: 2 })])
    expect(await waiting()).toEqual([stepJobId({ ...j, attempt: 2 })])
    worker = startPipelineWorker({ connection: redis.url, queue, keel, registry: kinds, id: 'late' })
    await expect(resumed).resolves.toMatchObject({ ok: true, outputs: { attempt: 2 } })
    expect(ran).toEqual([2])
  })

  it('spreads steps over every worker of the pool', async () => {
    const kinds = new Kinds().add('wait', (ctx) => new Promise((r) => setTimeout(() => r({ step: ctx.step }), 30)))
    const { executor, runs } = await pool(kinds, 2, 2)
    const signal = new AbortController().signal
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => executor.dispatch(job(`s${i}`, 'wait'), signal)))
    expect(outcomes.every((o) => o.ok)).toBe(true)
    const workersUsed = new Set(outcomes.map((o) => o.worker))
    expect(workersUsed).toEqual(new Set(['w0', 'w1']))
    expect(runs).toHaveLength(8)
  })

  it('runs context.map on the worker with bounded parallelism, in order', async () => {
    let inFlight = 0
    let most = 0
    const kinds = new Kinds().add('fan', async (ctx) => {
      const out = await ctx.map([1, 2, 3, 4, 5, 6], async (x) => {
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise((r) => setImmediate(r))
        inFlight--
        return x * 10
      })
      return { out }
    })
    const { executor } = await pool(kinds, 1, 2)
    const outcome = await executor.dispatch(job('f', 'fan'), new AbortController().signal)
    expect(outcome).toMatchObject({ ok: true, outputs: { out: [10, 20, 30, 40, 50, 60] } })
    expect(most).toBe(2)
  })
})
