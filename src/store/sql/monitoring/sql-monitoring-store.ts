import { alreadyExists, invalidParameter, notFound } from '../../../core/errors.js'
import { decodePageToken, encodePageToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import type { AlertQuery, AppendFeedbackResult, FeedbackQuery, MonitoringStore } from '../../../monitoring/monitoring-store.js'
import type { Alert, FeedbackRecord, MonitorWindow, Severity } from '../../../monitoring/types.js'
import type { SqlDriver, SqlExecutor, SqlValue } from '../sql-driver.js'

export const DEFAULT_MONITORING_PAGE = 1_000
export const MAX_MONITORING_PAGE = 50_000
/** Ids per `IN (...)` lookup; fixed shapes (512, 256, …, 1) so the driver's statement cache serves every batch. */
const IDS_PER_STATEMENT = 512
/** Rows per multi-row INSERT (fixed shapes 128, 64, …, 1; 384 parameters stays far below both dialects' limits). */
const ROWS_PER_INSERT = 128
/** Ids named in an error message at most (all of them go in the error's details). */
const NAMED_IDS = 20
const SEVERITIES: ReadonlySet<string> = new Set(['info', 'warning', 'critical'])
const ALERT_COLUMNS = 'id, rule, model, version, metric, value, threshold, severity, window_json, fired_at'

type AlertRow = {
  id: string
  rule: string
  model: string
  version: string
  metric: string
  value: number | null
  threshold: number | null
  severity: string
  window_json: string
  fired_at: number | bigint | string
}

/**
 * `MonitoringStore` on SQLite or PostgreSQL through one `SqlDriver`, beside the `predictions` table (feedback
 * is checked against the stored prediction it labels). A feedback batch is all or nothing: unknown ids,
 * outcomes of the wrong type and conflicting labels reject the whole batch before anything is written.
 * Assumes `migrate()` ran; the driver belongs to the caller, which closes it.
 */
export class SqlMonitoringStore implements MonitoringStore {
  constructor(private readonly driver: SqlDriver) {}

  async appendFeedback(records: readonly FeedbackRecord[]): Promise<AppendFeedbackResult> {
    if (records.length === 0) return { accepted: 0, duplicates: 0 }
    // Same id twice in one batch: a retry within the batch when the outcomes agree, a mistake otherwise.
    const byId = new Map<string, FeedbackRecord>()
    let duplicates = 0
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      checkFeedbackShape(record, i)
      const seen = byId.get(record.predictionId)
      if (seen === undefined) byId.set(record.predictionId, record)
      else if (sameOutcome(seen.outcome, record.outcome)) duplicates++
      else {
        throw invalidParameter(
          `Prediction '${record.predictionId}' appears twice in the batch with different outcomes (${JSON.stringify(seen.outcome)} and ${JSON.stringify(record.outcome)}); send one label per prediction.`,
          { prediction_ids: [record.predictionId] },
        )
      }
    }
    const ids = [...byId.keys()]
    return this.driver.transaction(async (tx) => {
      const outputs = await lookup<{ id: string; outputs: string }>(tx, 'SELECT id, outputs FROM predictions WHERE id IN', ids)
      const outputsById = new Map(outputs.map((row) => [row.id, row.outputs]))
      const unknown = ids.filter((id) => !outputsById.has(id))
      if (unknown.length > 0) {
        throw notFound(
          `No stored prediction for ${unknown.length === 1 ? 'id' : `${unknown.length} ids`} ${nameIds(unknown)}; feedback must name the prediction_id a server returned (nothing was stored).`,
          { prediction_ids: unknown },
        )
      }
      const canonical = new Map<string, number | string>()
      const wrong: string[] = []
      for (const [id, record] of byId) {
        const checked = checkOutcome(record.outcome, JSON.parse(outputsById.get(id)!) as Record<string, unknown>)
        if ('error' in checked) wrong.push(`'${id}': ${checked.error}`)
        else canonical.set(id, checked.outcome)
      }
      if (wrong.length > 0) {
        throw invalidParameter(
          `Wrong outcome type for ${wrong.length} prediction${wrong.length === 1 ? '' : 's'} (nothing was stored): ${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? '; …' : ''}.`,
          { prediction_ids: [...byId.keys()].filter((id) => !canonical.has(id)) },
        )
      }
      const existing = await lookup<{ prediction_id: string; outcome: string }>(
        tx,
        'SELECT prediction_id, outcome FROM feedback WHERE prediction_id IN',
        ids,
      )
      const stored = new Set<string>()
      for (const row of existing) {
        const before = JSON.parse(row.outcome) as number | string
        const now = canonical.get(row.prediction_id)!
        if (before !== now) {
          throw alreadyExists(
            `Prediction '${row.prediction_id}' is already labelled ${JSON.stringify(before)}; a different outcome (${JSON.stringify(now)}) is refused (nothing was stored). Labels are final.`,
            { prediction_ids: [row.prediction_id] },
          )
        }
        stored.add(row.prediction_id)
        duplicates++
      }
      const params: SqlValue[] = []
      for (const [id, record] of byId) {
        if (!stored.has(id)) params.push(id, JSON.stringify(canonical.get(id)!), record.receivedAt)
      }
      const fresh = params.length / 3
      let accepted = 0
      for (let row = 0; row < fresh; ) {
        let size = ROWS_PER_INSERT
        while (size > fresh - row) size >>= 1
        // ON CONFLICT: a concurrent writer of the same label wins the race; ours then counts as a duplicate.
        const result = await tx.run(
          `INSERT INTO feedback (prediction_id, outcome, received_at) VALUES ${'(?, ?, ?), '.repeat(size - 1)}(?, ?, ?) ON CONFLICT (prediction_id) DO NOTHING`,
          params.slice(row * 3, (row + size) * 3),
        )
        accepted += result.changes
        row += size
      }
      return { accepted, duplicates: duplicates + fresh - accepted }
    })
  }

  async listFeedback(query: FeedbackQuery): Promise<Page<FeedbackRecord>> {
    const limit = pageSize(query.maxResults)
    const decoded = decodePageToken(query.pageToken)
    const after = decoded === undefined ? undefined : decoded['after']
    if (decoded !== undefined && typeof after !== 'string') throw badToken()
    if (query.predictionIds !== undefined) {
      // A bounded id list: read it all, then page in memory (ids are sorted so pages are stable).
      const ids = [...new Set(query.predictionIds)].sort()
      const rows = await lookup<FeedbackRow>(this.driver, 'SELECT prediction_id, outcome, received_at FROM feedback WHERE prediction_id IN', ids)
      rows.sort((a, b) => (a.prediction_id < b.prediction_id ? -1 : a.prediction_id > b.prediction_id ? 1 : 0))
      const rest = after === undefined ? rows : rows.filter((row) => row.prediction_id > (after as string))
      return pageOf(rest.slice(0, limit + 1).map(fromFeedbackRow), limit, (last) => ({ after: last.predictionId }))
    }
    const params: SqlValue[] = []
    let where = ''
    if (typeof after === 'string') {
      where = ' WHERE prediction_id > ?'
      params.push(after)
    }
    params.push(limit + 1)
    const rows = await this.driver.all<FeedbackRow>(
      `SELECT prediction_id, outcome, received_at FROM feedback${where} ORDER BY prediction_id LIMIT ?`,
      params,
    )
    return pageOf(rows.map(fromFeedbackRow), limit, (last) => ({ after: last.predictionId }))
  }

  async appendAlert(alert: Alert): Promise<void> {
    checkAlert(alert)
    await this.driver.run(
      `INSERT INTO alerts (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      [
        alert.id,
        alert.rule,
        alert.model,
        alert.version,
        alert.metric,
        Number.isFinite(alert.value) ? alert.value : null,
        Number.isFinite(alert.threshold) ? alert.threshold : null,
        alert.severity,
        JSON.stringify(alert.window),
        alert.firedAt,
      ],
    )
  }

  async listAlerts(query: AlertQuery): Promise<Page<Alert>> {
    const limit = pageSize(query.maxResults)
    const where: string[] = []
    const params: SqlValue[] = []
    if (query.model !== undefined) {
      where.push('model = ?')
      params.push(query.model)
    }
    if (query.rule !== undefined) {
      where.push('rule = ?')
      params.push(query.rule)
    }
    const from = timeBound(query.from, 'from')
    const to = timeBound(query.to, 'to')
    if (from !== undefined && to !== undefined && from > to) {
      throw invalidParameter(`Invalid time window: 'from' (${from}) is after 'to' (${to}); 'from' is inclusive, 'to' exclusive.`)
    }
    if (from !== undefined) {
      where.push('fired_at >= ?')
      params.push(from)
    }
    if (to !== undefined) {
      where.push('fired_at < ?')
      params.push(to)
    }
    const decoded = decodePageToken(query.pageToken)
    if (decoded !== undefined) {
      const ts = decoded['ts']
      const id = decoded['id']
      if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || typeof id !== 'string') throw badToken()
      where.push('(fired_at > ? OR (fired_at = ? AND id > ?))')
      params.push(ts, ts, id)
    }
    params.push(limit + 1)
    const rows = await this.driver.all<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY fired_at, id LIMIT ?`,
      params,
    )
    return pageOf(rows.map(fromAlertRow), limit, (last) => ({ ts: last.firedAt, id: last.id }))
  }

  async lastAlert(rule: string, model: string): Promise<Alert | undefined> {
    const row = await this.driver.get<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts WHERE rule = ? AND model = ? ORDER BY fired_at DESC, id DESC LIMIT 1`,
      [rule, model],
    )
    return row === undefined ? undefined : fromAlertRow(row)
  }
}

type FeedbackRow = { prediction_id: string; outcome: string; received_at: number | bigint | string }

/**
 * The outcome as stored, or why not when its type does not fit the prediction it labels. A classifier (its
 * outputs carry `probability_<class>`) takes one of its classes, as a string or as a number that prints as
 * one, and stores the class string; a regressor (numeric `prediction`) takes a finite number.
 */
export function checkOutcome(
  outcome: number | string,
  outputs: Record<string, unknown>,
): { outcome: number | string } | { error: string } {
  const classes = Object.keys(outputs)
    .filter((key) => key.startsWith('probability_'))
    .map((key) => key.slice('probability_'.length))
  if (classes.length > 0) {
    const label = typeof outcome === 'number' ? String(outcome) : outcome
    if (classes.includes(label)) return { outcome: label }
    return { error: `${JSON.stringify(outcome)} is not a class of the model; expected one of ${classes.map((c) => JSON.stringify(c)).join(', ')}` }
  }
  const prediction = outputs['prediction']
  if (typeof prediction === 'number') {
    if (typeof outcome === 'number' && Number.isFinite(outcome)) return { outcome }
    return { error: `${JSON.stringify(outcome)} is not a number; the model is a regressor, so its outcome is a finite number` }
  }
  // A classifier without probabilities: any label, stored as a string.
  return { outcome: typeof outcome === 'number' ? String(outcome) : outcome }
}

function checkFeedbackShape(record: FeedbackRecord, index: number): void {
  const where = `feedback[${index}]`
  if (typeof record.predictionId !== 'string' || record.predictionId === '') {
    throw invalidParameter(`Missing value for '${where}.prediction_id': name the prediction the outcome belongs to.`)
  }
  const outcome: unknown = record.outcome
  const ok = (typeof outcome === 'number' && Number.isFinite(outcome)) || (typeof outcome === 'string' && outcome !== '')
  if (!ok) {
    throw invalidParameter(
      `Invalid value ${JSON.stringify(outcome) ?? String(outcome)} for '${where}.outcome' (prediction '${record.predictionId}'): expected a class label (string) or a finite number.`,
      { prediction_ids: [record.predictionId] },
    )
  }
  if (!Number.isSafeInteger(record.receivedAt) || record.receivedAt < 0) {
    throw invalidParameter(`Invalid value ${String(record.receivedAt)} for '${where}.received_at': expected epoch milliseconds.`)
  }
}

function sameOutcome(a: number | string, b: number | string): boolean {
  return a === b || String(a) === String(b)
}

function nameIds(ids: readonly string[]): string {
  const named = ids.slice(0, NAMED_IDS).map((id) => `'${id}'`).join(', ')
  return ids.length > NAMED_IDS ? `${named} and ${ids.length - NAMED_IDS} more` : named
}

/** `<select> (?, ?, …)` over `ids` in fixed-shape chunks. */
async function lookup<T>(db: SqlExecutor, select: string, ids: readonly string[]): Promise<T[]> {
  const out: T[] = []
  let at = 0
  while (at < ids.length) {
    let size = IDS_PER_STATEMENT
    while (size > ids.length - at) size >>= 1
    const rows = await db.all<T>(`${select} (${'?, '.repeat(size - 1)}?)`, ids.slice(at, at + size))
    for (const row of rows) out.push(row)
    at += size
  }
  return out
}

function checkAlert(alert: Alert): void {
  for (const field of ['id', 'rule', 'model', 'version', 'metric'] as const) {
    if (typeof alert[field] !== 'string' || alert[field] === '') {
      throw invalidParameter(`Missing value for 'alert.${field}': expected a non-empty string.`)
    }
  }
  if (!SEVERITIES.has(alert.severity)) {
    throw invalidParameter(`Invalid value '${String(alert.severity)}' for 'alert.severity': use info, warning or critical.`)
  }
  if (!Number.isSafeInteger(alert.firedAt) || alert.firedAt < 0) {
    throw invalidParameter(`Invalid value ${String(alert.firedAt)} for 'alert.fired_at': expected epoch milliseconds.`)
  }
  if (typeof alert.value !== 'number' || typeof alert.threshold !== 'number') {
    throw invalidParameter("Invalid alert: 'value' and 'threshold' must be numbers.")
  }
}

function fromFeedbackRow(row: FeedbackRow): FeedbackRecord {
  return { predictionId: row.prediction_id, outcome: JSON.parse(row.outcome) as number | string, receivedAt: Number(row.received_at) }
}

function fromAlertRow(row: AlertRow): Alert {
  return {
    id: row.id,
    rule: row.rule,
    model: row.model,
    version: row.version,
    metric: row.metric,
    value: row.value === null ? Number.NaN : Number(row.value),
    threshold: row.threshold === null ? Number.NaN : Number(row.threshold),
    severity: row.severity as Severity,
    window: JSON.parse(row.window_json) as MonitorWindow,
    firedAt: Number(row.fired_at),
  }
}

function pageOf<T>(rows: T[], limit: number, token: (last: T) => Record<string, unknown>): Page<T> {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  if (rows.length <= limit || last === undefined) return { items }
  return { items, nextPageToken: encodePageToken(token(last)) }
}

function timeBound(value: number | undefined, field: string): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value)) throw invalidParameter(`Invalid value ${String(value)} for parameter '${field}': expected epoch milliseconds (an integer).`)
  return value
}

function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined) return DEFAULT_MONITORING_PAGE
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_MONITORING_PAGE) {
    throw invalidParameter(`Invalid value ${String(maxResults)} for parameter 'max_results': expected an integer from 1 to ${MAX_MONITORING_PAGE}.`)
  }
  return maxResults
}

function badToken(): Error {
  return invalidParameter("Invalid value for parameter 'page_token': pass the next_page_token of a previous response.")
}
