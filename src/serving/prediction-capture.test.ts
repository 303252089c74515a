import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { isKeelError } from '../core/errors.js'
import type { PredictionQuery, PredictionRecord, PredictionStore } from '../monitoring/prediction-store.js'
import { MIGRATIONS } from '../store/sqlite/migrations/index.js'
import { migrate } from '../store/sql/migrate.js'
import { SqlPredictionStore } from '../store/sql/predictions/sql-prediction-store.js'
import { SqliteDriver } from '../store/sqlite/sqlite-driver.js'
import { PredictionCapture } from './prediction-capture.js'
import type { CaptureMetrics } from './prediction-capture.js'
import type { CapturedPrediction } from './types.js'

const T0 = 1_700_000_000_000

function captured(i: number): CapturedPrediction {
  return {
    id: `id-${i}`,
    deployment: 'fraud',
    model: 'fraud',
    version: '1',
    arm: 'champion',
    timestamp: T0 + i,
    inputs: { amount: i, country: 'DE' },
    outputs: { prediction: i % 2 },
  }
}

/** A store in memory that records every append, with a hook to delay or fail calls. */
class RecordingStore implements PredictionStore {
  readonly ids: string[] = []
  readonly batchSizes: number[] = []
  calls = 0
  active = 0
  maxActive = 0
  constructor(private readonly before: (call: number) => Promise<void> = async () => {}) {}

  async appendPredictions(records: readonly PredictionRecord[]): Promise<void> {
    const call = ++this.calls
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    try {
      await this.before(call)
      this.batchSizes.push(records.length)
      for (const r of records) this.ids.push(r.id)
    } finally {
      this.active--
    }
  }
  listPredictions(_query: PredictionQuery): Promise<{ items: PredictionRecord[] }> {
    throw new Error('not used')
  }
  countPredictions(): Promise<number> {
    throw new Error('not used')
  }
}

