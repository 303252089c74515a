import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { KeelError } from '../../src/core/errors.js'
import { definePipeline } from '../../src/pipelines/define.js'
import type { PipelineInput } from '../../src/pipelines/define.js'
import { PipelineEngine } from '../../src/pipelines/run-engine.js'
import type { PipelineEngineOptions } from '../../src/pipelines/run-engine.js'
import { StepRegistry } from '../../src/pipelines/step-registry.js'
import type { StepContext, StepExecutor, StepKind, StepRunRecord, StepValue } from '../../src/pipelines/types.js'
import { tempDir } from './temp-dir.js'

/** What an executor under test gets: the keel client and step registry the engine uses too. */
export interface ExecutorHarness {
  keel: Keel
  registry: StepRegistry
}

export interface ExecutorUnderTest {
  executor: StepExecutor
  /** Stops what the executor needed besides itself (workers); the suite closes the executor. */
  close(): Promise<void>
}

export interface ExecutorSuiteOptions {
  /** Who a step record says ran it: 'local', or a worker id. */
  worker: RegExp
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

function kind(name: string, run: (ctx: StepContext) => Promise<Record<string, StepValue>>, io: Partial<Pick<StepKind, 'inputs' | 'outputs'>> = {}): StepKind {
  return { name, version: '1', inputs: io.inputs ?? { x: 'json' }, outputs: io.outputs ?? { y: 'json' }, run }
}

/**
 * The engine's behaviour, the same whichever executor runs the steps (issue 7: "the same test suite runs on
 * both"): fan-out and fan-in, retries with their history, non-retryable failures, timeouts, cancellation,
 * pools and step logs. Each runner passes a factory; the suite runs every test on a fresh keel and registry.
 */
export function executorSuite(name: string, makeExecutor: (harness: ExecutorHarness) => Promise<ExecutorUnderTest>, options: ExecutorSuiteOptions): void {
  describe(`pipeline engine on the ${name} executor`, () => {
    let dir: ReturnType<typeof tempDir>
    let keel: Keel
    let registry: StepRegistry
    let under: ExecutorUnderTest
    let executions: string[]
    let delays: number[]

    beforeEach(async () => {
      dir = tempDir('keel-executor-suite-')
      keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { artifactsRoot: join(dir.path, 'artifacts'), cwd: dir.path, user: 'ana' })
      registry = new StepRegistry()
      executions = []
      delays = []
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
      registry.register(kind('t.add', async (ctx) => ({ y: (ctx.inputs['a'] as number) + (ctx.inputs['b'] as number) }), { inputs: { a: 'json', b: 'json' } }))
      under = await makeExecutor({ keel, registry })
    })

    afterEach(async () => {
      await under.executor.close()
      await under.close()
      await keel.close()
      dir.remove()
    })

    function engine(engineOptions: PipelineEngineOptions = {}): PipelineEngine {
      return new PipelineEngine(keel, registry, under.executor, {
        sleep: async (ms) => {
          delays.push(ms)
        },
        random: () => 0.5,
        ...engineOptions,
      })
    }

    const define = (input: PipelineInput) => definePipeline(input, registry)

    async function stepsOf(runId: string): Promise<Record<string, StepRunRecord>> {
      return Object.fromEntries((await keel.pipelines.getSteps(runId)).map((s) => [s.step, s]))
    }

    it('runs a diamond: fan-out to two steps and fan-in of both outputs, each step recorded with its worker', async () => {
      const run = await engine().run(
        define({
          name: 'diamond',
          params: { start: 'number' },
          steps: [
            { name: 'src', kind: 't.double', inputs: { x: 'params.start' } },
            { name: 'left', kind: 't.double', inputs: { x: 'src.y' } },
            { name: 'right', kind: 't.double', inputs: { x: 'src.y' } },
            { name: 'join', kind: 't.add', inputs: { a: 'left.y', b: 'right.y' } },
          ],
        }),
        { start: 5 },
      )
      expect(run.status, run.error).toBe('succeeded')
      const steps = await stepsOf(run.id)
      expect(steps['join']?.outputs).toEqual({ y: 20 + 20 })
      expect(executions[0]).toBe('src')
      expect([...executions.slice(1)].sort()).toEqual(['left', 'right'])
      for (const step of Object.values(steps)) {
        expect(step.status).toBe('succeeded')
        expect(step.worker).toMatch(options.worker)
        expect(step.attempts).toHaveLength(1)
        expect(step.attempts[0]?.worker).toMatch(options.worker)
      }
    })

    it('retries a retryable failure with backoff, keeping every attempt in the history', async () => {
      let calls = 0
      registry.register(
        kind('t.flaky', async () => {
          calls++
          if (calls < 3) throw new KeelError('TEMPORARILY_UNAVAILABLE', `busy ${calls}`)
          return { y: 'ok' }
        }),
      )
      const run = await engine().run(define({ name: 'p', steps: [{ name: 'f', kind: 't.flaky', retries: 3, backoffMs: 100, inputs: { x: { value: 1 } } }] }))
      expect(run.status, run.error).toBe('succeeded')
      const f = (await stepsOf(run.id))['f']
      expect(f?.attempt).toBe(3)
      expect(f?.outputs).toEqual({ y: 'ok' })
      expect(f?.attempts.map((a) => a.error)).toEqual(['busy 1', 'busy 2', undefined])
      expect(f?.attempts.map((a) => a.attempt)).toEqual([1, 2, 3])
      expect(delays).toEqual([75, 150])
    })

    it('fails at once on a non-retryable error and cancels the dependents; gives up after the retries of a retryable one', async () => {
      registry.register(
        kind('t.bad', async () => {
          throw new Error('bad input')
        }),
      )
      let calls = 0
      registry.register(
        kind('t.down', async () => {
          calls++
          throw Object.assign(new Error('service down'), { retryable: true })
        }),
      )
      const e = engine()
      const bad = await e.run(
        define({ name: 'p', steps: [{ name: 'bad', kind: 't.bad', inputs: { x: { value: 1 } } }, { name: 'after', kind: 't.double', inputs: { x: 'bad.y' } }] }),
      )
      expect(bad.status).toBe('failed')
      expect(bad.error).toMatch(/step 'bad' failed after 1 attempt: bad input/)
      const steps = await stepsOf(bad.id)
      expect(steps['bad']?.attempts).toHaveLength(1)
      expect(steps['after']?.status).toBe('cancelled')
      expect(executions).toEqual([])

      const down = await e.run(define({ name: 'q', steps: [{ name: 's', kind: 't.down', retries: 1, inputs: { x: { value: 1 } } }] }))
      expect(down.status).toBe('failed')
      expect(calls).toBe(2)
      expect((await stepsOf(down.id))['s']?.attempts.map((a) => a.error)).toEqual(['service down', 'service down'])
    })

    it('times out an attempt whose step ignores its signal, retries it, and discards the late result', async () => {
      const late = deferred()
      let calls = 0
      registry.register(
        kind('t.stuck-once', async () => {
          calls++
          if (calls === 1) await late.promise
          return { y: calls }
        }),
      )
      registry.register(
        kind('t.stuck', async () => {
          await late.promise
          return { y: 'late' }
        }),
      )
      const e = engine()
      const recovered = await e.run(define({ name: 'p', steps: [{ name: 's', kind: 't.stuck-once', timeoutMs: 50, retries: 1, inputs: { x: { value: 1 } } }] }))
      expect(recovered.status, recovered.error).toBe('succeeded')
      const s = (await stepsOf(recovered.id))['s']
      expect(s?.outputs).toEqual({ y: 2 })
      expect(s?.attempts.map((a) => a.error)).toEqual([expect.stringMatching(/timed out after 50 ms/), undefined])

      const failed = await e.run(define({ name: 'q', steps: [{ name: 's', kind: 't.stuck', timeoutMs: 30, retries: 0, inputs: { x: { value: 1 } } }] }))
      late.resolve()
      expect(failed.status).toBe('failed')
      const stuck = (await stepsOf(failed.id))['s']
      expect(stuck?.status).toBe('failed')
      expect(stuck?.outputs).toBeUndefined()
      expect(stuck?.error).toMatch(/timed out after 30 ms/)
    })

    it('cancels a run: the running step sees its signal abort, the rest are cancelled', async () => {
      const started = deferred()
      const aborted = deferred()
      registry.register(
        kind('t.wait', async (ctx) => {
          started.resolve()
          await new Promise((_, reject) =>
            ctx.signal.addEventListener('abort', () => {
              aborted.resolve()
              reject(new Error('aborted'))
            }),
          )
          return { y: 1 }
        }),
      )
      const e = engine()
      const id = await e.start(define({ name: 'p', steps: [{ name: 'w', kind: 't.wait', inputs: { x: { value: 1 } } }, { name: 'next', kind: 't.double', inputs: { x: 'w.y' } }] }))
      await started.promise
      await e.cancel(id)
      const run = await e.wait(id)
      expect(run.status).toBe('cancelled')
      await aborted.promise
      const steps = await stepsOf(id)
      expect(steps['w']?.status).toBe('cancelled')
      expect(steps['next']?.status).toBe('cancelled')
      expect(executions).toEqual([])
    })

    it('fans out over a list with foreach (one job per item) and fans in to a later step', async () => {
      registry.register(kind('t.list', async () => ({ y: [1, 2, 3, 4, 5, 6] })))
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
      expect(run.status, run.error).toBe('succeeded')
      const steps = await stepsOf(run.id)
      expect(steps['each']?.outputs).toEqual({ y: [2, 4, 6, 8, 10, 12] })
      expect(steps['sink']?.outputs).toEqual({ y: 42 })
      expect(executions.filter((s) => s.startsWith('each[')).sort()).toEqual(['each[0]', 'each[1]', 'each[2]', 'each[3]', 'each[4]', 'each[5]'])
    })

    it('holds a named pool to its size across the executor', async () => {
      let running = 0
      let peak = 0
      registry.register(
        kind('t.busy', async () => {
          running++
          peak = Math.max(peak, running)
          await new Promise((r) => setTimeout(r, 10))
          running--
          return { y: 1 }
        }),
      )
      const steps = Array.from({ length: 6 }, (_, i) => ({ name: `s${i}`, kind: 't.busy', pool: 'train', inputs: { x: { value: i } } }))
      const run = await engine({ pools: { train: 2 } }).run(define({ name: 'p', steps }))
      expect(run.status, run.error).toBe('succeeded')
      expect(peak).toBe(2)
    })

    it("stores what a step logs, under the run and step", async () => {
      registry.register(
        kind('t.talk', async (ctx) => {
          ctx.log.info({ rows: 3 }, 'read the data')
          return { y: 1 }
        }),
      )
      const run = await engine().run(define({ name: 'p', steps: [{ name: 'talk', kind: 't.talk', inputs: { x: { value: 1 } } }] }))
      expect(run.status, run.error).toBe('succeeded')
      const logs = await keel.pipelines.logs(run.id, 'talk')
      expect(logs.map((l) => l.line)).toContainEqual(expect.stringMatching(/read the data.*"rows":3/))
    })
  })
}
