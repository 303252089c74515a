import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PipelineRunRecord, PipelineStore, RunStatus, StepRunRecord, StepStatus } from '../../src/pipelines/types.js'
import { expectKeelError } from './tracking-store.contract.js'

export interface PipelineStoreHarness {
  store: PipelineStore
  /** The clock the store stamps `updatedAt` with (the server's clock for the HTTP adapter). */
  clock: { now(): number; advance(ms: number): void }
  close(): Promise<void>
}

export const T0 = 1_700_000_000_000

export function runRecord(id: string, extra: Partial<PipelineRunRecord> = {}): PipelineRunRecord {
  return {
    id,
    pipeline: 'fraud-training',
    definitionDigest: 'sha256:def',
    params: { rows: 1000, region: 'EU', nested: { thresholds: [0.5, 0.75], enabled: true, none: null } },
    status: 'pending',
    trackingRunId: `tr-${id}`,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  }
}

export function stepRecord(runId: string, step: string, extra: Partial<StepRunRecord> = {}): StepRunRecord {
  return { runId, step, status: 'pending', attempt: 0, cacheKey: `key-${step}`, cacheReason: 'no previous run', attempts: [], ...extra }
}

/** A step after a worker finished it: every optional field set. */
function finished(runId: string, step: string, worker: string, extra: Partial<StepRunRecord> = {}): StepRunRecord {
  return stepRecord(runId, step, {
    status: 'succeeded',
    attempt: 2,
    outputs: { model: { uri: 'mlflow-artifacts:/1/abc/artifacts/model', digest: 'sha256:00ff' }, auc: 0.9312, rows: [1, 2, 3], label: 'é ☃ "q"' },
    worker,
    trackingRunId: `tr-${step}`,
    startedAt: T0 + 10,
    finishedAt: T0 + 99,
    attempts: [
      { attempt: 1, worker: 'w-1', startedAt: T0 + 1, finishedAt: T0 + 5, error: 'ECONNRESET (retryable)' },
      { attempt: 2, worker, startedAt: T0 + 10, finishedAt: T0 + 99 },
    ],
    ...extra,
  })
}

