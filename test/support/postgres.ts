import pg from 'pg'
import { randomBytes } from 'node:crypto'

/** The PostgreSQL server the CI starts (scripts/start-postgres.sh); undefined when none is configured. */
export const POSTGRES_URL = process.env['POSTGRES_URL']

/** A brand-new empty database on the configured server, so test files never share state. */
export async function freshPostgresDatabase(): Promise<string> {
  if (POSTGRES_URL === undefined) throw new Error('POSTGRES_URL is not set')
  const name = `keel_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: POSTGRES_URL })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(POSTGRES_URL)
  url.pathname = `/${name}`
  return url.toString()
}
