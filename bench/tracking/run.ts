/**
 * bench/tracking: the tracking server's hot paths over real HTTP on loopback, on SQLite and PostgreSQL.
 *
 *   npm run bench                      # SQLite; PostgreSQL too when POSTGRES_URL is set
 *
 * The server runs in its own process (`keel server`); load comes from autocannon or sequential keep-alive
 * fetches in this process. MLflow cannot be installed here (no PyPI), so its published figures stand as the
 * baseline: the Python tracking server on PostgreSQL under k6 (mlflow/mlflow-go benchmarks/README.md).
 */
import autocannon from 'autocannon'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'node:http'
import pg from 'pg'
import { openStores } from '../../src/store/open-stores.js'
import { startServerProcess } from './server-process.js'

const MLFLOW = {
  /** LogMetricBatch500: 1,200 ms average with 20 virtual users → 20 × 500 / 1.2 s. */
  logBatchPointsPerSecond: (20 * 500) / 1.2,
  /** SearchRuns: 1,004 ms average. */
  searchRunsMs: 1004,
  /** About 90 ms per log_metric call from the client (mlflow#5269). */
  logMetricMs: 90,
}
const SEARCH_RUNS = Number(process.env['BENCH_SEARCH_RUNS'] ?? 100_000)
const HISTORY_POINTS = Number(process.env['BENCH_HISTORY_POINTS'] ?? 1_000_000)
const INGEST_SECONDS = Number(process.env['BENCH_INGEST_SECONDS'] ?? 5)

interface Figures {
  store: string
  ingestPointsPerSecond: number
  logMetricP50Ms: number
  logMetricP99Ms: number
  logMetricRawP50Ms: number
  searchP50Ms: number
  search1000P50Ms: number
  historyP50Ms: number
  historyBulkIntervalP50Ms: number
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

async function timeCalls(count: number, call: () => Promise<void>): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await call()
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)
}

function client(base: string) {
  return async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(base + path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    })
    const json = (await response.json()) as T
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`)
    return json
  }
}

async function populateSearchRuns(storeUri: string, artifacts: string): Promise<string> {
  const stores = await openStores(storeUri, { artifactsRoot: artifacts })
  try {
    const experimentId = await stores.tracking.createExperiment({ name: 'search-bench' })
    const started = performance.now()
    const concurrency = storeUri.startsWith('sqlite') ? 1 : 16
    let next = 0
    const worker = async (): Promise<void> => {
      for (let i = next++; i < SEARCH_RUNS; i = next++) {
        const run = await stores.tracking.createRun({ experimentId, startTime: 1_700_000_000_000 + i, runName: `run-${i}` })
        await stores.tracking.logBatch(run.info.runId, {
          metrics: [
            { key: 'auc', value: ((i * 7919) % 10_007) / 10_007, timestamp: 1_700_000_000_000 + i, step: 0 },
            { key: 'loss', value: (i % 997) / 997, timestamp: 1_700_000_000_000 + i, step: 0 },
          ],
          params: [{ key: 'model', value: i % 2 === 0 ? 'gbdt' : 'logistic' }],
          tags: [{ key: 'team', value: `team-${i % 10}` }],
        })
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    console.log(`  populated ${SEARCH_RUNS.toLocaleString()} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    return experimentId
  } finally {
    await stores.close()
  }
}

