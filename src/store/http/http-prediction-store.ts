import type { Page } from '../../core/page.js'
import type { PredictionQuery, PredictionRecord, PredictionStore } from '../../monitoring/prediction-store.js'
import { fromWirePrediction, toWirePrediction } from '../../protocol/prediction-endpoints.js'
import type { WirePrediction } from '../../protocol/prediction-endpoints.js'
import type { HttpTransport, Query } from './http-transport.js'
import { KEEL, page } from './wire-body.js'

/** Predictions per request: well under the server's per-request cap and its JSON body limit. */
const CHUNK = 1_000

/**
 * `PredictionStore` over a keel server's `/api/keel/v1/predictions` API. A batch larger than one request is
 * sent in chunks, one after another; each chunk is idempotent on the server (ids already stored are ignored),
 * so the transport's retries and a caller's retry of the whole batch are both safe.
 */
export class HttpPredictionStore implements PredictionStore {
  constructor(private readonly http: HttpTransport) {}

  async appendPredictions(records: readonly PredictionRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += CHUNK) {
      const predictions = records.slice(start, start + CHUNK).map(toWirePrediction)
      await this.http.post(`${KEEL}/predictions/batch`, { predictions })
    }
  }

  async listPredictions(query: PredictionQuery): Promise<Page<PredictionRecord>> {
    const res = await this.http.get<{ predictions?: WirePrediction[]; next_page_token?: string }>(`${KEEL}/predictions`, {
      ...wireQuery(query),
      max_results: query.maxResults,
      page_token: query.pageToken,
    })
    const items = (res.predictions ?? []).map((wire) => fromWirePrediction({ ...wire, timestamp: Number(wire.timestamp) }))
    return page(items, res.next_page_token)
  }

  async countPredictions(query: Omit<PredictionQuery, 'maxResults' | 'pageToken'>): Promise<number> {
    const res = await this.http.get<{ count: number }>(`${KEEL}/predictions/count`, wireQuery(query))
    return Number(res.count)
  }
}

function wireQuery(query: Omit<PredictionQuery, 'maxResults' | 'pageToken'>): Query {
  return {
    deployment: query.deployment,
    model: query.model,
    version: query.version,
    arm: query.arm,
    from: query.from,
    to: query.to,
  }
}
