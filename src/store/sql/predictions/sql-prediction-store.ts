import { invalidParameter } from '../../../core/errors.js'
import { decodePageToken, encodePageToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import type { PredictionQuery, PredictionRecord, PredictionStore } from '../../../monitoring/prediction-store.js'
import type { SqlDriver, SqlValue } from '../sql-driver.js'

export const DEFAULT_PREDICTION_PAGE = 1_000
export const MAX_PREDICTION_PAGE = 50_000
const ARMS: ReadonlySet<string> = new Set(['champion', 'challenger', 'shadow'])
const COLUMNS = 'id, deployment, model, version, arm, ts, inputs, outputs'
const COLUMN_COUNT = 8
/** Rows per multi-row INSERT: 8 × 128 parameters stays far below both dialects' limits. */
const ROWS_PER_STATEMENT = 128

type Row = {
  id: string
  deployment: string
  model: string
  version: string
  arm: string
  ts: number | bigint
  inputs: string
  outputs: string
}

/**
 * `PredictionStore` on SQLite or PostgreSQL through one `SqlDriver` (same SQL: `ON CONFLICT (id) DO NOTHING`
 * is understood by both). A batch is one transaction of multi-row INSERTs in a few fixed shapes (128, 64, …,
 * 1 rows), so the driver's prepared-statement cache serves every batch size. Reads page by the (ts, id)
 * keyset. Assumes `migrate()` ran; the driver belongs to the caller, which closes it.
 */
export class SqlPredictionStore implements PredictionStore {
  private readonly statements = new Map<number, string>()

  constructor(private readonly driver: SqlDriver) {}

  async appendPredictions(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return
    // Validate and serialise everything before the transaction opens: a bad record rejects the whole batch
    // and never holds the write lock.
    const params: SqlValue[] = new Array<SqlValue>(records.length * COLUMN_COUNT)
    for (let i = 0; i < records.length; i++) writeRecord(records[i]!, i, params)
    await this.driver.transaction(async (tx) => {
      let row = 0
      while (row < records.length) {
        let size = ROWS_PER_STATEMENT
        while (size > records.length - row) size >>= 1
        await tx.run(this.insertSql(size), params.slice(row * COLUMN_COUNT, (row + size) * COLUMN_COUNT))
        row += size
      }
    })
  }

  async listPredictions(query: PredictionQuery): Promise<Page<PredictionRecord>> {
    const limit = pageSize(query.maxResults)
    const where: string[] = []
    const params: SqlValue[] = []
    filters(query, where, params)
    const after = keysetFromToken(query.pageToken)
    if (after !== undefined) {
      where.push('(ts > ? OR (ts = ? AND id > ?))')
      params.push(after.ts, after.ts, after.id)
    }
    params.push(limit + 1)
    const sql = `SELECT ${COLUMNS} FROM predictions${whereSql(where)} ORDER BY ts, id LIMIT ?`
    const rows = await this.driver.all<Row>(sql, params)
    const items = rows.slice(0, limit).map(fromRow)
    const last = items[items.length - 1]
    if (rows.length <= limit || last === undefined) return { items }
    return { items, nextPageToken: encodePageToken({ ts: last.timestamp, id: last.id }) }
  }

  async countPredictions(query: Omit<PredictionQuery, 'maxResults' | 'pageToken'>): Promise<number> {
    const where: string[] = []
    const params: SqlValue[] = []
    filters(query, where, params)
    const row = await this.driver.get<{ n: number | string | bigint }>(
      `SELECT COUNT(*) AS n FROM predictions${whereSql(where)}`,
      params,
    )
    return Number(row?.n ?? 0)
  }

  private insertSql(rows: number): string {
    let sql = this.statements.get(rows)
    if (sql === undefined) {
      const one = `(${'?, '.repeat(COLUMN_COUNT - 1)}?)`
      sql = `INSERT INTO predictions (${COLUMNS}) VALUES ${Array.from({ length: rows }, () => one).join(', ')} ON CONFLICT (id) DO NOTHING`
      this.statements.set(rows, sql)
    }
    return sql
  }
}

function writeRecord(record: PredictionRecord, index: number, out: SqlValue[]): void {
  const at = index * COLUMN_COUNT
  const where = `predictions[${index}]`
  if (typeof record.id !== 'string' || record.id === '') throw invalidParameter(`Missing value for '${where}.id': every prediction needs a non-empty id.`)
  requireText(record.deployment, `${where}.deployment`)
  requireText(record.model, `${where}.model`)
  requireText(record.version, `${where}.version`)
  if (!ARMS.has(record.arm)) {
    throw invalidParameter(`Invalid value '${String(record.arm)}' for '${where}.arm': use champion, challenger or shadow.`)
  }
  if (!Number.isSafeInteger(record.timestamp) || record.timestamp < 0) {
    throw invalidParameter(`Invalid value ${String(record.timestamp)} for '${where}.timestamp': expected epoch milliseconds (a non-negative integer).`)
  }
  out[at] = record.id
  out[at + 1] = record.deployment
  out[at + 2] = record.model
  out[at + 3] = record.version
  out[at + 4] = record.arm
  out[at + 5] = record.timestamp
  out[at + 6] = JSON.stringify(record.inputs ?? {})
  out[at + 7] = JSON.stringify(record.outputs ?? {})
}

function requireText(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '') throw invalidParameter(`Missing value for '${field}': expected a non-empty string.`)
}

