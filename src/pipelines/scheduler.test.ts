import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import { silentLogger } from '../core/logger.js'
import { evaluateRules } from '../monitoring/alerts.js'
import type { Alert } from '../monitoring/types.js'
import { definePipeline } from './define.js'
import { LocalExecutor } from './local-executor.js'
import { PipelineEngine } from './run-engine.js'
import { PipelineScheduler, SCHEDULER_LOG_STEP } from './scheduler.js'
import type { PipelineEvent, SchedulerOptions, SchedulerStart, SchedulerTimer } from './scheduler.js'
import { StepRegistry } from './step-registry.js'
import type { PipelineDefinition, StepValue } from './types.js'

const T0 = Date.parse('2024-01-01T00:00:00Z')
const MIN = 60_000

let dir: ReturnType<typeof tempDir>
let keel: Keel
let registry: StepRegistry
let clock: ReturnType<typeof manualClock>
let engines: PipelineEngine[]

/** Timers that fire only when the test moves the clock past them, in due order. */
function manualTimer(): SchedulerTimer & { advanceTo(target: number, scheduler: PipelineScheduler): Promise<void>; pending(): number } {
  let pending: Array<{ due: number; fn: () => void }> = []
  return {
    set(fn, ms) {
      const handle = { due: clock.now() + ms, fn }
      pending.push(handle)
      return handle
    },
    clear(handle) {
      pending = pending.filter((p) => p !== handle)
    },
    pending: () => pending.length,
    async advanceTo(target, scheduler) {
      for (let i = 0; i < 10_000; i++) {
        pending.sort((a, b) => a.due - b.due)
        const next = pending[0]
        if (next === undefined || next.due > target) break
        pending.shift()
        clock.advance(Math.max(0, next.due - clock.now()))
        next.fn()
        await scheduler.settled()
      }
      clock.advance(target - clock.now())
    },
  }
}

function newEngine(): PipelineEngine {
  const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry), { clock, sleep: async () => {}, random: () => 0.5 })
  engines.push(engine)
  return engine
}

function scheduler(definitions: PipelineDefinition[], options: Partial<SchedulerOptions> = {}): PipelineScheduler {
  return new PipelineScheduler(newEngine(), definitions, { store: keel.pipelines, clock, logger: silentLogger, ...options })
}

function pipeline(name: string, extra: { schedules?: PipelineDefinition['schedules']; triggers?: PipelineDefinition['triggers']; params?: Record<string, unknown> } = {}): PipelineDefinition {
  return definePipeline(
    {
      name,
      params: { x: { type: 'number', default: 0 }, ...(extra.params ?? {}) },
      // Cached on purpose: a fire whose only step is a cache hit must still finish (a lost wake-up in
      // RunDriver.pump once left such runs 'running').
      steps: [{ name: 'echo', kind: 'test.echo', inputs: { x: 'params.x' } }],
      ...(extra.schedules === undefined ? {} : { schedules: extra.schedules }),
      ...(extra.triggers === undefined ? {} : { triggers: extra.triggers }),
    } as Parameters<typeof definePipeline>[0],
    registry,
  )
}

async function runsOf(name: string): Promise<Array<{ id: string; params: Record<string, StepValue>; markers: string[] }>> {
  const runs = await keel.pipelines.listRuns({ pipeline: name, maxResults: 1000 })
  const out = []
  for (const run of runs.reverse()) {
    const markers = (await keel.pipelines.logs(run.id, SCHEDULER_LOG_STEP)).map((l) => l.line)
    out.push({ id: run.id, params: run.params, markers })
  }
  return out
}

beforeEach(async () => {
  dir = tempDir('keel-scheduler-')
  keel = await Keel.open('sqlite::memory:', { artifactsRoot: join(dir.path, 'artifacts'), cwd: dir.path, user: 'ana' })
  registry = new StepRegistry()
  registry.register({ name: 'test.echo', version: '1', inputs: { x: 'number' }, outputs: { y: 'number' }, run: async (ctx) => ({ y: ctx.inputs['x'] ?? null }) })
  clock = manualClock(T0)
  engines = []
})

/** Every run finished (closing an engine while it drives a run is not what these tests are about). */
async function drain(): Promise<void> {
  for (const run of await keel.pipelines.listRuns({ maxResults: 1000 })) for (const engine of engines) await engine.wait(run.id)
}

afterEach(async () => {
  await drain()
  for (const engine of engines) await engine.close()
  await keel.close()
  dir.remove()
})

