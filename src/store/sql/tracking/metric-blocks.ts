import { KeelError } from '../../../core/errors.js'
import type { Metric, MetricSeries } from '../../../tracking/index.js'
import type { SqlExecutor, SqlValue } from '../sql-driver.js'
import { groupBy, insertRows, selectIn } from './sql-util.js'

/**
 * Metric history as packed blocks: one row holds up to `blockSize` points of one (run, key) as
 * little-endian float64 columns (n steps, then n timestamps, then n values), so NaN and ±Infinity survive
 * and a million points are a thousand rows. Appends fill the last block before starting a new one.
 */
export const DEFAULT_BLOCK_SIZE = 1024

const BYTES_PER_POINT = 24
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export function encodeBlock(series: MetricSeries): Buffer {
  const n = series.steps.length
  const all = new Float64Array(3 * n)
  all.set(series.steps, 0)
  all.set(series.timestamps, n)
  all.set(series.values, 2 * n)
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength)
  if (!LITTLE_ENDIAN) swapFloat64(bytes)
  return bytes
}

/** Decodes a block; the arrays may view `data` directly (no copy) when it is aligned. */
export function decodeBlock(data: Uint8Array, n: number): MetricSeries {
  const byteLength = n * BYTES_PER_POINT
  if (data.byteLength !== byteLength) {
    throw new KeelError('DATA_LOSS', `A metric block claims ${n} points but holds ${data.byteLength} bytes; the database is damaged.`)
  }
  let all: Float64Array
  if (LITTLE_ENDIAN && data.byteOffset % 8 === 0) {
    all = new Float64Array(data.buffer, data.byteOffset, 3 * n)
  } else {
    all = new Float64Array(3 * n)
    const bytes = new Uint8Array(all.buffer)
    bytes.set(data)
    if (!LITTLE_ENDIAN) swapFloat64(bytes)
  }
  return { steps: all.subarray(0, n), timestamps: all.subarray(n, 2 * n), values: all.subarray(2 * n, 3 * n) }
}

function swapFloat64(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 8) {
    for (let j = 0; j < 4; j++) {
      const t = bytes[i + j]!
      bytes[i + j] = bytes[i + 7 - j]!
      bytes[i + 7 - j] = t
    }
  }
}

interface LastBlockRow {
  key: string
  block_no: number
  n: number
  data: Uint8Array | null
}

interface BlockWrite {
  key: string
  blockNo: number
  n: number
  minStep: number
  maxStep: number
  data: Buffer
}

/** Appends a batch's points (insertion order kept per key) to the blocks of one run, in the caller's transaction. */
export async function appendMetricPoints(
  tx: SqlExecutor,
  runId: string,
  metrics: readonly Metric[],
  blockSize: number,
): Promise<void> {
  if (metrics.length === 0) return
  const byKey = groupBy(metrics, (m) => m.key)
  // The last block of each key, with its data only when it still has room.
  const lastRows = await selectIn<LastBlockRow>(
    tx,
    [...byKey.keys()],
    (list) =>
      `SELECT key, block_no, n, CASE WHEN n < ? THEN data END AS data FROM metric_blocks b
       WHERE run_id = ? AND key IN (${list})
         AND block_no = (SELECT MAX(block_no) FROM metric_blocks m WHERE m.run_id = b.run_id AND m.key = b.key)`,
    [blockSize, runId],
  )
  const last = new Map(lastRows.map((row) => [row.key, row]))
  const writes: BlockWrite[] = []
  for (const [key, points] of byKey) {
    const previous = last.get(key)
    let blockNo = previous === undefined ? 0 : previous.block_no
    let carried: MetricSeries | undefined
    if (previous !== undefined) {
      if (previous.data !== null && previous.n < blockSize) carried = decodeBlock(previous.data, previous.n)
      else blockNo++
    }
    let next = 0
    while (next < points.length) {
      const kept = carried === undefined ? 0 : carried.steps.length
      const take = Math.min(blockSize - kept, points.length - next)
      writes.push(buildBlock(key, blockNo, carried, points, next, take))
      next += take
      carried = undefined
      blockNo++
    }
  }
  await insertRows(
    tx,
    writes,
    7,
    (values) =>
      `INSERT INTO metric_blocks (run_id, key, block_no, n, min_step, max_step, data) VALUES ${values}
       ON CONFLICT (run_id, key, block_no) DO UPDATE SET n = excluded.n, min_step = excluded.min_step,
         max_step = excluded.max_step, data = excluded.data`,
    (w, out) => {
      out.push(runId, w.key, w.blockNo, w.n, w.minStep, w.maxStep, w.data)
    },
  )
}

