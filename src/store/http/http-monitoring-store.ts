import { decodePageToken, encodePageToken } from '../../core/page.js'
import type { Page } from '../../core/page.js'
import type { AlertQuery, AppendFeedbackResult, FeedbackQuery, MonitoringStore } from '../../monitoring/monitoring-store.js'
import type { Alert, FeedbackRecord } from '../../monitoring/types.js'
import { fromWireAlert, fromWireFeedback, toWireAlert } from '../../protocol/monitoring-endpoints.js'
import type { WireAlert } from '../../protocol/monitoring-endpoints.js'
import type { HttpTransport } from './http-transport.js'
import { KEEL, page } from './wire-body.js'

/** Outcomes per request: well under the server's per-request cap (10,000) and its JSON body limit. */
const CHUNK = 5_000
/** Ids per `GET /feedback?prediction_ids=…`: keeps the URL short enough for any proxy. */
const IDS_PER_QUERY = 100
/** The server's default page size. */
const DEFAULT_PAGE = 1_000

/**
 * `MonitoringStore` over a keel server's `/api/keel/v1/feedback` and `/alerts` API. The server stamps
 * `receivedAt` with its own clock. A batch larger than one request is sent in chunks; each chunk is all or
 * nothing on the server, and a retried chunk counts as duplicates, never twice.
 */
export class HttpMonitoringStore implements MonitoringStore {
  constructor(private readonly http: HttpTransport) {}

  async appendFeedback(records: readonly FeedbackRecord[]): Promise<AppendFeedbackResult> {
    let accepted = 0
    let duplicates = 0
    for (let start = 0; start < records.length; start += CHUNK) {
      const feedback = records.slice(start, start + CHUNK).map((r) => ({ prediction_id: r.predictionId, outcome: r.outcome }))
      const res = await this.http.post<{ accepted?: number; duplicates?: number }>(`${KEEL}/feedback`, { feedback })
      accepted += Number(res.accepted ?? 0)
      duplicates += Number(res.duplicates ?? 0)
    }
    return { accepted, duplicates }
  }

  async listFeedback(query: FeedbackQuery): Promise<Page<FeedbackRecord>> {
    const ids = query.predictionIds
    if (ids !== undefined && ids.length > IDS_PER_QUERY) return this.listManyIds(ids, query)
    const res = await this.http.get<{ feedback?: Array<{ prediction_id: string; outcome: number | string; received_at: number }>; next_page_token?: string }>(
      `${KEEL}/feedback`,
      { prediction_ids: ids === undefined ? undefined : [...ids], max_results: query.maxResults, page_token: query.pageToken },
    )
    const items = (res.feedback ?? []).map((w) => fromWireFeedback({ ...w, received_at: Number(w.received_at) }))
    return page(items, res.next_page_token)
  }

  async appendAlert(alert: Alert): Promise<void> {
    await this.http.post(`${KEEL}/alerts`, { alert: toWireAlert(alert) })
  }

  async listAlerts(query: AlertQuery): Promise<Page<Alert>> {
    const res = await this.http.get<{ alerts?: WireAlert[]; next_page_token?: string }>(`${KEEL}/alerts`, {
      model: query.model,
      rule: query.rule,
      from: query.from,
      to: query.to,
      max_results: query.maxResults,
      page_token: query.pageToken,
    })
    return page((res.alerts ?? []).map(fromWireAlert), res.next_page_token)
  }

  async lastAlert(rule: string, model: string): Promise<Alert | undefined> {
    const res = await this.http.get<{ alert?: WireAlert }>(`${KEEL}/alerts/last`, { rule, model })
    return res.alert === undefined ? undefined : fromWireAlert(res.alert)
  }

  /**
   * A long id list does not fit one URL: ask in slices and merge, in prediction id order, paged the way the
   * SQL adapter pages (an `after` id keyset), so a caller's paging loop works the same.
   */
  private async listManyIds(ids: readonly string[], query: FeedbackQuery): Promise<Page<FeedbackRecord>> {
    const limit = query.maxResults ?? DEFAULT_PAGE
    const after = decodePageToken(query.pageToken)?.['after']
    const wanted = [...new Set(ids)].filter((id) => typeof after !== 'string' || id > after).sort()
    const items: FeedbackRecord[] = []
    for (let start = 0; start < wanted.length && items.length <= limit; start += IDS_PER_QUERY) {
      // Each slice holds at most IDS_PER_QUERY outcomes, so one page of that size has them all.
      const part = await this.listFeedback({ predictionIds: wanted.slice(start, start + IDS_PER_QUERY), maxResults: IDS_PER_QUERY })
      items.push(...part.items)
    }
    items.sort((a, b) => (a.predictionId < b.predictionId ? -1 : a.predictionId > b.predictionId ? 1 : 0))
    const kept = items.slice(0, limit)
    const last = kept[kept.length - 1]
    return items.length > limit && last !== undefined ? { items: kept, nextPageToken: encodePageToken({ after: last.predictionId }) } : { items: kept }
  }
}
