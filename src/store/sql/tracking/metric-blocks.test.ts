import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isKeelError } from '../../../core/errors.js'
import { downsampleChunks } from '../../../tracking/index.js'
import type { Metric } from '../../../tracking/index.js'
import { MIGRATIONS } from '../../sqlite/migrations/index.js'
import { SqliteDriver } from '../../sqlite/sqlite-driver.js'
import { migrate } from '../migrate.js'
import { appendMetricPoints, decodeBlock, encodeBlock, readHistoryPage, readMetricSeries } from './metric-blocks.js'

const columns = (steps: number[], timestamps: number[], values: number[]) => ({
  steps: Float64Array.from(steps),
  timestamps: Float64Array.from(timestamps),
  values: Float64Array.from(values),
})

describe('metric block codec', () => {
  it('round-trips steps, timestamps and values, including NaN, ±Infinity and -0', () => {
    const block = columns([0, 2 ** 53 - 1, -5], [1_700_000_000_000, 0, 1], [NaN, Infinity, -0])
    const data = encodeBlock(block)
    expect(data.byteLength).toBe(3 * 24)
    expect(data.readDoubleLE(0)).toBe(0) // steps first, little-endian
    expect(data.readDoubleLE(3 * 8)).toBe(1_700_000_000_000) // then timestamps
    const decoded = decodeBlock(data, 3)
    expect(Array.from(decoded.steps)).toEqual([0, 2 ** 53 - 1, -5])
    expect(Array.from(decoded.timestamps)).toEqual([1_700_000_000_000, 0, 1])
    expect(decoded.values[0]).toBeNaN()
    expect(decoded.values[1]).toBe(Infinity)
    expect(Object.is(decoded.values[2], -0)).toBe(true)
  })

  it('decodes blocks that sit at an unaligned offset in their buffer', () => {
    const data = encodeBlock(columns([1, 2], [3, 4], [5, 6]))
    const unaligned = Buffer.alloc(data.length + 1).subarray(1)
    data.copy(unaligned)
    expect(unaligned.byteOffset % 8).not.toBe(0)
    expect(Array.from(decodeBlock(unaligned, 2).values)).toEqual([5, 6])
  })

  it('reports a block whose size does not match its point count as DATA_LOSS', () => {
    let error: unknown
    try {
      decodeBlock(Buffer.alloc(40), 2)
    } catch (e) {
      error = e
    }
    expect(isKeelError(error) && error.code).toBe('DATA_LOSS')
  })
})

describe('metric block storage', () => {
  let driver: SqliteDriver
  const runId = 'r'.repeat(32)
  const points = (from: number, count: number, key = 'm'): Metric[] =>
    Array.from({ length: count }, (_, i) => ({ key, value: (from + i) * 10, timestamp: 100 + from + i, step: from + i }))
  const blocks = () =>
    driver.all<{ block_no: number; n: number; min_step: number; max_step: number }>(
      "SELECT block_no, n, min_step, max_step FROM metric_blocks WHERE key = 'm' ORDER BY block_no",
    )
  const append = (metrics: Metric[]) => driver.transaction((tx) => appendMetricPoints(tx, runId, metrics, 4))

  beforeEach(async () => {
    driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, MIGRATIONS)
    await driver.run(
      `INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, artifact_uri, lifecycle_stage)
       VALUES (?, 0, 'r', '', 'RUNNING', 0, 'x', 'active')`,
      [runId],
    )
  })

  afterEach(async () => {
    await driver.close()
  })

  it('fills the last block before starting a new one', async () => {
    await append(points(0, 3))
    expect(await blocks()).toEqual([{ block_no: 0, n: 3, min_step: 0, max_step: 2 }])
    await append(points(3, 3))
    await append([...points(6, 10), ...points(0, 2, 'other')])
    expect(await blocks()).toEqual([
      { block_no: 0, n: 4, min_step: 0, max_step: 3 },
      { block_no: 1, n: 4, min_step: 4, max_step: 7 },
      { block_no: 2, n: 4, min_step: 8, max_step: 11 },
      { block_no: 3, n: 4, min_step: 12, max_step: 15 },
    ])
    await append(points(16, 1))
    expect((await blocks()).at(-1)).toEqual({ block_no: 4, n: 1, min_step: 16, max_step: 16 })
    const page = await readHistoryPage(driver, runId, 'm', 0, 100)
    expect(page.total).toBe(17)
    expect(page.points).toEqual(points(0, 17))
  })

  it('reads pages that start and end inside blocks', async () => {
    await append(points(0, 17))
    for (const [offset, limit] of [[0, 1], [3, 2], [4, 4], [5, 9], [16, 5], [17, 3], [40, 1]] as const) {
      const page = await readHistoryPage(driver, runId, 'm', offset, limit)
      expect(page.points, `${offset}+${limit}`).toEqual(points(0, 17).slice(offset, offset + limit))
      expect(page.total).toBe(17)
    }
  })

  it('reads only the blocks that overlap a step range and counts every stored point', async () => {
    await append(points(0, 17))
    await append(points(3, 1)) // out of step order: step 3 again, in the last block (steps 16 and 3)
    const series = await readMetricSeries(driver, [runId, 'x'.repeat(32)], 'm', { startStep: 3, endStep: 5 })
    expect(series.size).toBe(1)
    const stored = series.get(runId)!
    expect(stored.totalPoints).toBe(18)
    expect(stored.blocks.map((b) => Array.from(b.steps))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [16, 3],
    ])
    const ranged = downsampleChunks(stored.blocks, 100, { start: 3, end: 5 })
    expect(Array.from(ranged.steps)).toEqual([3, 3, 4, 5])
    expect(Array.from(ranged.values)).toEqual([30, 30, 40, 50])
    const open = (await readMetricSeries(driver, [runId], 'm', { startStep: 15 })).get(runId)!
    expect(open.blocks.map((b) => b.steps.length)).toEqual([4, 2])
    const all = (await readMetricSeries(driver, [runId], 'm', {})).get(runId)!
    expect(all.blocks.reduce((n, b) => n + b.steps.length, 0)).toBe(18)
  })
})
