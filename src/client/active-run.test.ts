import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import type { ArtifactInfo, ArtifactStore } from '../artifacts/artifact-store.js'
import { manualClock } from '../core/clock.js'
import { KeelError } from '../core/errors.js'
import type { DatasetInput, Run, RunInfo } from '../tracking/types.js'
import type { LogBatchInput, UpdateRunInput } from '../tracking/tracking-store.js'
import { ActiveRun } from './active-run.js'
import type { ExitHooks, TimerScheduler } from './metric-buffer.js'

const RUN_ID = 'a'.repeat(32)

function makeRun(): Run {
  return {
    info: {
      runId: RUN_ID,
      runName: 'r',
      experimentId: '3',
      userId: 'u',
      status: 'RUNNING',
      startTime: 1,
      endTime: null,
      artifactUri: `mlflow-artifacts:/3/${RUN_ID}/artifacts`,
      lifecycleStage: 'active',
    },
    data: { metrics: [], params: [], tags: [] },
    inputs: { datasetInputs: [], modelInputs: [] },
    outputs: { modelOutputs: [] },
  }
}

/** Records every call in order; `failBatches` makes logBatch throw while set. */
function fakeTracking() {
  const calls: Array<{ method: string; input: unknown }> = []
  const state = { failBatches: false }
  const tracking = {
    async logBatch(runId: string, input: LogBatchInput) {
      expect(runId).toBe(RUN_ID)
      if (state.failBatches) throw new KeelError('TEMPORARILY_UNAVAILABLE', 'store down')
      calls.push({ method: 'logBatch', input })
    },
    async updateRun(runId: string, input: UpdateRunInput): Promise<RunInfo> {
      calls.push({ method: 'updateRun', input })
      const info = makeRun().info
      return { ...info, runId, status: input.status ?? info.status, endTime: input.endTime ?? null }
    },
    async logInputs(_runId: string, datasets: DatasetInput[]) {
      calls.push({ method: 'logInputs', input: datasets })
    },
    async getRun(): Promise<Run> {
      return makeRun()
    },
  }
  return { tracking, calls, state }
}

function memoryArtifacts(): ArtifactStore & { files: Map<string, Buffer> } {
  const files = new Map<string, Buffer>()
  return {
    files,
    async put(path: string, body: Readable | Uint8Array) {
      const bytes = body instanceof Uint8Array ? Buffer.from(body) : await buffer(body)
      files.set(path, bytes)
      return { digest: `d-${bytes.length}`, size: bytes.length }
    },
    async get() {
      throw new Error('unused')
    },
    async stat(): Promise<ArtifactInfo | undefined> {
      return undefined
    },
    async list() {
      return []
    },
    async delete() {
      return 0
    },
    async collectGarbage() {
      return { objects: 0, tempFiles: 0, bytes: 0 }
    },
  }
}

const noTimers: TimerScheduler = { setTimeout: () => 0, clearTimeout: () => {} }
const noExitHooks: ExitHooks = { add: () => {}, delete: () => {} }

function setup() {
  const clock = manualClock(5_000)
  const { tracking, calls, state } = fakeTracking()
  const artifacts = memoryArtifacts()
  let endedCount = 0
  const run = new ActiveRun({
    tracking,
    artifacts,
    run: makeRun(),
    clock,
    scheduler: noTimers,
    exitHooks: noExitHooks,
    onEnd: () => void endedCount++,
  })
  return { run, clock, calls, state, artifacts, ended: () => endedCount }
}

