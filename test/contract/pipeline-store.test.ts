import { describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { manualClock } from '../../src/core/clock.js'
import { HttpPipelineStore } from '../../src/store/http/http-pipeline-store.js'
import { openStores } from '../../src/store/open-stores.js'
import { migrate } from '../../src/store/sql/migrate.js'
import { SqlPipelineStore } from '../../src/store/sql/pipelines/sql-pipeline-store.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'
import { POSTGRES_URL } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { keelServerOver, postgresDatabase, servedSqliteDatabase, sqliteFileDatabase, sqliteMemoryDatabase } from '../support/sql-store-harness.js'
import type { MigratedDatabase } from '../support/sql-store-harness.js'
import { T0, describePipelineStore, runRecord, stepRecord } from './pipeline-store.contract.js'
import type { PipelineStoreHarness } from './pipeline-store.contract.js'

function sql(db: MigratedDatabase): PipelineStoreHarness {
  const clock = manualClock(T0)
  return { store: new SqlPipelineStore(db.driver, { clock }), clock, close: () => db.close() }
}

const keelServer = (driver: SqlDriver, root: string, clock = manualClock(T0)) =>
  keelServerOver(driver, root, { pipelines: new SqlPipelineStore(driver, { clock }) }, clock)

describePipelineStore('SQLite :memory:', async () => sql(await sqliteMemoryDatabase()))
describePipelineStore('SQLite file', async () => sql(await sqliteFileDatabase('keel-pipelines-')))

// The HTTP adapter against a real keel server (createServer over SQLite, listening on 127.0.0.1:0).
describePipelineStore('HTTP against a keel server', async () => {
  const clock = manualClock(T0)
  const served = await servedSqliteDatabase('keel-pipelines-http-', (driver) => ({ pipelines: new SqlPipelineStore(driver, { clock }) }), clock)
  return { store: new HttpPipelineStore(served.transport), clock, close: () => served.close() }
})

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL (set POSTGRES_URL, see scripts/start-postgres.sh)', () => {
  // Several connections, so the concurrent-updaters test races real transactions.
  describePipelineStore('PostgreSQL', async () => sql(await postgresDatabase(6)))
})

/** Percentile of sorted samples (nearest rank). */
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

describe('updateStep speed on SQLite (the engine calls it twice per step)', () => {
  for (const kind of ['memory', 'file'] as const) {
    it(`p50 ≤ 1 ms on a SQLite ${kind} database`, async () => {
      const dir = tempDir('keel-pipelines-bench-')
      const driver = new SqliteDriver({ path: kind === 'memory' ? ':memory:' : `${dir.path}/keel.db` })
      try {
        await migrate(driver, SQLITE_MIGRATIONS)
        const store = new SqlPipelineStore(driver, { clock: manualClock(T0) })
        const steps = 500
        await store.createRun(runRecord('bench'), Array.from({ length: steps }, (_, i) => stepRecord('bench', `s${i}`)))
        const samples: number[] = []
        for (let i = 0; i < steps; i++) {
          const attempts = [{ attempt: 1, worker: 'local', startedAt: T0 + i }]
          const running = stepRecord('bench', `s${i}`, { status: 'running', attempt: 1, worker: 'local', startedAt: T0 + i, attempts })
          const done = { ...running, status: 'succeeded' as const, outputs: { value: i, ref: { uri: `mlflow-artifacts:/x/${i}`, digest: 'd' } }, finishedAt: T0 + i + 1 }
          let t = process.hrtime.bigint()
          expect(await store.updateStep(running, ['pending'])).toBe(true)
          samples.push(Number(process.hrtime.bigint() - t) / 1e6)
          t = process.hrtime.bigint()
          expect(await store.updateStep(done, ['running'])).toBe(true)
          samples.push(Number(process.hrtime.bigint() - t) / 1e6)
        }
        samples.sort((a, b) => a - b)
        const p50 = percentile(samples, 50)
        const p99 = percentile(samples, 99)
        console.log(`updateStep on SQLite ${kind}: p50 ${p50.toFixed(3)} ms, p99 ${p99.toFixed(3)} ms over ${samples.length} calls`)
        expect(p50).toBeLessThanOrEqual(1)
        expect((await store.getSteps('bench')).every((s) => s.status === 'succeeded')).toBe(true)
      } finally {
        await driver.close()
        dir.remove()
      }
    })
  }
})

