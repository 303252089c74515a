/**
 * Replays transactions one request each against a serving endpoint, `concurrency` in flight (as many card
 * terminals would), and prints throughput and latency percentiles as it goes.
 */
import { FEATURES } from './data.js'
import type { FraudData } from './data.js'

export interface ReplayOptions {
  label: string
  concurrency?: number
  /** Progress lines per replay. */
  reports?: number
}

/** Sends every row of `data` to `${base}/invocations`; returns the prediction id of each row, in row order. */
export async function replay(base: string, data: FraudData, options: ReplayOptions): Promise<string[]> {
  const concurrency = options.concurrency ?? 16
  const every = Math.ceil(data.rows / (options.reports ?? 4))
  const ids = new Array<string>(data.rows)
  const latencies = new Float64Array(data.rows)
  const width = FEATURES.length
  let next = 0
  let done = 0
  const started = performance.now()
  let windowStart = started
  let windowFirst = 0
  const report = (): void => {
    const now = performance.now()
    const sorted = latencies.slice(windowFirst, done).sort()
    const pct = (q: number): string => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2)
    const rate = ((done - windowFirst) / ((now - windowStart) / 1000)).toFixed(0)
    console.log(`${options.label.padEnd(11)}${done.toLocaleString().padStart(6)}/${data.rows.toLocaleString()} tx, ${rate.padStart(5)} req/s, p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (${concurrency} in flight)`)
    windowStart = now
    windowFirst = done
  }
  const worker = async (): Promise<void> => {
    for (let i = next++; i < data.rows; i = next++) {
      const row = Array.from(data.x.subarray(i * width, (i + 1) * width))
      const t0 = performance.now()
      const res = await fetch(`${base}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: [row] } }),
      })
      const answer = (await res.json()) as { prediction_ids?: string[]; message?: string }
      if (!res.ok || answer.prediction_ids === undefined) throw new Error(`POST ${base}/invocations → ${res.status}: ${answer.message ?? ''}`)
      // Latencies are recorded in completion order, so each progress line covers the requests that finished in it.
      latencies[done] = performance.now() - t0
      ids[i] = answer.prediction_ids[0]!
      done++
      if (done % every === 0 || done === data.rows) report()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return ids
}
