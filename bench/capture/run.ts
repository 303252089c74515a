/**
 * Prediction-store write throughput: how many captured predictions per second `SqlPredictionStore` stores,
 * in batches as `PredictionCapture` sends them (one transaction per batch), and the end-to-end rate through
 * `PredictionCapture` itself. SQLite file (WAL, synchronous=NORMAL, as `keel serve` opens it) and
 * PostgreSQL when POSTGRES_URL is set. Reports the median of several repetitions, wall and CPU time.
 *
 *   npx tsx bench/capture/run.ts [--records 100000] [--batch 500] [--reps 5]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { PredictionRecord } from '../../src/monitoring/prediction-store.js'
import { PredictionCapture } from '../../src/serving/prediction-capture.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { migrate } from '../../src/store/sql/migrate.js'
import { SqlPredictionStore } from '../../src/store/sql/predictions/sql-prediction-store.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`)
  return value
}

const RECORDS = flag('records', 100_000)
const BATCH = flag('batch', 500)
const REPS = flag('reps', 5)

/** A fraud-like prediction: 6 numeric inputs, a label and two probabilities. */
function records(rep: number): PredictionRecord[] {
  const out: PredictionRecord[] = new Array<PredictionRecord>(RECORDS)
  const t0 = 1_700_000_000_000 + rep * 10_000_000
  for (let i = 0; i < RECORDS; i++) {
    const p = (i % 997) / 997
    out[i] = {
      id: `r${rep}-${i.toString(36)}-${(i * 2_654_435_761 % 4_294_967_296).toString(36)}`,
      deployment: 'fraud',
      model: 'fraud',
      version: i % 10 === 0 ? '2' : '1',
      arm: i % 10 === 0 ? 'challenger' : 'champion',
      timestamp: t0 + Math.floor(i / 50),
      inputs: { age: 20 + (i % 60), amount: i * 0.37, balance: 1000 - i * 0.01, score: p, tenure: i % 120, velocity: (i % 13) / 3 },
      outputs: { prediction: p > 0.5 ? 1 : 0, probability_0: 1 - p, probability_1: p },
    }
  }
  return out
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

async function measure(label: string, open: () => Promise<{ driver: SqlDriver; done: () => Promise<void> }>): Promise<void> {
  const direct: number[] = []
  const directCpu: number[] = []
  const viaCapture: number[] = []
  const reference: number[] = []
  for (let rep = 0; rep < REPS; rep++) {
    const data = records(rep)
    const { driver, done } = await open()
    try {
      const store = new SqlPredictionStore(driver)
      // Store alone: batches of BATCH, one transaction each.
      const cpu = process.cpuUsage()
      const start = performance.now()
      for (let i = 0; i < RECORDS; i += BATCH) await store.appendPredictions(data.slice(i, i + BATCH))
      const seconds = (performance.now() - start) / 1000
      const used = process.cpuUsage(cpu)
      direct.push(RECORDS / seconds)
      directCpu.push(RECORDS / ((used.user + used.system) / 1e6))

      // Reference in the same run (SQLite only): better-sqlite3's own transaction over a one-row prepared
      // INSERT, the simplest fast way, so the ratio says what the multi-row statements buy on this machine.
      if (driver instanceof SqliteDriver) {
        const insert = driver.db.prepare(
          'INSERT INTO predictions (id, deployment, model, version, arm, ts, inputs, outputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        )
        const batch = driver.db.transaction((rows: PredictionRecord[]) => {
          for (const r of rows) insert.run(r.id, r.deployment, r.model, r.version, r.arm, r.timestamp, JSON.stringify(r.inputs), JSON.stringify(r.outputs))
        })
        const ref = records(rep + 2_000)
        const t = performance.now()
        for (let i = 0; i < RECORDS; i += BATCH) batch(ref.slice(i, i + BATCH))
        reference.push(RECORDS / ((performance.now() - t) / 1000))
      }

      // Through PredictionCapture (a buffer big enough to drop nothing): offer everything, then close.
      const again = records(rep + 1_000)
      const capture = new PredictionCapture(store, { maxBuffered: RECORDS, batchSize: BATCH, flushMs: 50, closeTimeoutMs: 600_000 })
      const t = performance.now()
      for (const r of again) capture.offer(r)
      await capture.close()
      const s = (performance.now() - t) / 1000
      if (capture.dropped !== 0 || capture.written !== RECORDS) throw new Error(`capture lost records: ${capture.written} written, ${capture.dropped} dropped`)
      viaCapture.push(RECORDS / s)
      const count = await store.countPredictions({})
      const expected = (reference.length > rep ? 3 : 2) * RECORDS
      if (count !== expected) throw new Error(`expected ${expected} stored, found ${count}`)
    } finally {
      await done()
    }
  }
  const f = (n: number): string => Math.round(n).toLocaleString('en-US')
  console.log(
    `${label}: store ${f(median(direct))} predictions/s wall (${f(median(directCpu))}/s of CPU), through PredictionCapture ${f(median(viaCapture))}/s` +
      (reference.length > 0 ? `; one-row prepared INSERT in a better-sqlite3 transaction ${f(median(reference))}/s` : '') +
      ` — ${RECORDS.toLocaleString('en-US')} records, batches of ${BATCH}, median of ${REPS}`,
  )
}

const dir = mkdtempSync(join(tmpdir(), 'keel-bench-capture-'))
try {
  let n = 0
  await measure('SQLite file', async () => {
    const driver = new SqliteDriver({ path: join(dir, `p${n++}.db`) })
    await migrate(driver, SQLITE_MIGRATIONS)
    return { driver, done: () => driver.close() }
  })
  const url = process.env['POSTGRES_URL']
  if (url !== undefined) {
    await measure('PostgreSQL', async () => {
      const name = `keel_bench_${process.pid}_${n++}`
      const admin = new pg.Client({ connectionString: url })
      await admin.connect()
      await admin.query(`CREATE DATABASE ${name}`)
      await admin.end()
      const target = new URL(url)
      target.pathname = `/${name}`
      const driver = new PostgresDriver({ connectionString: target.toString() })
      await migrate(driver, POSTGRES_MIGRATIONS)
      return {
        driver,
        done: async () => {
          await driver.close()
          const drop = new pg.Client({ connectionString: url })
          await drop.connect()
          await drop.query(`DROP DATABASE IF EXISTS ${name}`)
          await drop.end()
        },
      }
    })
  } else {
    console.log('PostgreSQL: skipped (set POSTGRES_URL, see scripts/start-postgres.sh)')
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
