import { describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { manualClock } from '../../src/core/clock.js'
import { HttpMonitoringStore } from '../../src/store/http/http-monitoring-store.js'
import { openStores } from '../../src/store/open-stores.js'
import { SqlMonitoringStore } from '../../src/store/sql/monitoring/sql-monitoring-store.js'
import { SqlPredictionStore } from '../../src/store/sql/predictions/sql-prediction-store.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { POSTGRES_URL } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { keelServerOver, postgresDatabase, servedSqliteDatabase, sqliteFileDatabase, sqliteMemoryDatabase } from '../support/sql-store-harness.js'
import type { ExtraStores, MigratedDatabase } from '../support/sql-store-harness.js'
import { RECEIVED_AT, describeMonitoringStore } from './monitoring-store.contract.js'
import type { MonitoringStoreHarness } from './monitoring-store.contract.js'

const sql = (db: MigratedDatabase): MonitoringStoreHarness => ({
  store: new SqlMonitoringStore(db.driver),
  predictions: new SqlPredictionStore(db.driver),
  close: () => db.close(),
})

const serverStores = (driver: SqlDriver): ExtraStores => ({ predictions: new SqlPredictionStore(driver), monitoring: new SqlMonitoringStore(driver) })

/** A keel server with the prediction and monitoring stores; its clock stamps received_at. */
const keelServer = (driver: SqlDriver, root: string) => keelServerOver(driver, root, serverStores(driver), manualClock(RECEIVED_AT))

describeMonitoringStore('SQLite :memory:', async () => sql(await sqliteMemoryDatabase()))
describeMonitoringStore('SQLite file', async () => sql(await sqliteFileDatabase('keel-monitoring-')))

// The HTTP adapter against a real keel server (createServer over SQLite, listening on 127.0.0.1:0); the
// server's clock stamps received_at.
describeMonitoringStore('HTTP against a keel server', async () => {
  const served = await servedSqliteDatabase('keel-monitoring-http-', serverStores, manualClock(RECEIVED_AT))
  return { store: new HttpMonitoringStore(served.transport), predictions: new SqlPredictionStore(served.driver), close: () => served.close() }
})

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL (set POSTGRES_URL, see scripts/start-postgres.sh)', () => {
  describeMonitoringStore('PostgreSQL', async () => sql(await postgresDatabase(4)))
})

describe('monitoring HTTP API', () => {
  it('answers 404, 400 and RESOURCE_ALREADY_EXISTS on the wire, and caps a request at 10,000 outcomes', async () => {
    const { driver } = await sqliteMemoryDatabase()
    const dir = tempDir('keel-monitoring-wire-')
    const app = await keelServer(driver, dir.path)
    try {
      await new SqlPredictionStore(driver).appendPredictions([
        { id: 'p1', deployment: 'fraud', model: 'fraud', version: '1', arm: 'champion', timestamp: 1, inputs: {}, outputs: { prediction: '1', probability_0: 0.2, probability_1: 0.8 } },
      ])
      const post = (feedback: unknown) => app.inject({ method: 'POST', url: '/api/keel/v1/feedback', payload: { feedback } })
      const unknown = await post([{ prediction_id: 'ghost', outcome: '1' }])
      expect(unknown.statusCode).toBe(404)
      expect(unknown.json()).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' })
      expect(unknown.json().message).toContain("'ghost'")
      const wrong = await post([{ prediction_id: 'p1', outcome: 'yes' }])
      expect(wrong.statusCode).toBe(400)
      expect(wrong.json().message).toContain('"0", "1"')
      const ok = await post([{ prediction_id: 'p1', outcome: 1 }])
      expect(ok.statusCode).toBe(200)
      expect(ok.json()).toEqual({ accepted: 1, duplicates: 0 })
      expect((await post([{ prediction_id: 'p1', outcome: '1' }])).json()).toEqual({ accepted: 0, duplicates: 1 })
      const conflict = await post([{ prediction_id: 'p1', outcome: '0' }])
      expect(conflict.statusCode).toBe(400)
      expect(conflict.json()).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS' })
      const tooMany = await post(Array.from({ length: 10_001 }, (_, i) => ({ prediction_id: `x${i}`, outcome: '1' })))
      expect(tooMany.statusCode).toBe(400)
      expect(tooMany.json().message).toMatch(/10000/)
      const listed = await app.inject({ method: 'GET', url: '/api/keel/v1/feedback?prediction_ids=p1&prediction_ids=ghost' })
      expect(listed.json()).toEqual({ feedback: [{ prediction_id: 'p1', outcome: '1', received_at: RECEIVED_AT }] })
      const alerts = await app.inject({ method: 'GET', url: '/api/keel/v1/alerts?model=fraud&rule=drift&from=0&to=10' })
      expect(alerts.json()).toEqual({ alerts: [] })
    } finally {
      await app.close()
      await driver.close()
      dir.remove()
    }
  })
})

describe('wiring', () => {
  it('keel.monitoring is the SQL store of a SQLite URI, and the HTTP store of a keel server URI', async () => {
    const dir = tempDir('keel-monitoring-wiring-')
    const local = await Keel.open(`sqlite:${dir.path}/keel.db`, { cwd: dir.path })
    const { driver } = await sqliteMemoryDatabase()
    const app = await keelServer(driver, `${dir.path}/server-artifacts`)
    try {
      expect(local.monitoring).toBeInstanceOf(SqlMonitoringStore)
      const address = await app.listen({ host: '127.0.0.1', port: 0 })
      const remote = await openStores(address, { http: { maxRetries: 0 } })
      try {
        expect(remote.monitoring).toBeInstanceOf(HttpMonitoringStore)
        await remote.monitoring.appendAlert({
          id: 'a1', rule: 'r', model: 'fraud', version: '1', metric: 'drift.share', value: 0.7, threshold: 0.5,
          severity: 'critical', window: { index: 0, from: 0, to: 10, rows: 5 }, firedAt: 5,
        })
        expect((await new SqlMonitoringStore(driver).lastAlert('r', 'fraud'))?.severity).toBe('critical')
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