async function benchStore(label: string, storeUri: string): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'))
  const artifacts = join(dir, 'artifacts')
  console.log(`\n${label}`)
  const searchExperiment = await populateSearchRuns(storeUri, artifacts)
  const server = await startServerProcess(storeUri, artifacts)
  try {
    const api = client(server.url)
    const { experiment_id } = await api<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { name: 'ingest-bench' })
    const newRun = async (): Promise<string> =>
      (await api<{ run: { info: { run_id: string } } }>('POST', '/api/2.0/mlflow/runs/create', { experiment_id, start_time: Date.now() })).run.info.run_id

    // 1. log-batch ingest: 1,000-point batches (10 keys × 100 steps), 4 connections.
    const ingestRun = await newRun()
    const metrics = []
    for (let k = 0; k < 10; k++) for (let s = 0; s < 100; s++) metrics.push({ key: `m${k}`, value: Math.sin(s + k), timestamp: 1_700_000_000_000 + s, step: s })
    const ingest = await autocannon({
      url: `${server.url}/api/2.0/mlflow/runs/log-batch`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ run_id: ingestRun, metrics }),
      connections: 4,
      duration: INGEST_SECONDS,
    })
    if (ingest.non2xx > 0 || ingest.errors > 0) throw new Error(`ingest had ${ingest.non2xx} non-2xx and ${ingest.errors} errors`)
    // autocannon reports its duration in seconds.
    const ingestPointsPerSecond = (ingest['2xx'] * 1000) / ingest.duration
    console.log(`  log-batch ingest: ${Math.round(ingestPointsPerSecond).toLocaleString()} points/s (${ingest['2xx']} batches of 1,000, p50 ${ingest.latency.p50} ms)`)

    // 2. one log-metric round trip, sequential, keep-alive.
    const metricRun = await newRun()
    let step = 0
    const logMetric = await timeCalls(2000, async () => {
      await api('POST', '/api/2.0/mlflow/runs/log-metric', { run_id: metricRun, key: 'loss', value: Math.random(), timestamp: Date.now(), step: step++ })
    })
    // fetch (undici) itself costs about a quarter of a millisecond per call; node:http with a keep-alive agent
    // shows what the server adds.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const target = new URL(`${server.url}/api/2.0/mlflow/runs/log-metric`)
    const postRaw = (body: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume()
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`log-metric → ${res.statusCode}`))))
        })
        req.on('error', reject)
        req.end(body)
      })
    const logMetricRaw = await timeCalls(2000, () => postRaw(JSON.stringify({ run_id: metricRun, key: 'loss', value: Math.random(), timestamp: Date.now(), step: step++ })))
    agent.destroy()
    console.log(`  log-metric round trip: p50 ${percentile(logMetric, 0.5).toFixed(3)} ms, p99 ${percentile(logMetric, 0.99).toFixed(3)} ms with fetch; p50 ${percentile(logMetricRaw, 0.5).toFixed(3)} ms with node:http`)

    // 3. run search over the populated runs: metric filter + order_by.
    const search = (maxResults: number) => async (): Promise<void> => {
      const result = await api<{ runs: unknown[] }>('POST', '/api/2.0/mlflow/runs/search', {
        experiment_ids: [searchExperiment],
        filter: 'metrics.auc > 0.5',
        order_by: ['metrics.auc DESC'],
        max_results: maxResults,
      })
      if (result.runs.length !== maxResults) throw new Error(`search returned ${result.runs.length} runs`)
    }
    await search(100)()
    const search100 = await timeCalls(30, search(100))
    const search1000 = await timeCalls(10, search(1000))
    console.log(`  search ${SEARCH_RUNS.toLocaleString()} runs (metric filter + order_by): p50 ${percentile(search100, 0.5).toFixed(1)} ms for 100 results, ${percentile(search1000, 0.5).toFixed(1)} ms for 1,000`)

    // 4. a 1,000,000-point metric, sampled for a chart.
    const historyRun = await newRun()
    const started = performance.now()
    const batches = HISTORY_POINTS / 1000
    let sent = 0
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let b = sent++; b < batches; b = sent++) {
          const points = []
          for (let i = 0; i < 1000; i++) points.push({ key: 'loss', value: Math.exp(-(b * 1000 + i) / 2e5) + Math.random() * 0.01, timestamp: 1_700_000_000_000 + b, step: b * 1000 + i })
          await api('POST', '/api/2.0/mlflow/runs/log-batch', { run_id: historyRun, metrics: points })
        }
      }),
    )
    console.log(`  logged ${HISTORY_POINTS.toLocaleString()} points of one metric in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    const sampled = await timeCalls(20, async () => {
      const result = await api<{ series: Array<{ total_points: number; steps: number[] }> }>('GET', `/api/keel/v1/metrics/sampled?run_ids=${historyRun}&metric_key=loss&max_points=320`)
      if (result.series[0]?.total_points !== HISTORY_POINTS) throw new Error(`sampled ${result.series[0]?.total_points} points`)
    })
    const bulk = await timeCalls(20, async () => {
      await api('GET', `/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${historyRun}&metric_key=loss&max_results=320`)
    })
    console.log(`  history of ${HISTORY_POINTS.toLocaleString()} points sampled to 320: p50 ${percentile(sampled, 0.5).toFixed(1)} ms (get-history-bulk-interval ${percentile(bulk, 0.5).toFixed(1)} ms)`)

    return {
      store: label,
      ingestPointsPerSecond,
      logMetricP50Ms: percentile(logMetric, 0.5),
      logMetricP99Ms: percentile(logMetric, 0.99),
      logMetricRawP50Ms: percentile(logMetricRaw, 0.5),
      searchP50Ms: percentile(search100, 0.5),
      search1000P50Ms: percentile(search1000, 0.5),
      historyP50Ms: percentile(sampled, 0.5),
      historyBulkIntervalP50Ms: percentile(bulk, 0.5),
    }
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function freshPostgres(url: string): Promise<string> {
  const name = `keel_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const target = new URL(url)
  target.pathname = `/${name}`
  return target.toString()
}

const results: Figures[] = []
const dir = mkdtempSync(join(tmpdir(), 'keel-bench-db-'))
results.push(await benchStore('SQLite', `sqlite:${join(dir, 'keel.db')}`))
const postgresUrl = process.env['POSTGRES_URL']
if (postgresUrl !== undefined) results.push(await benchStore('PostgreSQL', await freshPostgres(postgresUrl)))
else console.log('\nPostgreSQL skipped: set POSTGRES_URL (eval "$(scripts/start-postgres.sh)")')
rmSync(dir, { recursive: true, force: true })

console.log('\n| store | log-batch ingest (points/s) | vs MLflow | log-metric p50 / p99 (fetch), p50 (node:http) | search 100k runs p50 (100 / 1,000 results) | vs MLflow | 1M-point history sampled p50 |')
console.log('|---|---|---|---|---|---|---|')
for (const r of results) {
  console.log(
    `| ${r.store} | ${Math.round(r.ingestPointsPerSecond).toLocaleString()} | ${(r.ingestPointsPerSecond / MLFLOW.logBatchPointsPerSecond).toFixed(0)}× | ` +
      `${r.logMetricP50Ms.toFixed(2)} / ${r.logMetricP99Ms.toFixed(2)} ms, ${r.logMetricRawP50Ms.toFixed(2)} ms | ${r.searchP50Ms.toFixed(1)} / ${r.search1000P50Ms.toFixed(1)} ms | ` +
      `${(MLFLOW.searchRunsMs / r.searchP50Ms).toFixed(0)}× faster | ${r.historyP50Ms.toFixed(1)} ms |`,
  )
}
console.log(`MLflow baseline (published, Python server on PostgreSQL, k6 20 VUs): ${Math.round(MLFLOW.logBatchPointsPerSecond).toLocaleString()} points/s log-batch, SearchRuns ${MLFLOW.searchRunsMs} ms, ~${MLFLOW.logMetricMs} ms per client log_metric.`)
console.log('Goals (issue 2): ingest ≥ 200,000 points/s on SQLite; log-metric p50 < 1 ms; search p50 < 50 ms; history < 100 ms.')
