import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { Keel } from '../client/keel.js'
import { KeelError } from '../core/errors.js'
import { definePipeline } from './define.js'
import type { PipelineInput } from './define.js'
import { LocalExecutor } from './local-executor.js'
import { MemoryPipelineStore } from './memory-pipeline-store.js'
import { PipelineEngine } from './run-engine.js'
import type { PipelineEngineOptions } from './run-engine.js'
import { StepRegistry } from './step-registry.js'
import type { PipelineStore, StepContext, StepKind, StepRunRecord, StepValue } from './types.js'

let dir: ReturnType<typeof tempDir>
let keel: Keel
let store: PipelineStore
let registry: StepRegistry
let executions: string[]
let delays: number[]

function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

function kind(name: string, run: (ctx: StepContext) => Promise<Record<string, StepValue>>, io: Partial<Pick<StepKind, 'inputs' | 'outputs'>> = {}): StepKind {
  return { name, version: '1', inputs: io.inputs ?? { x: 'json' }, outputs: io.outputs ?? { y: 'json' }, run }
}

function engine(options: PipelineEngineOptions = {}): PipelineEngine {
  const executor = new LocalExecutor(keel, registry, { store })
  return new PipelineEngine(keel, registry, executor, {
    store,
    sleep: async (ms) => {
      delays.push(ms)
    },
    random: () => 0.5,
    ...options,
  })
}

function define(input: PipelineInput) {
  return definePipeline(input, registry)
}

async function stepsOf(runId: string): Promise<Record<string, StepRunRecord>> {
  return Object.fromEntries((await store.getSteps(runId)).map((s) => [s.step, s]))
}

