import { describe, expect, it } from 'vitest'
import { manualClock } from '../core/clock.js'
import { KeelError } from '../core/errors.js'
import type { LogBatchInput } from '../tracking/tracking-store.js'
import type { Metric } from '../tracking/types.js'
import { MetricBuffer } from './metric-buffer.js'
import type { ExitHooks, MetricSink, TimerScheduler } from './metric-buffer.js'

/** A sink that records batches and fails while `failing` is set; `gate` holds calls until released. */
function fakeSink() {
  const batches: Metric[][] = []
  const state = { failing: false, calls: 0 }
  const sink: MetricSink = {
    async logBatch(runId: string, input: LogBatchInput) {
      state.calls++
      expect(runId).toBe('run-1')
      if (state.failing) throw new KeelError('TEMPORARILY_UNAVAILABLE', 'server down')
      batches.push([...(input.metrics ?? [])])
    },
  }
  return { sink, batches, state }
}

function fakeScheduler() {
  const timers = new Map<number, { fn: () => void; ms: number }>()
  let next = 1
  const scheduler: TimerScheduler = {
    setTimeout(fn, ms) {
      const id = next++
      timers.set(id, { fn, ms })
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
  }
  /** Fires every armed timer once (as if their time had come). */
  const fire = (): number => {
    const due = [...timers.entries()]
    for (const [id, timer] of due) {
      timers.delete(id)
      timer.fn()
    }
    return due.length
  }
  return { scheduler, timers, fire }
}

function fakeExitHooks() {
  const registered = new Set<MetricBuffer>()
  const hooks: ExitHooks = { add: (b) => void registered.add(b), delete: (b) => void registered.delete(b) }
  return { hooks, registered }
}

/** Lets pending promise callbacks run (bounded). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

function makeBuffer(overrides: Partial<{ batchSize: number; maxBufferedPoints: number }> = {}) {
  const clock = manualClock(1_000)
  const { sink, batches, state } = fakeSink()
  const { scheduler, timers, fire } = fakeScheduler()
  const { hooks, registered } = fakeExitHooks()
  const errors: unknown[] = []
  const buffer = new MetricBuffer({
    sink,
    runId: 'run-1',
    clock,
    scheduler,
    exitHooks: hooks,
    onError: (e) => errors.push(e),
    ...overrides,
  })
  return { buffer, clock, batches, state, timers, fire, registered, errors }
}

describe('MetricBuffer', () => {
  it('flushes by count: nothing before 1000 points, then chunks of at most 1000 in order', async () => {
    const { buffer, batches } = makeBuffer()
    for (let i = 0; i < 999; i++) buffer.add('loss', i, i)
    await settle()
    expect(batches).toHaveLength(0)
    for (let i = 999; i < 2500; i++) buffer.add('loss', i, i)
    await settle()
    expect(batches.length).toBeGreaterThanOrEqual(3)
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(1000)
    expect(batches[0]).toHaveLength(1000)
    const steps = batches.flat().map((m) => m.step)
    expect(steps).toEqual(Array.from({ length: 2500 }, (_, i) => i))
    expect(buffer.size).toBe(0)
    expect(buffer.sentCount).toBe(2500)
  })

  it('flushes by time: a partial batch goes when the interval timer fires', async () => {
    const { buffer, batches, timers, fire, clock } = makeBuffer()
    buffer.add('acc', 0.5, 1)
    clock.advance(10)
    buffer.add('acc', 0.6, 2)
    expect(timers.size).toBe(1)
    expect([...timers.values()][0]?.ms).toBe(1000)
    await settle()
    expect(batches).toHaveLength(0)
    expect(fire()).toBe(1)
    await settle()
    expect(batches).toEqual([
      [
        { key: 'acc', value: 0.5, step: 1, timestamp: 1_000 },
        { key: 'acc', value: 0.6, step: 2, timestamp: 1_010 },
      ],
    ])
    expect(timers.size).toBe(0)
  })

  it('flushes on close and keeps NaN and infinities as they are', async () => {
    const { buffer, batches, registered } = makeBuffer()
    buffer.add('x', Number.NaN)
    buffer.add('x', Number.POSITIVE_INFINITY, 1)
    expect(registered.has(buffer)).toBe(true)
    await buffer.close()
    expect(batches).toHaveLength(1)
    expect(batches[0]?.map((m) => m.value)).toEqual([Number.NaN, Number.POSITIVE_INFINITY])
    expect(registered.has(buffer)).toBe(false)
    await buffer.close()
    expect(batches).toHaveLength(1)
  })

  it('keeps the points of a failed flush and sends them, in order, on the next flush', async () => {
    const { buffer, batches, state, errors, registered } = makeBuffer()
    state.failing = true
    for (let i = 0; i < 1000; i++) buffer.add('loss', i, i)
    await settle()
    expect(state.calls).toBe(1)
    expect(errors).toHaveLength(1)
    expect(buffer.size).toBe(1000)
    expect(registered.has(buffer)).toBe(true)
    buffer.add('loss', 1000, 1000)

    await expect(buffer.flush()).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' })
    expect(buffer.size).toBe(1001)

    state.failing = false
    await buffer.flush()
    expect(batches.flat().map((m) => m.step)).toEqual(Array.from({ length: 1001 }, (_, i) => i))
    expect(buffer.size).toBe(0)
    expect(registered.has(buffer)).toBe(false)
  })

  it('retries a failed background flush on the next timer tick', async () => {
    const { buffer, batches, state, fire } = makeBuffer()
    state.failing = true
    buffer.add('m', 1)
    fire()
    await settle()
    expect(batches).toHaveLength(0)
    expect(buffer.size).toBe(1)
    state.failing = false
    expect(fire()).toBe(1)
    await settle()
    expect(batches).toHaveLength(1)
  })

  it('refuses new points with the flush error once the bound is reached after a failure', async () => {
    const { buffer, state } = makeBuffer({ batchSize: 10, maxBufferedPoints: 25 })
    state.failing = true
    for (let i = 0; i < 25; i++) buffer.add('m', i)
    await settle()
    expect(buffer.size).toBe(25)
    expect(() => buffer.add('m', 99)).toThrow('server down')
    expect(buffer.size).toBe(25)
  })

  it('sends points added while a flush is in flight', async () => {
    const { buffer, batches } = makeBuffer({ batchSize: 5 })
    for (let i = 0; i < 5; i++) buffer.add('m', i, i)
    // the first batch is in flight now; these wait for it
    for (let i = 5; i < 8; i++) buffer.add('m', i, i)
    await buffer.flush()
    expect(batches.flat().map((m) => m.step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })
})