describe('PipelineScheduler: cron schedules', () => {
  it('fires */5 at :00, :05, … with the schedule params, exactly once each across restarts', async () => {
    const nightly = pipeline('every-five', { schedules: [{ cron: '*/5 * * * *', params: { x: 5 } }] })
    const fired: SchedulerStart[] = []
    const timerA = manualTimer()
    const a = scheduler([nightly], { timer: timerA, onStart: (s) => fired.push(s) })
    a.start()
    await timerA.advanceTo(T0 + 7 * MIN, a)
    await a.stop()
    expect(timerA.pending()).toBe(0)
    expect(fired.map((f) => [new Date(f.fireTime!).toISOString(), f.skipped ?? 'started'])).toEqual([
      ['2024-01-01T00:00:00.000Z', 'started'],
      ['2024-01-01T00:05:00.000Z', 'started'],
    ])

    // Restart at 00:07 catching up 10 minutes: 00:05 already has a run, so it is skipped; then 00:10 … 00:20.
    const timerB = manualTimer()
    const b = scheduler([nightly], { timer: timerB, catchUpMs: 10 * MIN, onStart: (s) => fired.push(s) })
    b.start()
    await timerB.advanceTo(T0 + 20 * MIN, b)
    await b.stop()

    // Restart exactly at 00:20, a fire time already served: skipped again.
    const timerC = manualTimer()
    const c = scheduler([nightly], { timer: timerC, onStart: (s) => fired.push(s) })
    c.start()
    await timerC.advanceTo(T0 + 20 * MIN, c)
    await c.stop()

    expect(fired.slice(2).map((f) => [new Date(f.fireTime!).toISOString().slice(11, 16), f.skipped === undefined ? 'started' : 'skipped'])).toEqual([
      ['00:05', 'skipped'],
      ['00:10', 'started'],
      ['00:15', 'started'],
      ['00:20', 'started'],
      ['00:20', 'skipped'],
    ])
    const runs = await runsOf('every-five')
    expect(runs.map((r) => r.markers)).toEqual(['00:00', '00:05', '00:10', '00:15', '00:20'].map((hm) => [`schedule 0 (*/5 * * * *) fire 2024-01-01T${hm}:00.000Z`]))
    expect(runs.every((r) => r.params['x'] === 5)).toBe(true)
    await drain()
    expect((await keel.pipelines.getSteps(runs[0]!.id))[0]).toMatchObject({ status: 'succeeded', outputs: { y: 5 } })
  })

  it('a fire time missed while down is caught up once with catchUpMs, and not without it', async () => {
    const hourly = pipeline('hourly', { schedules: [{ cron: '0 * * * *' }] })
    clock.advance(90 * MIN) // 01:30: 01:00 was missed
    const timer = manualTimer()
    const plain = scheduler([hourly], { timer })
    plain.start()
    expect(plain.schedules()[0]?.next).toBe(T0 + 120 * MIN)
    await plain.stop()
    const catching = scheduler([hourly], { timer, catchUpMs: 60 * MIN })
    catching.start()
    await timer.advanceTo(T0 + 90 * MIN, catching)
    await catching.stop()
    expect((await runsOf('hourly')).map((r) => r.markers[0])).toEqual(['schedule 0 (0 * * * *) fire 2024-01-01T01:00:00.000Z'])
  })

  it('after a suspension past several fire times it fires the latest only', async () => {
    const minutely = pipeline('minutely', { schedules: [{ cron: '* * * * *' }] })
    const timer = manualTimer()
    const s = scheduler([minutely], { timer })
    s.start()
    await timer.advanceTo(T0, s)
    clock.advance(10 * MIN + 30_000) // the process slept; the 00:01 timer runs late
    await timer.advanceTo(clock.now(), s)
    await s.stop()
    expect((await runsOf('minutely')).map((r) => r.markers[0]?.slice(-24))).toEqual(['2024-01-01T00:00:00.000Z', '2024-01-01T00:10:00.000Z'])
  })
})

