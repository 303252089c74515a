import pg from 'pg'
import { KeelError } from '../../core/errors.js'
import type { RunResult, SqlDriver, SqlExecutor, SqlValue } from '../sql/sql-driver.js'

export interface PostgresDriverOptions {
  connectionString: string
  /** Pool size; keep it small, a team's many clients share one server (MLflow's "too many connections"). */
  maxConnections?: number
}

const INT8_OID = 20
const NUMERIC_OID = 1700

// int8 columns hold millisecond timestamps and steps, which fit a double exactly; parse them as numbers.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format as 'text')
  },
} as unknown as pg.CustomTypesConfig

/** `?` placeholders → `$1, $2, ...` (keel's SQL never carries a literal `?`). */
export function numberPlaceholders(sql: string): string {
  let n = 0
  return sql.replace(/\?/g, () => `$${++n}`)
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const
  readonly pool: pg.Pool
  private readonly cache = new Map<string, string>()

  constructor(options: PostgresDriverOptions) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      types,
    })
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    this.pool.on('error', () => {})
  }

  private text(sql: string): string {
    let converted = this.cache.get(sql)
    if (converted === undefined) {
      converted = numberPlaceholders(sql)
      this.cache.set(sql, converted)
    }
    return converted
  }

  private executor(client: pg.Pool | pg.PoolClient): SqlExecutor {
    const query = async (sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult> => {
      try {
        return await client.query(this.text(sql), params as unknown[])
      } catch (error) {
        throw translate(error)
      }
    }
    return {
      dialect: 'postgres',
      all: async <T>(sql: string, params: readonly SqlValue[] = []) => (await query(sql, params)).rows as T[],
      get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
        (await query(sql, params)).rows[0] as T | undefined,
      run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => ({
        changes: (await query(sql, params)).rowCount ?? 0,
      }),
    }
  }

  all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.executor(this.pool).all<T>(sql, params)
  }

  get<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
    return this.executor(this.pool).get<T>(sql, params)
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<RunResult> {
    return this.executor(this.pool).run(sql, params)
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw translate(error)
    })
    try {
      await client.query('BEGIN')
      try {
        const result = await fn(this.executor(client))
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      }
    } finally {
      client.release()
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.pool.query(sql)
    } catch (error) {
      throw translate(error)
    }
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}

/** Connection loss and serialization conflicts are retryable; everything else passes through. */
function translate(error: unknown): unknown {
  const code = (error as { code?: unknown }).code
  if (typeof code !== 'string') return error
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code.startsWith('08') || code === '57P01') {
    return new KeelError('TEMPORARILY_UNAVAILABLE', 'The PostgreSQL server is unreachable; retry the call.', {
      cause: error,
      retryable: true,
    })
  }
  if (code === '40001' || code === '40P01') {
    return new KeelError('TEMPORARILY_UNAVAILABLE', 'A concurrent write conflicted; retry the call.', {
      cause: error,
      retryable: true,
    })
  }
  return error
}
