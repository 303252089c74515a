import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { Keel } from '../client/keel.js'
import { KeelError } from '../core/errors.js'
import { boundedMap, LocalExecutor } from './local-executor.js'
import { MemoryPipelineStore } from './memory-pipeline-store.js'
import { StepRegistry } from './step-registry.js'
import type { StepContext, StepJob, StepValue } from './types.js'

let dir: ReturnType<typeof tempDir>
let keel: Keel
let store: MemoryPipelineStore
let registry: StepRegistry

const job = (kind: string, extra: Partial<StepJob> = {}): StepJob => ({
  runId: 'r1',
  pipeline: 'p',
  step: 's',
  kind,
  attempt: 1,
  inputs: { x: 2 },
  trackingRunId: 't1',
  ...extra,
})

function register(name: string, run: (ctx: StepContext) => Promise<Record<string, StepValue>>): void {
  registry.register({ name, version: '1', inputs: { x: 'number' }, outputs: { y: 'json' }, run })
}

beforeEach(async () => {
  dir = tempDir('keel-local-exec-')
  keel = await Keel.open('sqlite::memory:', { artifactsRoot: join(dir.path, 'artifacts'), cwd: dir.path })
  store = new MemoryPipelineStore()
  registry = new StepRegistry()
})

afterEach(async () => {
  await keel.close()
  dir.remove()
})

describe('LocalExecutor', () => {
  it('runs the kind with the job inputs and returns its outputs', async () => {
    register('t.ok', async (ctx) => ({ y: (ctx.inputs['x'] as number) * 10, attempt: ctx.attempt }))
    const outcome = await new LocalExecutor(keel, registry, { store, worker: 'w1' }).dispatch(job('t.ok', { attempt: 3 }), new AbortController().signal)
    expect(outcome).toEqual({ ok: true, outputs: { y: 20, attempt: 3 }, worker: 'w1' })
  })

  it("takes retryability from KeelError's field; plain errors only when they say so", async () => {
    register('t.busy', async () => {
      throw new KeelError('TEMPORARILY_UNAVAILABLE', 'db busy')
    })
    register('t.bad', async () => {
      throw new KeelError('INVALID_PARAMETER_VALUE', 'bad column')
    })
    register('t.plain', async () => {
      throw new Error('plain')
    })
    register('t.plain-retry', async () => {
      throw Object.assign(new Error('reset'), { retryable: true })
    })
    const ex = new LocalExecutor(keel, registry, { store })
    const signal = new AbortController().signal
    expect(await ex.dispatch(job('t.busy'), signal)).toMatchObject({ ok: false, error: 'db busy', retryable: true })
    expect(await ex.dispatch(job('t.bad'), signal)).toMatchObject({ ok: false, error: 'bad column', retryable: false })
    expect(await ex.dispatch(job('t.plain'), signal)).toMatchObject({ ok: false, retryable: false })
    expect(await ex.dispatch(job('t.plain-retry'), signal)).toMatchObject({ ok: false, retryable: true })
  })

  it('fails an unknown kind and a missing declared output without retrying', async () => {
    register('t.forgets', async () => ({ z: 1 }))
    const ex = new LocalExecutor(keel, registry, { store })
    const signal = new AbortController().signal
    expect(await ex.dispatch(job('t.nope'), signal)).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/t\.nope/) })
    expect(await ex.dispatch(job('t.forgets'), signal)).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/declared output 'y'/) })
  })

  it('times out a step that ignores its signal (retryable), and aborts the signal of one that listens', async () => {
    let sawAbort = false
    let release!: () => void
    const late = new Promise<void>((r) => {
      release = r
    })
    register('t.deaf', async () => {
      await late
      return { y: 'late' }
    })
    register('t.listens', async (ctx) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()))
      sawAbort = true
      return { y: 'after abort' }
    })
    const ex = new LocalExecutor(keel, registry, { store })
    const signal = new AbortController().signal
    const deaf = await ex.dispatch(job('t.deaf', { timeoutMs: 15 }), signal)
    release()
    expect(deaf).toMatchObject({ ok: false, retryable: true, error: expect.stringMatching(/timed out after 15 ms/) })
    const listens = await ex.dispatch(job('t.listens', { timeoutMs: 15 }), signal)
    expect(listens).toMatchObject({ ok: false, retryable: true })
    await new Promise((r) => setImmediate(r))
    expect(sawAbort).toBe(true)
  })

  it('reports cancellation when the engine aborts, as not retryable', async () => {
    register('t.wait', async (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('x')))))
    const controller = new AbortController()
    const pending = new LocalExecutor(keel, registry, { store }).dispatch(job('t.wait'), controller.signal)
    controller.abort()
    expect(await pending).toMatchObject({ ok: false, retryable: false, error: expect.stringMatching(/cancelled/) })
  })

  it('stores the step log lines before returning the outcome', async () => {
    register('t.logs', async (ctx) => {
      ctx.log.info({ rows: 3 }, 'read')
      ctx.log.warn({}, 'odd')
      return { y: 1 }
    })
    await new LocalExecutor(keel, registry, { store }).dispatch(job('t.logs'), new AbortController().signal)
    expect((await store.logs('r1', 's')).map((l) => l.line)).toEqual(['info read {"rows":3}', 'warn odd'])
  })

  it('map runs every item with bounded parallelism, results in order', async () => {
    let running = 0
    let peak = 0
    register('t.map', async (ctx) => {
      const out = await ctx.map([1, 2, 3, 4, 5, 6, 7], async (item) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((r) => setTimeout(r, 2))
        running--
        return item * item
      })
      return { y: out }
    })
    const outcome = await new LocalExecutor(keel, registry, { store, mapConcurrency: 3 }).dispatch(job('t.map'), new AbortController().signal)
    expect(outcome).toMatchObject({ ok: true, outputs: { y: [1, 4, 9, 16, 25, 36, 49] } })
    expect(peak).toBe(3)
    await expect(boundedMap([1, 2], async (i) => (i === 2 ? Promise.reject(new Error('item 2')) : i), 2)).rejects.toThrow('item 2')
  })
})
