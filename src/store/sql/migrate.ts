import { createHash } from 'node:crypto'
import { KeelError } from '../../core/errors.js'
import type { SqlDriver } from './sql-driver.js'

/** One append-only schema step. A migration that has shipped is never edited or reordered. */
export interface Migration {
  id: number
  name: string
  sql: string
}

const LOCK_KEY = 7_342_001 // arbitrary, fixed: PostgreSQL advisory lock for keel's migrations

/**
 * Applies the migrations not yet recorded in `keel_migrations`, each in its own transaction, and
 * refuses to start when an applied migration's text changed (its sha256 is recorded).
 */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[]): Promise<number> {
  await driver.exec(
    'CREATE TABLE IF NOT EXISTS keel_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at BIGINT NOT NULL)',
  )
  return driver.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(?)', [LOCK_KEY])
    const applied = await tx.all<{ id: number; name: string; sha256: string }>(
      'SELECT id, name, sha256 FROM keel_migrations ORDER BY id',
    )
    const byId = new Map(applied.map((row) => [Number(row.id), row]))
    let count = 0
    for (const migration of [...migrations].sort((a, b) => a.id - b.id)) {
      const digest = createHash('sha256').update(migration.sql).digest('hex')
      const done = byId.get(migration.id)
      if (done !== undefined) {
        if (done.sha256 !== digest) {
          throw new KeelError(
            'INVALID_STATE',
            `Migration ${migration.id} (${migration.name}) differs from the one applied to this database; migrations are append-only, add a new one instead.`,
          )
        }
        continue
      }
      for (const statement of splitStatements(migration.sql)) await tx.run(statement)
      await tx.run('INSERT INTO keel_migrations (id, name, sha256, applied_at) VALUES (?, ?, ?, ?)', [
        migration.id,
        migration.name,
        digest,
        Date.now(),
      ])
      count++
    }
    return count
  })
}

/** Migrations hold plain DDL: statements end at `;` at the end of a line. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0)
}