/** The shared contract of every PipelineStore adapter (SQLite, PostgreSQL, HTTP). */
export function describePipelineStore(name: string, open: () => Promise<PipelineStoreHarness>): void {
  describe(`PipelineStore contract: ${name}`, () => {
    let h: PipelineStoreHarness
    let store: PipelineStore
    beforeEach(async () => {
      h = await open()
      store = h.store
    })
    afterEach(async () => {
      await h.close()
    })

    it('round-trips a run and its steps exactly, steps in definition order', async () => {
      const run = runRecord('run-1', { status: 'running', error: 'previous attempt: boom' })
      const steps = [finished('run-1', 'train', 'w-2'), stepRecord('run-1', 'ingest'), stepRecord('run-1', 'evaluate', { status: 'skipped', cacheReason: 'gate closed' })]
      await store.createRun(run, steps)
      expect(await store.getRun('run-1')).toEqual(run)
      const stored = await store.getSteps('run-1')
      expect(stored).toEqual(steps)
      // Absent optional fields stay absent (not null, not undefined keys).
      expect(Object.keys(stored[1]!).sort()).toEqual(['attempt', 'attempts', 'cacheKey', 'cacheReason', 'runId', 'status', 'step'])
      await store.createRun(runRecord('run-2'), [])
      expect(Object.keys((await store.getRun('run-2'))!)).not.toContain('error')
      // An empty outputs object is not the same as no outputs.
      await store.updateStep(stepRecord('run-1', 'ingest', { status: 'succeeded', outputs: {} }), ['pending'])
      expect((await store.getSteps('run-1'))[1]!.outputs).toEqual({})
    })

    it('keeps many steps in order (multi-row inserts of every chunk size)', async () => {
      const steps = Array.from({ length: 100 }, (_, i) => stepRecord('big', `s-${String(99 - i).padStart(3, '0')}`))
      await store.createRun(runRecord('big'), steps)
      expect((await store.getSteps('big')).map((s) => s.step)).toEqual(steps.map((s) => s.step))
    })

    it('answers undefined and empty lists for unknown runs, and refuses duplicates and bad records without writing', async () => {
      expect(await store.getRun('nope')).toBeUndefined()
      expect(await store.getSteps('nope')).toEqual([])
      expect(await store.logs('nope')).toEqual([])
      await store.createRun(runRecord('r'), [stepRecord('r', 'a')])
      const dup = await expectKeelError(store.createRun(runRecord('r', { pipeline: 'other' }), [stepRecord('r', 'b')]), 'RESOURCE_ALREADY_EXISTS')
      expect(dup.message).toContain("'r'")
      expect((await store.getRun('r'))?.pipeline).toBe('fraud-training')
      expect((await store.getSteps('r')).map((s) => s.step)).toEqual(['a'])
      const twice = await expectKeelError(store.createRun(runRecord('r2'), [stepRecord('r2', 'a'), stepRecord('r2', 'a')]), 'INVALID_PARAMETER_VALUE')
      expect(twice.message).toContain("'a'")
      await expectKeelError(store.createRun(runRecord('r3'), [stepRecord('other-run', 'a')]), 'INVALID_PARAMETER_VALUE')
      await expectKeelError(store.createRun(runRecord('r4', { status: 'bogus' as RunStatus }), []), 'INVALID_PARAMETER_VALUE')
      for (const id of ['r2', 'r3', 'r4']) expect(await store.getRun(id)).toBeUndefined()
    })

    it('sets run status and error, stamps updatedAt, clears the error, and refuses unknown runs and statuses', async () => {
      await store.createRun(runRecord('r'), [])
      h.clock.advance(5_000)
      await store.setRunStatus('r', 'failed', 'step train failed: OOM')
      const failed = await store.getRun('r')
      expect(failed).toMatchObject({ status: 'failed', error: 'step train failed: OOM', createdAt: T0, updatedAt: h.clock.now() })
      h.clock.advance(1)
      await store.setRunStatus('r', 'running')
      const resumed = await store.getRun('r')
      expect(resumed?.status).toBe('running')
      expect(resumed?.error).toBeUndefined()
      expect(resumed?.updatedAt).toBe(h.clock.now())
      await expectKeelError(store.setRunStatus('ghost', 'running'), 'RESOURCE_DOES_NOT_EXIST')
      await expectKeelError(store.setRunStatus('r', 'exploded' as RunStatus), 'INVALID_PARAMETER_VALUE')
      expect((await store.getRun('r'))?.status).toBe('running')
    })

    it('updateStep is compare-and-set on the stored status', async () => {
      await store.createRun(runRecord('r'), [stepRecord('r', 'a'), stepRecord('r', 'b')])
      const running = stepRecord('r', 'a', { status: 'running', attempt: 1, worker: 'w-1', startedAt: T0 + 1, attempts: [{ attempt: 1, worker: 'w-1', startedAt: T0 + 1 }] })
      expect(await store.updateStep(running, ['pending'])).toBe(true)
      expect((await store.getSteps('r'))[0]).toEqual(running)
      // Stored status is running now: an update expecting pending loses and writes nothing.
      const stale = stepRecord('r', 'a', { status: 'cancelled' })
      expect(await store.updateStep(stale, ['pending'])).toBe(false)
      expect((await store.getSteps('r'))[0]).toEqual(running)
      // Several expected statuses; the other step is untouched.
      const done = finished('r', 'a', 'w-1')
      expect(await store.updateStep(done, ['pending', 'running', 'failed'])).toBe(true)
      const after = await store.getSteps('r')
      expect(after[0]).toEqual(done)
      expect(after[1]).toEqual(stepRecord('r', 'b'))
      await expectKeelError(store.updateStep(stepRecord('r', 'missing'), ['pending']), 'RESOURCE_DOES_NOT_EXIST')
      await expectKeelError(store.updateStep(stepRecord('ghost', 'a'), ['pending']), 'RESOURCE_DOES_NOT_EXIST')
      await expectKeelError(store.updateStep(stepRecord('r', 'b', { status: 'running' }), []), 'INVALID_PARAMETER_VALUE')
      await expectKeelError(store.updateStep(stepRecord('r', 'b', { status: 'weird' as StepStatus }), ['pending']), 'INVALID_PARAMETER_VALUE')
      expect((await store.getSteps('r'))[1]).toEqual(stepRecord('r', 'b'))
    })

    it('lets exactly one of many concurrent updaters from running win', async () => {
      const rounds = 5
      const racers = 12
      const steps = Array.from({ length: rounds }, (_, i) => stepRecord('race', `s${i}`, { status: 'running', attempt: 1 }))
      await store.createRun(runRecord('race'), steps)
      for (let round = 0; round < rounds; round++) {
        const results = await Promise.all(
          Array.from({ length: racers }, (_, w) =>
            store.updateStep(finished('race', `s${round}`, `worker-${w}`, { finishedAt: T0 + 1000 + w }), ['running']),
          ),
        )
        const winners = results.flatMap((won, w) => (won ? [w] : []))
        expect(winners, `round ${round}`).toHaveLength(1)
        const stored = (await store.getSteps('race'))[round]!
        expect(stored.worker).toBe(`worker-${winners[0]}`)
        expect(stored.finishedAt).toBe(T0 + 1000 + winners[0]!)
      }
    })

    it('findCached returns the latest succeeded step with the key, nothing else', async () => {
      expect(await store.findCached('k')).toBeUndefined()
      await store.createRun(runRecord('old', { createdAt: T0 }), [finished('old', 'fit', 'w', { cacheKey: 'k', finishedAt: T0 + 100 })])
      await store.createRun(runRecord('new', { createdAt: T0 + 1 }), [
        finished('new', 'fit', 'w', { cacheKey: 'k', finishedAt: T0 + 200, outputs: { auc: 0.95 } }),
        finished('new', 'other', 'w', { cacheKey: 'k2', finishedAt: T0 + 300 }),
      ])
      await store.createRun(runRecord('bad', { createdAt: T0 + 2 }), [
        finished('bad', 'fit', 'w', { cacheKey: 'k', status: 'failed', finishedAt: T0 + 900 }),
        stepRecord('bad', 'fit2', { cacheKey: 'k', status: 'running' }),
        finished('bad', 'fit3', 'w', { cacheKey: 'k', status: 'cached', finishedAt: T0 + 950 }),
      ])
      const hit = await store.findCached('k')
      expect(hit).toEqual(finished('new', 'fit', 'w', { cacheKey: 'k', finishedAt: T0 + 200, outputs: { auc: 0.95 } }))
      expect(await store.findCached('nope')).toBeUndefined()
      // A step that succeeds later becomes the latest.
      expect(await store.updateStep(finished('bad', 'fit2', 'w', { cacheKey: 'k', finishedAt: T0 + 1000 }), ['running'])).toBe(true)
      expect((await store.findCached('k'))?.runId).toBe('bad')
    })

    it('appends logs in order, per step or all, and refuses a log for no run', async () => {
      await store.createRun(runRecord('r'), [stepRecord('r', 'a'), stepRecord('r', 'b')])
      await store.createRun(runRecord('other'), [])
      const lines: Array<{ step: string; line: string; at: number }> = []
      for (let i = 0; i < 30; i++) {
        // Times go backwards on purpose: order is append order, not time order.
        const entry = { step: i % 3 === 0 ? 'b' : 'a', line: `line ${i} ✓`, at: T0 + 100 - i }
        lines.push(entry)
        await store.appendLog('r', entry.step, entry.line, entry.at)
      }
      await store.appendLog('other', 'a', 'elsewhere', T0)
      expect(await store.logs('r')).toEqual(lines)
      expect(await store.logs('r', 'b')).toEqual(lines.filter((l) => l.step === 'b'))
      expect(await store.logs('r', 'nope')).toEqual([])
      expect(await store.logs('other')).toEqual([{ step: 'a', line: 'elsewhere', at: T0 }])
      await expectKeelError(store.appendLog('ghost', 'a', 'x', T0), 'RESOURCE_DOES_NOT_EXIST')
      expect(await store.logs('ghost')).toEqual([])
    })

    it('lists runs newest first, by pipeline and status, bounded by maxResults', async () => {
      const specs: Array<[string, string, RunStatus, number]> = [
        ['a1', 'train', 'succeeded', 1],
        ['b1', 'score', 'running', 2],
        ['a2', 'train', 'failed', 3],
        ['a3', 'train', 'succeeded', 4],
        ['b2', 'score', 'succeeded', 5],
      ]
      for (const [id, pipeline, status, t] of specs) await store.createRun(runRecord(id, { pipeline, status, createdAt: T0 + t, updatedAt: T0 + t }), [])
      expect((await store.listRuns({})).map((r) => r.id)).toEqual(['b2', 'a3', 'a2', 'b1', 'a1'])
      expect((await store.listRuns({ pipeline: 'train' })).map((r) => r.id)).toEqual(['a3', 'a2', 'a1'])
      expect((await store.listRuns({ status: 'succeeded' })).map((r) => r.id)).toEqual(['b2', 'a3', 'a1'])
      expect((await store.listRuns({ pipeline: 'train', status: 'succeeded', maxResults: 1 })).map((r) => r.id)).toEqual(['a3'])
      expect(await store.listRuns({ pipeline: 'none' })).toEqual([])
      expect((await store.listRuns({ maxResults: 1 }))[0]).toEqual(runRecord('b2', { pipeline: 'score', status: 'succeeded', createdAt: T0 + 5, updatedAt: T0 + 5 }))
      await expectKeelError(store.listRuns({ maxResults: 0 }), 'INVALID_PARAMETER_VALUE')
    })
  })
}