describe('ActiveRun', () => {
  let dir: { path: string; remove: () => void }
  beforeEach(() => {
    dir = tempDir('keel-run-')
  })
  afterEach(() => dir.remove())

  it('end() sends the buffered metrics first, then closes the run with its end time', async () => {
    const { run, clock, calls, ended } = setup()
    run.logMetric('loss', 0.5, 1)
    clock.advance(100)
    run.logMetrics({ auc: 0.9, f1: 0.7 }, 2)
    expect(calls).toHaveLength(0)
    expect(run.bufferedPoints).toBe(3)
    clock.advance(900)
    const info = await run.end()
    expect(calls.map((c) => c.method)).toEqual(['logBatch', 'updateRun'])
    expect(calls[0]?.input).toEqual({
      metrics: [
        { key: 'loss', value: 0.5, step: 1, timestamp: 5_000 },
        { key: 'auc', value: 0.9, step: 2, timestamp: 5_100 },
        { key: 'f1', value: 0.7, step: 2, timestamp: 5_100 },
      ],
    })
    expect(calls[1]?.input).toEqual({ status: 'FINISHED', endTime: 6_000 })
    expect(info).toMatchObject({ status: 'FINISHED', endTime: 6_000 })
    expect(ended()).toBe(1)

    expect(await run.end('FAILED')).toBe(info)
    expect(calls).toHaveLength(2)
    expect(() => run.logMetric('late', 1)).toThrow(/has ended/)
    await expect(run.setTag('a', 'b')).rejects.toMatchObject({ code: 'INVALID_STATE' })
  })

  it('end() keeps the run open and the points buffered when they cannot be sent', async () => {
    const { run, calls, state } = setup()
    run.logMetric('loss', 1)
    state.failBatches = true
    await expect(run.end()).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE' })
    expect(calls.some((c) => c.method === 'updateRun')).toBe(false)
    expect(run.bufferedPoints).toBe(1)
    expect(run.isEnded).toBe(false)
    state.failBatches = false
    await run.end('KILLED')
    expect(calls.map((c) => c.method)).toEqual(['logBatch', 'updateRun'])
    expect(calls[1]?.input).toMatchObject({ status: 'KILLED' })
  })

  it('rejects a bad metric at the call, buffering nothing of it', () => {
    const { run } = setup()
    expect(() => run.logMetric('bad key!', 1)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }))
    expect(() => run.logMetric('ok', '1' as unknown as number)).toThrow(/must be a number/)
    expect(() => run.logMetric('ok', 1, 1.5)).toThrow(/integer/)
    expect(() => run.logMetrics({ good: 1, 'bad/../key': 2 })).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }))
    expect(run.bufferedPoints).toBe(0)
    run.logMetric('nan', Number.NaN)
    expect(run.bufferedPoints).toBe(1)
  })

  it('writes params and tags at once, stringified, in batches of at most 100', async () => {
    const { run, calls } = setup()
    const params = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`p${i}`, i % 2 === 0 ? i : true]))
    await run.logParams(params)
    expect(calls.map((c) => ((c.input as LogBatchInput).params ?? []).length)).toEqual([100, 100, 50])
    expect((calls[0]?.input as LogBatchInput).params?.slice(0, 2)).toEqual([
      { key: 'p0', value: '0' },
      { key: 'p1', value: 'true' },
    ])
    await run.setTag('stage', 'dev')
    expect(calls.at(-1)?.input).toEqual({ tags: [{ key: 'stage', value: 'dev' }] })
  })

  it('logs in-memory content, a file and a directory under the run artifact root', async () => {
    const { run, artifacts } = setup()
    const root = `3/${RUN_ID}/artifacts`
    const [mem] = await run.logArtifact({ name: 'model.json', content: '{"a":1}' }, 'model')
    expect(mem).toEqual({ path: 'model/model.json', digest: 'd-7', size: 7 })
    expect(artifacts.files.get(`${root}/model/model.json`)?.toString()).toBe('{"a":1}')

    writeFileSync(join(dir.path, 'notes.txt'), 'notes')
    mkdirSync(join(dir.path, 'tree', 'sub'), { recursive: true })
    writeFileSync(join(dir.path, 'tree', 'a.txt'), 'a')
    writeFileSync(join(dir.path, 'tree', 'sub', 'b.txt'), 'bb')
    expect((await run.logArtifact(join(dir.path, 'notes.txt'))).map((a) => a.path)).toEqual(['notes.txt'])
    expect((await run.logArtifact(join(dir.path, 'tree'), 'data')).map((a) => a.path)).toEqual(['data/a.txt', 'data/sub/b.txt'])
    expect(artifacts.files.get(`${root}/data/sub/b.txt`)?.toString()).toBe('bb')

    await expect(run.logArtifact(join(dir.path, 'missing.txt'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    await expect(run.logArtifact({ name: '../escape', content: 'x' })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
  })

  it('records a dataset with its context tag', async () => {
    const { run, calls } = setup()
    await run.logDataset({ name: 'tx', digest: 'abc', source: 's3://b/tx.csv', schema: '{}' }, 'training')
    expect(calls[0]).toEqual({
      method: 'logInputs',
      input: [
        {
          dataset: { name: 'tx', digest: 'abc', source: 's3://b/tx.csv', sourceType: 'local', schema: '{}' },
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
        },
      ],
    })
  })

  it('ends as FINISHED when disposed with await using', async () => {
    const { run, calls } = setup()
    {
      await using scoped = run
      scoped.logMetric('m', 1)
    }
    expect(calls.map((c) => c.method)).toEqual(['logBatch', 'updateRun'])
    expect(run.isEnded).toBe(true)
  })
})
