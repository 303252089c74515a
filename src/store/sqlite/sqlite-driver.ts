import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { KeelError } from '../../core/errors.js'
import type { RunResult, SqlDriver, SqlExecutor, SqlValue } from '../sql/sql-driver.js'

type Statement = Database.Statement<unknown[], unknown>

const MAX_CACHED_STATEMENTS = 500

export interface SqliteDriverOptions {
  /** `:memory:` or a file path; parent folders are created. */
  path: string
  /** `NORMAL` survives a killed process (WAL); `FULL` also survives power loss, at some write speed. */
  synchronous?: 'NORMAL' | 'FULL'
}

/**
 * better-sqlite3 is synchronous and one connection serves everything, so an async transaction must not
 * interleave with other callers' statements: statements wait while a transaction holds the connection.
 * The check and the statement must run in the same tick (no `await` between them when the connection is
 * free), or a statement could slip into a transaction that began in between.
 */
export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const
  readonly db: Database.Database
  private readonly statements = new Map<string, Statement>()
  private lock: Promise<void> = Promise.resolve()
  private inTransaction = false
  private readonly direct: SqlExecutor

  constructor(options: SqliteDriverOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
    this.db = new Database(options.path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`)
    this.db.pragma('foreign_keys = ON')
    this.db.pragma('busy_timeout = 5000')
    // LIKE must be case-sensitive as in MLflow and PostgreSQL; ILIKE is written as lower() LIKE lower().
    this.db.pragma('case_sensitive_like = ON')
    const self = this
    this.direct = {
      dialect: 'sqlite',
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => self.allSync<T>(sql, params),
      get: async <T>(sql: string, params: readonly SqlValue[] = []) => self.getSync<T>(sql, params),
      run: async (sql: string, params: readonly SqlValue[] = []) => self.runSync(sql, params),
    }
  }

  // Searches built from user filters make many statement shapes; keep the most recently used ones (a Map
  // iterates in insertion order, so re-inserting on use makes the first key the least recently used).
  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      if (this.statements.size >= MAX_CACHED_STATEMENTS) {
        this.statements.delete(this.statements.keys().next().value as string)
      }
    } else {
      this.statements.delete(sql)
    }
    this.statements.set(sql, statement)
    return statement
  }

  allSync<T>(sql: string, params: readonly SqlValue[]): T[] {
    return wrap(() => this.prepare(sql).all(...params) as T[])
  }

  getSync<T>(sql: string, params: readonly SqlValue[]): T | undefined {
    return wrap(() => this.prepare(sql).get(...params) as T | undefined)
  }

  runSync(sql: string, params: readonly SqlValue[]): RunResult {
    return wrap(() => ({ changes: this.prepare(sql).run(...params).changes }))
  }

  async all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    while (this.inTransaction) await this.lock
    return this.allSync<T>(sql, params)
  }

  async get<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    while (this.inTransaction) await this.lock
    return this.getSync<T>(sql, params)
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    while (this.inTransaction) await this.lock
    return this.runSync(sql, params)
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const previous = this.lock
    let release!: () => void
    this.lock = new Promise<void>((resolve) => {
      release = resolve
    })
    await previous
    this.inTransaction = true
    try {
      this.prepare('BEGIN IMMEDIATE').run()
      try {
        const result = await fn(this.direct)
        this.prepare('COMMIT').run()
        return result
      } catch (error) {
        if (this.db.inTransaction) this.prepare('ROLLBACK').run()
        throw error
      }
    } finally {
      this.inTransaction = false
      release()
    }
  }

  async exec(sql: string): Promise<void> {
    while (this.inTransaction) await this.lock
    wrap(() => this.db.exec(sql))
  }

  async close(): Promise<void> {
    while (this.inTransaction) await this.lock
    this.statements.clear()
    if (this.db.open) this.db.close()
  }

  /** `PRAGMA integrity_check` → `['ok']` when the file is sound. */
  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check)
  }
}

function wrap<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new KeelError('TEMPORARILY_UNAVAILABLE', 'The database is busy; retry the call.', {
        cause: error,
        retryable: true,
      })
    }
    throw error
  }
}
