import { describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { HttpPredictionStore } from '../../src/store/http/http-prediction-store.js'
import { openStores } from '../../src/store/open-stores.js'
import { SqlPredictionStore } from '../../src/store/sql/predictions/sql-prediction-store.js'
import { POSTGRES_URL } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { keelServerOver, postgresDatabase, servedSqliteDatabase, sqliteFileDatabase, sqliteMemoryDatabase } from '../support/sql-store-harness.js'
import type { MigratedDatabase } from '../support/sql-store-harness.js'
import { describePredictionStore, prediction } from './prediction-store.contract.js'
import type { PredictionStoreHarness } from './prediction-store.contract.js'

const sql = (db: MigratedDatabase): PredictionStoreHarness => ({ store: new SqlPredictionStore(db.driver), close: () => db.close() })

describePredictionStore('SQLite :memory:', async () => sql(await sqliteMemoryDatabase()))
describePredictionStore('SQLite file', async () => sql(await sqliteFileDatabase('keel-predictions-')))

// The HTTP adapter against a real keel server (createServer over SQLite, listening on 127.0.0.1:0).
describePredictionStore('HTTP against a keel server', async () => {
  const served = await servedSqliteDatabase('keel-predictions-http-', (driver) => ({ predictions: new SqlPredictionStore(driver) }))
  return { store: new HttpPredictionStore(served.transport), close: () => served.close() }
})

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL (set POSTGRES_URL, see scripts/start-postgres.sh)', () => {
  describePredictionStore('PostgreSQL', async () => sql(await postgresDatabase(4)))
})

describe('wiring', () => {
  it('keel.predictions is the SQL store of a SQLite URI, and the HTTP store of a keel server URI', async () => {
    const dir = tempDir('keel-predictions-wiring-')
    const local = await Keel.open(`sqlite:${dir.path}/keel.db`, { cwd: dir.path })
    const { driver } = await sqliteMemoryDatabase()
    const app = await keelServerOver(driver, `${dir.path}/server-artifacts`, { predictions: new SqlPredictionStore(driver) })
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