function fromRow(row: Row): PredictionRecord {
  return {
    id: row.id,
    deployment: row.deployment,
    model: row.model,
    version: row.version,
    arm: row.arm as PredictionRecord['arm'],
    timestamp: Number(row.ts),
    inputs: JSON.parse(row.inputs) as PredictionRecord['inputs'],
    outputs: JSON.parse(row.outputs) as PredictionRecord['outputs'],
  }
}

function filters(query: Omit<PredictionQuery, 'maxResults' | 'pageToken'>, where: string[], params: SqlValue[]): void {
  if (query.deployment !== undefined) {
    where.push('deployment = ?')
    params.push(query.deployment)
  }
  if (query.model !== undefined) {
    where.push('model = ?')
    params.push(query.model)
  }
  if (query.version !== undefined) {
    where.push('version = ?')
    params.push(query.version)
  }
  if (query.arm !== undefined) {
    if (!ARMS.has(query.arm)) throw invalidParameter(`Invalid value '${String(query.arm)}' for parameter 'arm': use champion, challenger or shadow.`)
    where.push('arm = ?')
    params.push(query.arm)
  }
  const from = timeBound(query.from, 'from')
  const to = timeBound(query.to, 'to')
  if (from !== undefined && to !== undefined && from > to) {
    throw invalidParameter(`Invalid time window: 'from' (${from}) is after 'to' (${to}); 'from' is inclusive, 'to' exclusive.`)
  }
  if (from !== undefined) {
    where.push('ts >= ?')
    params.push(from)
  }
  if (to !== undefined) {
    where.push('ts < ?')
    params.push(to)
  }
}

function timeBound(value: number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value)) throw invalidParameter(`Invalid value ${String(value)} for parameter '${field}': expected epoch milliseconds (an integer).`)
  return value
}

function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined) return DEFAULT_PREDICTION_PAGE
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_PREDICTION_PAGE) {
    throw invalidParameter(
      `Invalid value ${String(maxResults)} for parameter 'max_results': expected an integer from 1 to ${MAX_PREDICTION_PAGE}.`,
    )
  }
  return maxResults
}

function keysetFromToken(token: string | undefined): { ts: number; id: string } | undefined {
  const decoded = decodePageToken(token)
  if (decoded === undefined) return undefined
  const ts = decoded['ts']
  const id = decoded['id']
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || typeof id !== 'string') {
    throw invalidParameter("Invalid value for parameter 'page_token': pass the next_page_token of a previous response.")
  }
  return { ts, id }
}

function whereSql(where: readonly string[]): string {
  return where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`
}
