import { notFound } from '../../../core/errors.js'
import { encodePageToken, offsetFromToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import { DEFAULT_MAX_RESULTS, downsampleChunks } from '../../../tracking/index.js'
import type { Metric, MetricHistoryInput, SampledHistoryInput, SampledSeries, StepBounds } from '../../../tracking/index.js'
import type { SqlExecutor } from '../sql-driver.js'
import { readHistoryPage, readMetricSeries } from './metric-blocks.js'
import type { StepRange } from './metric-blocks.js'
import { requireRunRow } from './runs.js'
import { selectIn } from './sql-util.js'

export async function getMetricHistory(
  db: SqlExecutor,
  runId: string,
  key: string,
  input: MetricHistoryInput = {},
): Promise<Page<Metric>> {
  await requireRunRow(db, runId)
  const limit = input.maxResults ?? DEFAULT_MAX_RESULTS.metricHistory
  const offset = offsetFromToken(input.pageToken)
  const { points, total } = await readHistoryPage(db, runId, key, offset, limit)
  const end = offset + points.length
  return end < total ? { items: points, nextPageToken: encodePageToken({ offset: end }) } : { items: points }
}

/** One series per requested run (in request order), each reduced to about `maxPoints` points. */
export async function getSampledHistory(db: SqlExecutor, input: SampledHistoryInput): Promise<SampledSeries[]> {
  const runIds = [...new Set(input.runIds)]
  const found = await selectIn<{ run_id: string }>(db, runIds, (list) => `SELECT run_id FROM runs WHERE run_id IN (${list})`)
  if (found.length !== runIds.length) {
    const known = new Set(found.map((row) => row.run_id))
    const missing = runIds.filter((id) => !known.has(id))
    throw notFound(`Run with id=${missing.join(', ')} not found; sample only existing runs.`, { run_ids: missing })
  }
  const range: StepRange = {}
  const bounds: StepBounds = {}
  if (input.startStep !== undefined) range.startStep = bounds.start = input.startStep
  if (input.endStep !== undefined) range.endStep = bounds.end = input.endStep
  const stored = await readMetricSeries(db, runIds, input.key, range)
  const maxPoints = input.maxPoints ?? DEFAULT_MAX_RESULTS.sampledPoints
  return runIds.map((runId) => {
    const entry = stored.get(runId)
    if (entry === undefined) return { runId, key: input.key, totalPoints: 0, steps: [], values: [], timestamps: [] }
    const sampled = downsampleChunks(entry.blocks, maxPoints, bounds)
    return {
      runId,
      key: input.key,
      totalPoints: entry.totalPoints,
      steps: Array.from(sampled.steps),
      values: Array.from(sampled.values),
      timestamps: Array.from(sampled.timestamps),
    }
  })
}
