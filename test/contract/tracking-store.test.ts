import pg from 'pg'
import { describe } from 'vitest'
import { manualClock } from '../../src/core/clock.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js'
import { migrate } from '../../src/store/sql/migrate.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { SqlTrackingStore } from '../../src/store/sql/tracking/sql-tracking-store.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'
import { POSTGRES_URL, freshPostgresDatabase } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { describeTrackingStore } from './tracking-store.contract.js'
import type { TrackingStoreHarness } from './tracking-store.contract.js'

async function harness(driver: SqlDriver, migrations: Parameters<typeof migrate>[1], cleanup: () => Promise<void>, metricBlockSize?: number): Promise<TrackingStoreHarness> {
  await migrate(driver, migrations)
  const clock = manualClock()
  const store = new SqlTrackingStore(driver, metricBlockSize === undefined ? { clock } : { clock, metricBlockSize })
  return {
    store,
    clock,
    async close() {
      await store.close()
      await driver.close()
      await cleanup()
    },
  }
}

describeTrackingStore('SQLite :memory:', () => harness(new SqliteDriver({ path: ':memory:' }), SQLITE_MIGRATIONS, async () => {}))

// Tiny metric blocks make every history test cross block boundaries many times.
describeTrackingStore('SQLite file, 7-point metric blocks', async () => {
  const dir = tempDir('keel-tracking-')
  return harness(new SqliteDriver({ path: `${dir.path}/keel.db` }), SQLITE_MIGRATIONS, async () => dir.remove(), 7)
})

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL (set POSTGRES_URL, see scripts/start-postgres.sh)', () => {
  describeTrackingStore('PostgreSQL', async () => {
    const url = await freshPostgresDatabase()
    const name = new URL(url).pathname.slice(1)
    return harness(new PostgresDriver({ connectionString: url, maxConnections: 4 }), POSTGRES_MIGRATIONS, async () => {
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
