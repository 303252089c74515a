import pg from 'pg'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../../src/core/clock.js'
import type { Clock } from '../../src/core/clock.js'
import { Registry } from '../../src/registry/registry.js'
import { migrate } from '../../src/store/sql/migrate.js'
import { SqlRegistryStore } from '../../src/store/sql/registry/sql-registry-store.js'
import { DELIVERY_LEASE_MS } from '../../src/store/sql/registry/sql-webhooks.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'
import { POSTGRES_URL, freshPostgresDatabase } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'
import { describeRegistryStore } from './registry-store.contract.js'
import type { RegistryStoreHandle } from './registry-store.contract.js'

const NO_POSTGRES = POSTGRES_URL === undefined ? 'POSTGRES_URL is not set (eval "$(scripts/start-postgres.sh)")' : undefined

interface Opened {
  driver: SqlDriver
  store: SqlRegistryStore
  close(): Promise<void>
}

async function openSqlite(clock: Clock, path = ':memory:'): Promise<Opened> {
  const driver = new SqliteDriver({ path })
  await migrate(driver, SQLITE_MIGRATIONS)
  return { driver, store: new SqlRegistryStore(driver, { clock }), close: () => driver.close() }
}

async function openSqliteFile(clock: Clock): Promise<Opened> {
  const dir = tempDir('keel-registry-')
  const opened = await openSqlite(clock, `${dir.path}/keel.db`)
  return {
    ...opened,
    close: async () => {
      await opened.close()
      dir.remove()
    },
  }
}

async function dropDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)}`)
  } finally {
    await admin.end()
  }
}

async function openPostgres(clock: Clock): Promise<Opened> {
  const url = await freshPostgresDatabase()
  const driver = new PostgresDriver({ connectionString: url })
  await migrate(driver, POSTGRES_MIGRATIONS)
  return {
    driver,
    store: new SqlRegistryStore(driver, { clock }),
    close: async () => {
      await driver.close()
      await dropDatabase(url)
    },
  }
}

const handle = (opened: Opened): RegistryStoreHandle => ({ store: opened.store, close: opened.close })

describeRegistryStore('SQLite :memory:', async (clock) => handle(await openSqlite(clock)))
describeRegistryStore('SQLite file', async (clock) => handle(await openSqliteFile(clock)))
describeRegistryStore('Registry service over SQLite', async (clock) => {
  const opened = await openSqlite(clock)
  return { store: new Registry(opened.store, { clock }), close: opened.close }
})
describeRegistryStore('PostgreSQL', async (clock) => handle(await openPostgres(clock)), NO_POSTGRES === undefined ? {} : { skipReason: NO_POSTGRES })

/** What the port cannot show: the outbox table itself and the delivery lease. */
function describeSqlSpecifics(label: string, open: (clock: Clock) => Promise<Opened>, skipReason?: string): void {
  describe.skipIf(skipReason !== undefined)(`SqlRegistryStore on ${label}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    let opened: Opened
    let clock: ReturnType<typeof manualClock>
    beforeEach(async () => {
      clock = manualClock()
      opened = await open(clock)
    })
    afterEach(async () => {
      await opened.close()
    })

    const events = async (): Promise<{ type: string; payload: unknown }[]> =>
      (await opened.driver.all<{ type: string; payload: unknown }>('SELECT type, payload FROM registry_events ORDER BY id')).map((r) => ({
        type: r.type,
        payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
      }))

    it('writes an outbox row for every event even with no webhook, and none for a failed call', async () => {
      const s = opened.store
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createModelVersion({ name: 'fraud', source: 's', runId: 'r' })
      await s.setAlias('fraud', 'champion', '1', 'ana')
      await s.createModelVersion({ name: 'absent', source: 's' }).catch(() => undefined)
      await s.setAlias('fraud', 'champion', '9', 'ana').catch(() => undefined)
      expect(await events()).toEqual([
        { type: 'registered_model.created', payload: { name: 'fraud', tags: {}, description: null } },
        {
          type: 'model_version.created',
          payload: { name: 'fraud', version: '1', source: 's', run_id: 'r', tags: {}, description: null },
        },
        { type: 'model_version_alias.created', payload: { name: 'fraud', alias: 'champion', version: '1', from_version: null } },
      ])
      const counts = await opened.driver.get<{ n: number }>('SELECT COUNT(*) AS n FROM webhook_deliveries')
      expect(Number(counts?.n)).toBe(0)
    })

    it('leases a due delivery to one caller until its attempt is recorded or the lease ends', async () => {
      const s = opened.store
      await s.createWebhook({ name: 'h', url: 'http://127.0.0.1:9/', events: ['registered_model.created'] })
      await s.createRegisteredModel({ name: 'fraud' })
      const now = clock.now()
      const [first, second] = await Promise.all([s.dueDeliveries(now, 10), s.dueDeliveries(now, 10)])
      expect([...first!, ...second!]).toHaveLength(1)
      expect(await s.dueDeliveries(now + DELIVERY_LEASE_MS - 1, 10)).toEqual([])
      const again = await s.dueDeliveries(now + DELIVERY_LEASE_MS, 10)
      expect(again).toHaveLength(1)
      expect(again[0]!.attempts).toBe(0)
    })

    it('keeps the secret out of reads but hands it to the dispatcher', async () => {
      const hook = await opened.store.createWebhook({ name: 'h', url: 'http://x/', events: ['registered_model.created'], secret: 'k' })
      expect(await opened.store.webhookSecret(hook.webhookId)).toBe('k')
      await expect(opened.store.webhookSecret('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    })

    it('rejects bad limits and out-of-range ids without a driver error', async () => {
      await expect(opened.store.dueDeliveries(clock.now(), 0)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
      await expect(opened.store.listDeliveries('x', 100_000)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
      await expect(
        opened.store.recordDeliveryAttempt(1.5, { status: 'DELIVERED', nextAttemptAt: 0, error: '' }),
      ).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    })
  })
}

describeSqlSpecifics('SQLite', (clock) => openSqlite(clock))
describeSqlSpecifics('PostgreSQL', (clock) => openPostgres(clock), NO_POSTGRES)
