/**
 * The few primitives keel's SQL stores need, implemented once for SQLite and once for PostgreSQL.
 * SQL is written with `?` placeholders (the PostgreSQL driver numbers them), so never put a literal `?`
 * inside a SQL string; pass it as a parameter.
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer | Uint8Array
export type SqlDialect = 'sqlite' | 'postgres'

export interface RunResult {
  changes: number
}

export interface SqlExecutor {
  readonly dialect: SqlDialect
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>
  get<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>
}

export interface SqlDriver extends SqlExecutor {
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. Not re-entrant. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>
  /** Several `;`-separated statements without parameters (migrations). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}