class CountingMetrics implements CaptureMetrics {
  dropped = 0
  written = 0
  captureDropped(n: number): void {
    this.dropped += n
  }
  captureWritten(n: number): void {
    this.written += n
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs a capture call that waits on timers to the end, moving fake time until it settles (bounded). */
async function settle<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
  let done = false
  const tracked = promise.finally(() => {
    done = true
  })
  for (let t = 0; t < maxMs && !done; t += 50) await vi.advanceTimersByTimeAsync(50)
  expect(done, 'the call settled within the fake-time budget').toBe(true)
  return tracked
}

describe('PredictionCapture', () => {
  beforeEach(() => {
    // Timers and Date only: process.hrtime stays real, so offer time is measured for real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('keeps offers fast against a slow store (100 ms per append): drops and counts, memory bounded', async () => {
    const store = new RecordingStore(() => sleep(100))
    const metrics = new CountingMetrics()
    const capture = new PredictionCapture(store, { maxBuffered: 10_000, batchSize: 500, flushMs: 200, metrics })
    const total = 50_000
    let offerNs = 0n
    let offerCpuUs = 0
    let offered = 0
    // 50,000 offers arriving over 500 ms of (fake) time: 1,000 every 10 ms, far faster than the store.
    for (let chunk = 0; chunk < 50; chunk++) {
      // Records are built outside the timed part: the request path builds them whether or not capture is on.
      const records = Array.from({ length: 1_000 }, (_, i) => captured(offered + i))
      const start = process.hrtime.bigint()
      const cpu = process.cpuUsage()
      for (const record of records) capture.offer(record)
      const used = process.cpuUsage(cpu)
      offerNs += process.hrtime.bigint() - start
      offerCpuUs += used.user + used.system
      offered += records.length
      expect(capture.buffered).toBeLessThanOrEqual(10_000)
      // Every offer is accounted for: written, dropped, buffered, or in the one batch being written.
      const inFlight = offered - capture.written - capture.dropped - capture.buffered
      expect(inFlight).toBeGreaterThanOrEqual(0)
      expect(inFlight).toBeLessThanOrEqual(500)
      await vi.advanceTimersByTimeAsync(10)
    }
    const offerMs = Number(offerNs) / 1e6
    const offerCpuMs = offerCpuUs / 1e3
    console.log(
      `50,000 offers: ${offerCpuMs.toFixed(1)} ms CPU, ${offerMs.toFixed(1)} ms wall; dropped ${capture.dropped}, written ${capture.written} so far`,
    )
    // CPU time, not wall time: the machine is shared, and another process's slice is not capture's cost.
    expect(offerCpuMs).toBeLessThan(100)
    expect(capture.dropped).toBeGreaterThan(30_000) // ~5 batches were written while 50,000 arrived
    expect(store.maxActive).toBe(1) // one store call at a time

    await settle(capture.close())
    expect(capture.written + capture.dropped).toBe(total)
    expect(capture.buffered).toBe(0)
    // What close() flushed: the full buffer (10,000) plus what was written before.
    expect(capture.written).toBeGreaterThanOrEqual(10_000)
    expect(store.ids).toHaveLength(capture.written)
    expect(new Set(store.ids).size).toBe(store.ids.length)
    expect(metrics).toMatchObject({ dropped: capture.dropped, written: capture.written })
    // Offers after close are dropped and counted, never thrown.
    capture.offer(captured(total))
    expect(capture.dropped + capture.written).toBe(total + 1)
  })

  it('retries a failed write with backoff, then recovers; a store down for good drops and counts', async () => {
    let down = 0 // calls to fail from now on
    const store = new RecordingStore(async () => {
      if (down > 0) {
        down--
        throw new Error('database unavailable')
      }
    })
    const errors: unknown[] = []
    const capture = new PredictionCapture(store, { batchSize: 500, maxRetries: 4, retryBaseMs: 100, onError: (e) => errors.push(e) })

    down = 3 // the first batch fails three times, then is written on the fourth attempt
    for (let i = 0; i < 1_200; i++) capture.offer(captured(i))
    await settle(capture.flush())
    expect(capture).toMatchObject({ written: 1_200, dropped: 0 })
    expect(errors).toHaveLength(3)
    expect(store.calls).toBe(3 + 3) // 3 batches (500, 500, 200) + 3 failed attempts

    down = 10 // two batches, each failing 1 + 4 retries: both dropped
    for (let i = 1_200; i < 1_900; i++) capture.offer(captured(i))
    await settle(capture.flush())
    expect(capture).toMatchObject({ written: 1_200, dropped: 700 })
    expect(down).toBe(0)

    for (let i = 1_900; i < 2_200; i++) capture.offer(captured(i)) // recovered
    await settle(capture.close())
    expect(capture).toMatchObject({ written: 1_500, dropped: 700 })
    expect(new Set(store.ids).size).toBe(1_500)
  })

  it('stores every offered, non-dropped record exactly once, even when a write commits and then reports failure', async () => {
    const driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, MIGRATIONS)
    const sql = new SqlPredictionStore(driver)
    let calls = 0
    // Every third call commits and then fails (a lost acknowledgement): capture retries the whole batch.
    const flaky: PredictionStore = {
      appendPredictions: async (records) => {
        await sql.appendPredictions(records)
        if (++calls % 3 === 0) throw new Error('connection reset after commit')
      },
      listPredictions: (q) => sql.listPredictions(q),
      countPredictions: (q) => sql.countPredictions(q),
    }
    const capture = new PredictionCapture(flaky, { batchSize: 128, maxBuffered: 2_000, retryBaseMs: 10 })
    try {
      let offered = 0
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 300; i++) capture.offer(captured(offered++))
        await vi.advanceTimersByTimeAsync(20)
      }
      await settle(capture.close())
      expect(capture.dropped).toBe(0)
      expect(capture.written).toBe(6_000)
      expect(await sql.countPredictions({})).toBe(6_000)
      const page = await sql.listPredictions({ maxResults: 50_000 })
      expect(new Set(page.items.map((p) => p.id)).size).toBe(6_000)
      expect(page.items[17]).toMatchObject({ id: 'id-17', inputs: { amount: 17, country: 'DE' }, outputs: { prediction: 1 } })
    } finally {
      await driver.close()
    }
  })

  it('writes a full batch at once and a partial batch after flushMs', async () => {
    const store = new RecordingStore()
    const capture = new PredictionCapture(store, { batchSize: 100, flushMs: 1_000 })
    for (let i = 0; i < 100; i++) capture.offer(captured(i))
    expect(store.calls).toBe(0) // never on the caller's stack
    await vi.advanceTimersByTimeAsync(1)
    expect(store.ids).toHaveLength(100)
    for (let i = 100; i < 130; i++) capture.offer(captured(i))
    await vi.advanceTimersByTimeAsync(900)
    expect(store.ids).toHaveLength(100)
    await vi.advanceTimersByTimeAsync(200)
    expect(store.ids).toHaveLength(130)
    await settle(capture.close())
  })

  it('keeps batches full under steady traffic: partial batches only when flushMs passes or on close', async () => {
    const store = new RecordingStore(() => sleep(5)) // spans several arrivals, so a writer that drains everything writes small batches
    const capture = new PredictionCapture(store, { batchSize: 100, flushMs: 200 })
    let offered = 0
    for (let ms = 0; ms < 1_000; ms++) {
      for (let i = 0; i < 10; i++) capture.offer(captured(offered++))
      await vi.advanceTimersByTimeAsync(1)
    }
    await settle(capture.close())
    expect(capture).toMatchObject({ written: 10_000, dropped: 0 })
    const partial = store.batchSizes.filter((n) => n < 100).length
    // 1,000 ms of traffic: at most one partial batch per 200 ms timer tick, plus one on close.
    expect(partial).toBeLessThanOrEqual(6)
    expect(store.batchSizes.length).toBeLessThanOrEqual(100 + 6)
  })

  it('close() is bounded when the store hangs: what it could not write is dropped and counted', async () => {
    const store = new RecordingStore(() => new Promise<void>(() => {}))
    const capture = new PredictionCapture(store, { batchSize: 10, closeTimeoutMs: 2_000 })
    for (let i = 0; i < 35; i++) capture.offer(captured(i))
    const closing = capture.close()
    await vi.advanceTimersByTimeAsync(1_999)
    let closed = false
    void closing.then(() => {
      closed = true
    })
    await vi.advanceTimersByTimeAsync(0)
    expect(closed).toBe(false)
    await vi.advanceTimersByTimeAsync(2)
    expect(closed).toBe(true)
    expect(store.calls).toBe(1) // one call hangs; nothing else was started beside it
    expect(capture.dropped).toBe(25) // the 10 in the hung call are neither written nor dropped yet
    expect(capture.buffered).toBe(0)
  })

  it('never throws from offer(), even when the metrics hook does', async () => {
    const metrics: CaptureMetrics = {
      captureDropped: () => {
        throw new Error('metrics broken')
      },
      captureWritten: () => {
        throw new Error('metrics broken')
      },
    }
    const capture = new PredictionCapture(new RecordingStore(), { maxBuffered: 5, batchSize: 100, metrics })
    for (let i = 0; i < 20; i++) expect(() => capture.offer(captured(i))).not.toThrow()
    expect(capture).toMatchObject({ dropped: 15, buffered: 5 })
    await settle(capture.close())
    expect(capture.written).toBe(5)
  })

  it('samples at the configured rate with the injected randomness', () => {
    let seed = 42
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    const capture = new PredictionCapture(new RecordingStore(), { sampleRate: 0.1, random })
    let hits = 0
    for (let i = 0; i < 100_000; i++) if (capture.sampled()) hits++
    expect(hits / 100_000).toBeGreaterThan(0.095)
    expect(hits / 100_000).toBeLessThan(0.105)
    const never = new PredictionCapture(new RecordingStore(), { sampleRate: 0, random: () => 0 })
    const always = new PredictionCapture(new RecordingStore(), { sampleRate: 1, random: () => 0.999 })
    expect(Array.from({ length: 100 }, () => never.sampled()).some(Boolean)).toBe(false)
    expect(Array.from({ length: 100 }, () => always.sampled()).every(Boolean)).toBe(true)
    for (const c of [capture, never, always]) void c.close()
  })

  it('refuses impossible options, naming them', () => {
    const bad: Array<[Record<string, number>, string]> = [
      [{ sampleRate: 1.5 }, 'sampleRate'],
      [{ sampleRate: Number.NaN }, 'sampleRate'],
      [{ maxBuffered: 0 }, 'maxBuffered'],
      [{ batchSize: 2.5 }, 'batchSize'],
      [{ flushMs: 0 }, 'flushMs'],
      [{ maxRetries: -1 }, 'maxRetries'],
    ]
    for (const [options, name] of bad) {
      let error: unknown
      try {
        new PredictionCapture(new RecordingStore(), options)
      } catch (e) {
        error = e
      }
      expect(isKeelError(error) && error.code === 'INVALID_PARAMETER_VALUE', name).toBe(true)
      expect((error as Error).message).toContain(name)
    }
  })
})