describe.each(['memory', 'sqlite'] as const)('PipelineEngine on the %s PipelineStore', (storeKind) => {
  beforeEach(async () => {
    dir = tempDir('keel-engine-')
    keel = await Keel.open('sqlite::memory:', { artifactsRoot: join(dir.path, 'artifacts'), cwd: dir.path, user: 'ana' })
    store = storeKind === 'memory' ? new MemoryPipelineStore() : keel.pipelines
    executions = []
    delays = []
    registry = new StepRegistry()
    registry.register(
      kind('t.double', async (ctx) => {
        executions.push(ctx.step)
        return { y: (ctx.inputs['x'] as number) * 2 }
      }),
    )
    registry.register(
      kind(
        't.sum',
        async (ctx) => {
          executions.push(ctx.step)
          return { y: (ctx.inputs['x'] as number[]).reduce((a, b) => a + b, 0) }
        },
        {},
      ),
    )
  })

  afterEach(async () => {
    await keel.close()
    dir.remove()
  })

  const chain = (): PipelineInput => ({
    name: 'chain',
    params: { start: { type: 'number', default: 1 } },
    steps: [
      { name: 'a', kind: 't.double', inputs: { x: 'params.start' } },
      { name: 'b', kind: 't.double', inputs: { x: 'a.y' } },
      { name: 'c', kind: 't.double', inputs: { x: 'b.y' } },
    ],
  })

  describe('PipelineEngine', () => {
    it('runs a chain in order, passing outputs, and tracks the run and each step as nested runs with timings', async () => {
      const e = engine()
      const run = await e.run(define(chain()), { start: 3 })
      expect(run.status).toBe('succeeded')
      expect(executions).toEqual(['a', 'b', 'c'])
      const steps = await stepsOf(run.id)
      expect(steps['c']?.outputs).toEqual({ y: 24 })
      expect(steps['a']?.attempts).toHaveLength(1)
      expect(steps['a']?.cacheReason).toBe('miss: never ran')
      const stepRun = await keel.tracking.getRun(steps['b']?.trackingRunId ?? '')
      const tags = Object.fromEntries(stepRun.data.tags.map((t) => [t.key, t.value]))
      expect(tags['mlflow.parentRunId']).toBe(run.trackingRunId)
      expect(tags['keel.pipeline.step']).toBe('b')
      expect(stepRun.data.params).toContainEqual({ key: 'x', value: '6' })
      expect(stepRun.data.metrics.map((m) => m.key).sort()).toEqual(['attempts', 'duration_ms'])
      expect(stepRun.info.status).toBe('FINISHED')
      expect((await keel.tracking.getRun(run.trackingRunId)).info.status).toBe('FINISHED')
    })

    it('refuses a missing required parameter and an unknown one, naming them', async () => {
      const e = engine()
      const def = define({ ...chain(), params: { start: 'number' } })
      await expect(e.start(def, {})).rejects.toThrow(/needs parameter 'start'/)
      await expect(e.start(def, { start: 1, nope: 2 })).rejects.toThrow(/no parameter 'nope'/)
    })

    it('retries a retryable failure with exponential backoff and jitter, keeping every attempt in the history', async () => {
      let calls = 0
      registry.register(
        kind('t.flaky', async () => {
          calls++
          if (calls < 3) throw new KeelError('TEMPORARILY_UNAVAILABLE', `busy ${calls}`)
          return { y: 'ok' }
        }),
      )
      const run = await engine().run(define({ name: 'p', steps: [{ name: 'f', kind: 't.flaky', retries: 3, backoffMs: 100, inputs: { x: { value: 1 } } }] }))
      expect(run.status).toBe('succeeded')
      const f = (await stepsOf(run.id))['f']
      expect(f?.attempt).toBe(3)
      expect(f?.attempts.map((a) => a.error)).toEqual(['busy 1', 'busy 2', undefined])
      // base 100 then 200, half fixed + half × random(0.5)
      expect(delays).toEqual([75, 150])
    })

    it('retries a plain Error only when it says retryable; otherwise fails at once and cancels dependents after in-flight steps finish', async () => {
      const release = deferred()
      registry.register(
        kind('t.boom', async () => {
          throw new Error('bad input')
        }),
      )
      registry.register(
        kind('t.slow', async (ctx) => {
          await release.promise
          executions.push(ctx.step)
          return { y: 1 }
        }),
      )
      const e = engine()
      const id = await e.start(
        define({
          name: 'p',
          steps: [
            { name: 'boom', kind: 't.boom', inputs: { x: { value: 1 } } },
            { name: 'slow', kind: 't.slow', inputs: { x: { value: 1 } } },
            { name: 'after', kind: 't.double', inputs: { x: 'boom.y' } },
          ],
        }),
      )
      // boom fails while slow is in flight; the run waits for slow before failing
      for (let i = 0; i < 50 && (await stepsOf(id))['boom']?.status !== 'failed'; i++) await new Promise((r) => setImmediate(r))
      expect((await store.getRun(id))?.status).toBe('running')
      release.resolve()
      const run = await e.wait(id)
      expect(run.status).toBe('failed')
      expect(run.error).toMatch(/step 'boom' failed after 1 attempt: bad input/)
      const steps = await stepsOf(id)
      expect(steps['boom']?.attempts).toHaveLength(1)
      expect(steps['slow']?.status).toBe('succeeded')
      expect(steps['after']?.status).toBe('cancelled')
      expect(delays).toEqual([])

      let calls = 0
      registry.register(
        kind('t.says-retryable', async () => {
          calls++
          throw Object.assign(new Error('flaky network'), { retryable: true })
        }),
      )
      const again = await e.run(define({ name: 'q', steps: [{ name: 's', kind: 't.says-retryable', retries: 2, inputs: { x: { value: 1 } } }] }))
      expect(again.status).toBe('failed')
      expect(calls).toBe(3)
      expect((await stepsOf(again.id))['s']?.attempts).toHaveLength(3)
    })

    it('fails a step that ignores its signal at the timeout and discards its late result', async () => {
      const late = deferred()
      registry.register(
        kind('t.stuck', async () => {
          await late.promise
          return { y: 'late' }
        }),
      )
      const run = await engine().run(define({ name: 'p', steps: [{ name: 's', kind: 't.stuck', timeoutMs: 20, retries: 1, backoffMs: 1, inputs: { x: { value: 1 } } }] }))
      late.resolve()
      await new Promise((r) => setImmediate(r))
      expect(run.status).toBe('failed')
      const s = (await stepsOf(run.id))['s']
      expect(s?.status).toBe('failed')
      expect(s?.outputs).toBeUndefined()
      expect(s?.attempts.map((a) => a.error)).toEqual([expect.stringMatching(/timed out after 20 ms/), expect.stringMatching(/timed out/)])
    })

    it('skips a step whose when is false and its dependents; runs it when a gate passed', async () => {
      registry.register(kind('t.gate', async (ctx) => ({ gate: { passed: ctx.inputs['x'] === 1, reasons: [] } }), { outputs: { gate: 'gate' } }))
      const def = define({
        name: 'deploy',
        params: { v: 'number' },
        steps: [
          { name: 'gate', kind: 't.gate', inputs: { x: 'params.v' } },
          { name: 'promote', kind: 't.double', inputs: { x: { value: 1 }, ok: 'gate.gate' }, when: { input: 'ok' } },
          { name: 'notify', kind: 't.double', inputs: { x: 'promote.y' } },
        ],
      })
      const e = engine()
      const no = await e.run(def, { v: 0 })
      expect(no.status).toBe('succeeded')
      const steps = await stepsOf(no.id)
      expect(steps['promote']?.status).toBe('skipped')
      expect(steps['promote']?.cacheReason).toMatch(/'when' input 'ok' is not true/)
      expect(steps['notify']?.status).toBe('skipped')
      const yes = await e.run(def, { v: 1 })
      expect(Object.values(await stepsOf(yes.id)).map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
    })

    it('caches across runs with the reason, and says which input changed on a miss', async () => {
      const e = engine()
      const def = define(chain())
      const first = await e.run(def, { start: 1 })
      executions = []
      const second = await e.run(def, { start: 1 })
      expect(executions).toEqual([])
      const cached = await stepsOf(second.id)
      expect(cached['c']?.status).toBe('cached')
      expect(cached['c']?.outputs).toEqual({ y: 8 })
      expect(cached['c']?.cacheReason).toBe(`hit: same code version, inputs, params (from run ${first.id})`)
      // (start 2 would hit: a(2) has the key b(2) had, since keys are content-addressed, not per step)
      const third = await e.run(def, { start: 7 })
      expect(executions).toEqual(['a', 'b', 'c'])
      expect((await stepsOf(third.id))['a']?.cacheReason).toMatch(/^miss: input 'x' changed \(value /)
    })

    it('cancels: aborts in-flight steps and marks the rest cancelled', async () => {
      const started = deferred()
      registry.register(
        kind('t.wait', async (ctx) => {
          started.resolve()
          await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted'))))
          return { y: 1 }
        }),
      )
      const e = engine()
      const id = await e.start(define({ name: 'p', steps: [{ name: 'w', kind: 't.wait', inputs: { x: { value: 1 } } }, { name: 'next', kind: 't.double', inputs: { x: 'w.y' } }] }))
      await started.promise
      await e.cancel(id)
      const run = await e.wait(id)
      expect(run.status).toBe('cancelled')
      const steps = await stepsOf(id)
      expect(steps['w']?.status).toBe('cancelled')
      expect(steps['next']?.status).toBe('cancelled')
      expect((await keel.tracking.getRun(run.trackingRunId)).info.status).toBe('KILLED')
    })

    it('respects named pools and the global concurrency', async () => {
      let running = 0
      let peak = 0
      registry.register(
        kind('t.busy', async () => {
          running++
          peak = Math.max(peak, running)
          await new Promise((r) => setTimeout(r, 5))
          running--
          return { y: 1 }
        }),
      )
      const steps = (pool?: string) => Array.from({ length: 5 }, (_, i) => ({ name: `s${i}`, kind: 't.busy', inputs: { x: { value: i } }, cache: false, ...(pool === undefined ? {} : { pool }) }))
      expect((await engine({ pools: { train: 2 } }).run(define({ name: 'p', steps: steps('train') }))).status).toBe('succeeded')
      expect(peak).toBe(2)
      peak = 0
      expect((await engine({ concurrency: 3 }).run(define({ name: 'q', steps: steps() }))).status).toBe('succeeded')
      expect(peak).toBe(3)
      peak = 0
      await engine().run(define({ name: 'r', steps: steps('gpu') }))
      expect(peak).toBe(1)
    })

    it('fans out over a list with foreach and fans in to a later step', async () => {
      registry.register(kind('t.list', async () => ({ y: [1, 2, 3, 4] })))
      const run = await engine().run(
        define({
          name: 'fan',
          steps: [
            { name: 'src', kind: 't.list', inputs: { x: { value: 0 } } },
            { name: 'each', kind: 't.double', inputs: { x: 'src.y' }, foreach: { input: 'x' } },
            { name: 'sink', kind: 't.sum', inputs: { x: 'each.y' } },
          ],
        }),
      )
      expect(run.status).toBe('succeeded')
      const steps = await stepsOf(run.id)
      expect(steps['each']?.outputs).toEqual({ y: [2, 4, 6, 8] })
      expect(steps['sink']?.outputs).toEqual({ y: 20 })
      expect(executions.filter((s) => s.startsWith('each[')).sort()).toEqual(['each[0]', 'each[1]', 'each[2]', 'each[3]'])
    })

    it('resumes a run whose process died: done steps are kept, a running step is dispatched again as its next attempt', async () => {
      const def = define(chain())
      // What a crashed process leaves: a succeeded, b running (attempt 1 never finished), c pending.
      const crashed = engine()
      const id = await crashed.start(def, { start: 5 })
      await crashed.wait(id)
      const steps = await stepsOf(id)
      await store.setRunStatus(id, 'running')
      const { outputs: _dropped, finishedAt: _f, ...b } = steps['b'] as StepRunRecord
      await store.updateStep({ ...b, status: 'running', attempts: [{ attempt: 1, worker: 'local', startedAt: 1 }] }, ['succeeded'])
      await store.updateStep({ ...(steps['c'] as StepRunRecord), status: 'pending', attempt: 0, attempts: [] }, ['succeeded'])
      executions = []
      const e = engine()
      await e.resume(id, def)
      const run = await e.wait(id)
      expect(run.status).toBe('succeeded')
      expect(executions).toEqual(['b', 'c'])
      const after = await stepsOf(id)
      expect(after['b']?.attempt).toBe(2)
      expect(after['b']?.attempts.map((a) => a.error)).toEqual(['interrupted: the process running it stopped', undefined])
      expect(after['c']?.outputs).toEqual({ y: 40 })
      await expect(e.resume(id, define({ ...chain(), name: 'other' }))).rejects.toThrow(/ran pipeline 'chain'/)
    })

    it('retries a failed run in place: only failed and cancelled steps rerun, history kept', async () => {
      let fail = true
      registry.register(
        kind('t.once', async (ctx) => {
          executions.push(ctx.step)
          if (fail) throw new Error('first time')
          return { y: 1 }
        }),
      )
      const def = define({
        name: 'p',
        steps: [
          { name: 'a', kind: 't.double', inputs: { x: { value: 100 } } },
          { name: 'b', kind: 't.once', inputs: { x: 'a.y' } },
          { name: 'c', kind: 't.double', inputs: { x: 'b.y' } },
        ],
      })
      const e = engine()
      const first = await e.run(def)
      expect(first.status).toBe('failed')
      await expect(e.resume(first.id, def)).rejects.toThrow(/keel pipeline retry/)
      fail = false
      executions = []
      await e.retry(first.id, def)
      const run = await e.wait(first.id)
      expect(run.status).toBe('succeeded')
      expect(executions).toEqual(['b', 'c'])
      const b = (await stepsOf(first.id))['b']
      expect(b?.attempts.map((a) => a.error)).toEqual(['first time', undefined])
      executions = []
      await e.retry(first.id, def, 'b')
      expect((await e.wait(first.id)).status).toBe('succeeded')
      // b bypasses its cache; c is downstream, reset with it (its only earlier success was this run's own record)
      expect(executions).toEqual(['b', 'c'])
      expect((await stepsOf(first.id))['b']?.attempts).toHaveLength(3)
    })
  })
})
