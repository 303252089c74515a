import pg from 'pg'
import type { Clock } from '../../src/core/clock.js'
import { manualClock } from '../../src/core/clock.js'
import { Registry } from '../../src/registry/registry.js'
import { createServer } from '../../src/server/create-server.js'
import type { ServerOptions } from '../../src/server/create-server.js'
import { FsArtifactStore } from '../../src/store/artifacts/fs-artifact-store.js'
import { HttpTransport } from '../../src/store/http/http-transport.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { migrate } from '../../src/store/sql/migrate.js'
import { SqlRegistryStore } from '../../src/store/sql/registry/sql-registry-store.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { SqlTrackingStore } from '../../src/store/sql/tracking/sql-tracking-store.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'
import { Tracking } from '../../src/tracking/tracking.js'
import { POSTGRES_URL, freshPostgresDatabase } from './postgres.js'
import { tempDir } from './temp-dir.js'

/**
 * The wiring every store contract runner shares: a migrated database per suite (SQLite in memory, SQLite file, a
 * fresh PostgreSQL database), and a real keel server over SQLite for the HTTP adapters.
 */
export interface MigratedDatabase {
  driver: SqlDriver
  /** Closes the driver and removes what the database left (the file, the PostgreSQL database). */
  close(): Promise<void>
}

export async function sqliteMemoryDatabase(): Promise<MigratedDatabase> {
  const driver = new SqliteDriver({ path: ':memory:' })
  await migrate(driver, SQLITE_MIGRATIONS)
  return { driver, close: () => driver.close() }
}

export async function sqliteFileDatabase(prefix: string): Promise<MigratedDatabase> {
  const dir = tempDir(prefix)
  const driver = new SqliteDriver({ path: `${dir.path}/keel.db` })
  await migrate(driver, SQLITE_MIGRATIONS)
  return {
    driver,
    async close() {
      await driver.close()
      dir.remove()
    },
  }
}

/** A brand-new database on `POSTGRES_URL`, dropped on close. */
export async function postgresDatabase(maxConnections: number): Promise<MigratedDatabase> {
  const url = await freshPostgresDatabase()
  const name = new URL(url).pathname.slice(1)
  const driver = new PostgresDriver({ connectionString: url, maxConnections })
  await migrate(driver, POSTGRES_MIGRATIONS)
  return {
    driver,
    async close() {
      await driver.close()
      const admin = new pg.Client({ connectionString: POSTGRES_URL })
      await admin.connect()
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${name}`)
      } finally {
        await admin.end()
      }
    },
  }
}

/** The ports a test server may carry beside tracking, registry and artifacts. */
export type ExtraStores = Pick<ServerOptions, 'predictions' | 'monitoring' | 'pipelines'>

/** A keel server over `driver` (artifacts under `root`), not yet listening. */
export function keelServerOver(driver: SqlDriver, root: string, stores: ExtraStores, clock: Clock = manualClock()): ReturnType<typeof createServer> {
  return createServer({
    tracking: new Tracking(new SqlTrackingStore(driver, { clock }), { clock }),
    registry: new Registry(new SqlRegistryStore(driver, { clock }), { clock }),
    artifacts: new FsArtifactStore({ root }),
    ...stores,
    clock,
  })
}

export interface ServedDatabase {
  driver: SqlDriver
  /** A transport to the listening server, for the HTTP adapters. */
  transport: HttpTransport
  close(): Promise<void>
}

/** An in-memory SQLite database behind a real keel server listening on 127.0.0.1:0. */
export async function servedSqliteDatabase(prefix: string, stores: (driver: SqlDriver) => ExtraStores, clock?: Clock): Promise<ServedDatabase> {
  const { driver } = await sqliteMemoryDatabase()
  const dir = tempDir(prefix)
  const app = await keelServerOver(driver, dir.path, stores(driver), clock)
  const address = await app.listen({ host: '127.0.0.1', port: 0 })
  const transport = new HttpTransport({ baseUrl: address, maxRetries: 0 })
  return {
    driver,
    transport,
    async close() {
      await transport.close()
      await app.close()
      await driver.close()
      dir.remove()
    },
  }
}
