import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { manualClock } from '../../src/core/clock.js'
import { Registry } from '../../src/registry/registry.js'
import { createServer } from '../../src/server/create-server.js'
import { FsArtifactStore } from '../../src/store/artifacts/fs-artifact-store.js'
import { HttpPredictionStore } from '../../src/store/http/http-prediction-store.js'
import { HttpTransport } from '../../src/store/http/http-transport.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { migrate } from '../../src/store/sql/migrate.js'
import { openStores } from '../../src/store/open-stores.js'
import { SqlPredictionStore } from '../../src/store/sql/predictions/sql-prediction-store.js'
import { SqlRegistryStore } from '../../src/store/sql/registry/sql-registry-store.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { SqlTrackingStore } from '../../src/store/sql/tracking/sql-tracking-store.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'
import { Tracking } from '../../src/tracking/tracking.js'
import { POSTGRES_URL, freshPostgresDatabase } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { describePredictionStore, prediction } from './prediction-store.contract.js'
import type { PredictionStoreHarness } from './prediction-store.contract.js'

async function sqlHarness(driver: SqlDriver, migrations: Parameters<typeof migrate>[1], cleanup: () => Promise<void>): Promise<PredictionStoreHarness> {
  await migrate(driver, migrations)
  return {
    store: new SqlPredictionStore(driver),
    async close() {
      await driver.close()
      await cleanup()
    },
  }
}

describePredictionStore('SQLite :memory:', () => sqlHarness(new SqliteDriver({ path: ':memory:' }), SQLITE_MIGRATIONS, async () => {}))

describePredictionStore('SQLite file', async () => {
  const dir = tempDir('keel-predictions-')
  return sqlHarness(new SqliteDriver({ path: `${dir.path}/keel.db` }), SQLITE_MIGRATIONS, async () => dir.remove())
})

// The HTTP adapter against a real keel server (createServer over SQLite, listening on 127.0.0.1:0).
describePredictionStore('HTTP against a keel server', async () => {
  const driver = new SqliteDriver({ path: ':memory:' })
  await migrate(driver, SQLITE_MIGRATIONS)
  const clock = manualClock()
  const dir = tempDir('keel-predictions-http-')
  const app = await createServer({
    tracking: new Tracking(new SqlTrackingStore(driver, { clock }), { clock }),
    registry: new Registry(new SqlRegistryStore(driver, { clock }), { clock }),
    artifacts: new FsArtifactStore({ root: dir.path }),
    predictions: new SqlPredictionStore(driver),
    clock,
  })
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const transport = new HttpTransport({ baseUrl: address, maxRetries: 0 })
  return {
    store: new HttpPredictionStore(transport),
    async close() {
      await transport.close()
      await app.close()
      await driver.close()
      dir.remove()
    },
  }
})

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL (set POSTGRES_URL, see scripts/start-postgres.sh)', () => {
  describePredictionStore('PostgreSQL', async () => {
    const url = await freshPostgresDatabase()
    const name = new URL(url).pathname.slice(1)
    return sqlHarness(new PostgresDriver({ connectionString: url, maxConnections: 4 }), POSTGRES_MIGRATIONS, async () => {
      const admin = new pg.Client({ connectionString: POSTGRES_URL })
      await admin.connect()
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`)
      } finally {
        await admin.end()
      }
    })
  })
})

describe('wiring', () => {
  it('keel.predictions is the SQL store of a SQLite URI, and the HTTP store of a keel server URI', async () => {
    const dir = tempDir('keel-predictions-wiring-')
    const local = await Keel.open(`sqlite:${dir.path}/keel.db`, { cwd: dir.path })
    const driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, SQLITE_MIGRATIONS)
    const clock = manualClock()
    const app = await createServer({
      tracking: new Tracking(new SqlTrackingStore(driver, { clock }), { clock }),
      registry: new Registry(new SqlRegistryStore(driver, { clock }), { clock }),
      artifacts: new FsArtifactStore({ root: `${dir.path}/server-artifacts` }),
      predictions: new SqlPredictionStore(driver),
    })
    try {
      expect(local.predictions).toBeInstanceOf(SqlPredictionStore)
      await local.predictions.appendPredictions([prediction(1), prediction(2)])
      expect(await local.predictions.countPredictions({ deployment: 'fraud' })).toBe(2)

      const address = await app.listen({ host: '127.0.0.1', port: 0 })
      const remote = await openStores(address, { http: { maxRetries: 0 } })
      try {
        expect(remote.predictions).toBeInstanceOf(HttpPredictionStore)
        await remote.predictions.appendPredictions([prediction(3)])
        expect(await new SqlPredictionStore(driver).countPredictions({})).toBe(1)
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