describe('pipelines HTTP API', () => {
  it('answers 404 for an unknown run, 400 for bad messages, and NOT_IMPLEMENTED without a store', async () => {
    const { driver } = await sqliteMemoryDatabase()
    const dir = tempDir('keel-pipelines-wire-')
    const app = await keelServer(driver, dir.path)
    const bare = await keelServerOver(driver, `${dir.path}/bare`, {}, manualClock(T0))
    try {
      const missing = await app.inject({ method: 'GET', url: '/api/keel/v1/pipelines/runs/get?run_id=ghost' })
      expect(missing.statusCode).toBe(404)
      expect(missing.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' })
      const badStatus = await app.inject({ method: 'GET', url: '/api/keel/v1/pipelines/runs?status=exploded' })
      expect(badStatus.statusCode).toBe(400)
      expect(badStatus.json().message).toContain('status')
      const noExpected = await app.inject({
        method: 'POST',
        url: '/api/keel/v1/pipelines/steps/update',
        payload: { step: { run_id: 'r', step: 'a', status: 'running', attempt: 1, cache_key: '', cache_reason: '', attempts: [] }, expected: [] },
      })
      expect(noExpected.statusCode).toBe(400)
      const created = await app.inject({
        method: 'POST',
        url: '/api/keel/v1/pipelines/runs',
        payload: {
          run: { id: 'r', pipeline: 'p', definition_digest: 'd', params: { n: 1 }, status: 'pending', tracking_run_id: 't', created_at: 1, updated_at: 1 },
          steps: [{ run_id: 'r', step: 'a', status: 'pending', attempt: 0, cache_key: 'k', cache_reason: 'new', attempts: [] }],
        },
      })
      expect(created.statusCode).toBe(200)
      const steps = await app.inject({ method: 'GET', url: '/api/keel/v1/pipelines/steps?run_id=r' })
      expect(steps.json()).toEqual({ steps: [{ run_id: 'r', step: 'a', status: 'pending', attempt: 0, cache_key: 'k', cache_reason: 'new', attempts: [] }] })
      const off = await bare.inject({ method: 'GET', url: '/api/keel/v1/pipelines/runs' })
      expect(off.statusCode).toBe(501)
      expect(off.json()).toMatchObject({ error_code: 'NOT_IMPLEMENTED' })
    } finally {
      await app.close()
      await bare.close()
      await driver.close()
      dir.remove()
    }
  })
})

describe('wiring', () => {
  it('keel.pipelines is the SQL store of a SQLite URI, and the HTTP store of a keel server URI', async () => {
    const dir = tempDir('keel-pipelines-wiring-')
    const local = await Keel.open(`sqlite:${dir.path}/keel.db`, { cwd: dir.path })
    const { driver } = await sqliteMemoryDatabase()
    const app = await keelServer(driver, `${dir.path}/server-artifacts`)
    try {
      expect(local.pipelines).toBeInstanceOf(SqlPipelineStore)
      await local.pipelines.createRun(runRecord('local-run'), [])
      expect((await local.pipelines.getRun('local-run'))?.id).toBe('local-run')
      const address = await app.listen({ host: '127.0.0.1', port: 0 })
      const remote = await openStores(address, { http: { maxRetries: 0 } })
      try {
        expect(remote.pipelines).toBeInstanceOf(HttpPipelineStore)
        await remote.pipelines.createRun(runRecord('remote-run'), [stepRecord('remote-run', 'a')])
        expect((await new SqlPipelineStore(driver, { clock: manualClock() }).getSteps('remote-run')).map((s) => s.step)).toEqual(['a'])
      } finally {
        await remote.close()
      }
    } finally {
      await local.close()
      await app.close()
      await driver.close()
      dir.remove()
    }
  })
})