function buildBlock(
  key: string,
  blockNo: number,
  carried: MetricSeries | undefined,
  points: readonly Metric[],
  from: number,
  count: number,
): BlockWrite {
  const kept = carried === undefined ? 0 : carried.steps.length
  const n = kept + count
  const all = new Float64Array(3 * n)
  let minStep = Infinity
  let maxStep = -Infinity
  if (carried !== undefined) {
    all.set(carried.steps, 0)
    all.set(carried.timestamps, n)
    all.set(carried.values, 2 * n)
    for (let i = 0; i < kept; i++) {
      const s = carried.steps[i]!
      if (s < minStep) minStep = s
      if (s > maxStep) maxStep = s
    }
  }
  for (let i = 0; i < count; i++) {
    const point = points[from + i]!
    const at = kept + i
    all[at] = point.step
    all[n + at] = point.timestamp
    all[2 * n + at] = point.value
    if (point.step < minStep) minStep = point.step
    if (point.step > maxStep) maxStep = point.step
  }
  const data = Buffer.from(all.buffer, all.byteOffset, all.byteLength)
  if (!LITTLE_ENDIAN) swapFloat64(data)
  return { key, blockNo, n, minStep, maxStep, data }
}

export interface StepRange {
  startStep?: number
  endStep?: number
}

export interface StoredSeries {
  /** Points stored for the key, whatever the step range. */
  totalPoints: number
  /** The decoded blocks that overlap the step range, in insertion order (points outside it included). */
  blocks: MetricSeries[]
}

interface SeriesBlockRow {
  run_id: string
  n: number
  data: Uint8Array | null
}

/** One metric of several runs as decoded blocks; blocks outside the step range are not read. */
export async function readMetricSeries(
  db: SqlExecutor,
  runIds: readonly string[],
  key: string,
  range: StepRange,
): Promise<Map<string, StoredSeries>> {
  const conditions: string[] = []
  const before: SqlValue[] = []
  if (range.startStep !== undefined) {
    conditions.push('max_step >= ?')
    before.push(range.startStep)
  }
  if (range.endStep !== undefined) {
    conditions.push('min_step <= ?')
    before.push(range.endStep)
  }
  const dataColumn = conditions.length === 0 ? 'data' : `CASE WHEN ${conditions.join(' AND ')} THEN data END AS data`
  before.push(key)
  const rows = await selectIn<SeriesBlockRow>(
    db,
    runIds,
    (list) => `SELECT run_id, n, ${dataColumn} FROM metric_blocks WHERE key = ? AND run_id IN (${list}) ORDER BY run_id, block_no`,
    before,
  )
  const result = new Map<string, StoredSeries>()
  for (const [runId, list] of groupBy(rows, (row) => row.run_id)) {
    let totalPoints = 0
    const blocks: MetricSeries[] = []
    for (const row of list) {
      totalPoints += row.n
      if (row.data !== null) blocks.push(decodeBlock(row.data, row.n))
    }
    result.set(runId, { totalPoints, blocks })
  }
  return result
}

/** Points `[offset, offset + limit)` of one metric's history in insertion order, and the total count. */
export async function readHistoryPage(
  db: SqlExecutor,
  runId: string,
  key: string,
  offset: number,
  limit: number,
): Promise<{ points: Metric[]; total: number }> {
  const meta = await db.all<{ block_no: number; n: number }>(
    'SELECT block_no, n FROM metric_blocks WHERE run_id = ? AND key = ? ORDER BY block_no',
    [runId, key],
  )
  let total = 0
  let firstBlock = -1
  let lastBlock = -1
  let skip = 0
  for (const block of meta) {
    const blockStart = total
    total += block.n
    if (total > offset && blockStart < offset + limit) {
      if (firstBlock === -1) {
        firstBlock = block.block_no
        skip = offset - blockStart
      }
      lastBlock = block.block_no
    }
  }
  if (firstBlock === -1) return { points: [], total }
  const rows = await db.all<{ n: number; data: Uint8Array }>(
    'SELECT n, data FROM metric_blocks WHERE run_id = ? AND key = ? AND block_no >= ? AND block_no <= ? ORDER BY block_no',
    [runId, key, firstBlock, lastBlock],
  )
  const points: Metric[] = []
  for (const row of rows) {
    const block = decodeBlock(row.data, row.n)
    for (let i = skip; i < row.n && points.length < limit; i++) {
      points.push({ key, value: block.values[i]!, timestamp: block.timestamps[i]!, step: block.steps[i]! })
    }
    skip = 0
  }
  return { points, total }
}