describe('PipelineScheduler: event triggers', () => {
  const retrainEvent = (pipelineName: string, alertId?: string): PipelineEvent => ({
    type: 'monitoring.retrain',
    pipeline: pipelineName,
    model: 'fraud',
    version: '3',
    ...(alertId === undefined ? {} : { alert: { id: alertId } }),
  })

  it('a retrain event starts the named pipeline once, with the trigger params plus model and version', async () => {
    const retraining = pipeline('retraining', { params: { model: 'string', version: 'string' }, triggers: [{ event: 'monitoring.retrain', params: { x: 7 } }] })
    const other = pipeline('other', { triggers: [{ event: 'monitoring.retrain' }] })
    const nightly = pipeline('nightly', { schedules: [{ cron: '0 3 * * *' }] })
    const s = scheduler([retraining, other, nightly])
    const [first, second] = await Promise.all([s.onEvent(retrainEvent('retraining', 'alert-1')), s.onEvent(retrainEvent('retraining', 'alert-1'))])
    const again = await s.onEvent(retrainEvent('retraining', 'alert-1'))
    const started = [...first!, ...second!, ...again].filter((r) => r.runId !== undefined)
    expect(started).toHaveLength(1)
    expect(started[0]).toMatchObject({ pipeline: 'retraining', reason: 'event', event: 'monitoring.retrain', params: { x: 7, model: 'fraud', version: '3' } })
    const runs = await runsOf('retraining')
    expect(runs).toHaveLength(1)
    expect(runs[0]!.params).toEqual({ x: 7, model: 'fraud', version: '3' })
    expect(await runsOf('other')).toHaveLength(0)
    // A different alert is a new request.
    expect((await s.onEvent(retrainEvent('retraining', 'alert-2')))[0]?.runId).toBeDefined()
    // A pipeline without the trigger, or not defined, is refused with the pipelines that have it.
    await expect(s.onEvent(retrainEvent('nightly'))).rejects.toThrow(/No pipeline 'nightly' triggered by monitoring.retrain; pipelines with that trigger: retraining, other/)
    await expect(s.onEvent(retrainEvent('nope'))).rejects.toThrow(/No pipeline 'nope'/)
    await s.settled()
  })

  it('a drift alert with a retrain action starts the pipeline through onRetrain', async () => {
    const retraining = pipeline('retraining', { params: { model: 'string' }, triggers: [{ event: 'monitoring.retrain' }] })
    const s = scheduler([retraining])
    const alerts: Alert[] = []
    const fired = await evaluateRules(
      [{ name: 'drift', metric: 'drift.share', comparison: '>', threshold: 0.5, severity: 'critical', cooldownMs: 0, actions: [{ kind: 'retrain', pipeline: 'retraining' }] }],
      [{ name: 'drift.share', value: 0.8, window: { index: 0, from: 0, to: 1, rows: 10 } }],
      {
        store: { appendAlert: async (a) => void alerts.push(a), lastAlert: async () => undefined },
        model: 'fraud',
        version: '2',
        clock,
        logger: silentLogger,
        onRetrain: async (event) => void (await s.onEvent(event)),
      },
    )
    expect(fired[0]?.actions).toEqual([{ kind: 'retrain', pipeline: 'retraining', emitted: true }])
    const runs = await runsOf('retraining')
    expect(runs.map((r) => r.params)).toEqual([{ x: 0, model: 'fraud' }])
    expect(runs[0]!.markers).toEqual([`event monitoring.retrain trigger 0 alert ${alerts[0]!.id}`])
  })

  it('dataset.registered starts every listener once per digest, with uri and declared params', async () => {
    const a = pipeline('ingest-a', { params: { uri: 'string' }, triggers: [{ event: 'dataset.registered' }] })
    const b = pipeline('ingest-b', { triggers: [{ event: 'dataset.registered', params: { x: 2 } }] })
    const s = scheduler([a, b, pipeline('quiet')])
    const event: PipelineEvent = { type: 'dataset.registered', digest: 'sha256:abc', uri: 'file:///d.csv', params: { x: 9 } }
    expect((await s.onEvent(event)).map((r) => [r.pipeline, r.params])).toEqual([
      ['ingest-a', { x: 9, uri: 'file:///d.csv' }],
      ['ingest-b', { x: 9 }],
    ])
    expect((await s.onEvent(event)).every((r) => r.skipped !== undefined)).toBe(true)
    expect(await runsOf('quiet')).toHaveLength(0)
    await expect(s.onEvent({ type: 'dataset.registered', params: { nope: 1 } })).rejects.toThrow(/nope are not declared/)
    await expect(s.onEvent({ type: 'dataset.registered', pipeline: 'quiet' })).rejects.toThrow(/No pipeline 'quiet' triggered by dataset.registered/)
  })

  it('refuses unknown event names with the list of known ones', async () => {
    const s = scheduler([pipeline('retraining', { triggers: [{ event: 'monitoring.retrain' }] })])
    await expect(s.onEvent({ type: 'model.deployed' } as unknown as PipelineEvent)).rejects.toThrow(
      'Unknown pipeline event "model.deployed"; events that start pipelines are: monitoring.retrain, dataset.registered.',
    )
    await expect(s.onEvent(retrainEvent('retraining', 'x') as PipelineEvent)).resolves.toHaveLength(1)
  })
})
