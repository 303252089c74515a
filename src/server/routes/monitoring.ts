import type { FastifyInstance } from 'fastify'
import type { Clock } from '../../core/clock.js'
import { KeelError } from '../../core/errors.js'
import type { MonitoringStore } from '../../monitoring/monitoring-store.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWireAlert, toWireAlert, toWireFeedback } from '../../protocol/monitoring-endpoints.js'
import { addEndpoint, compact, withToken } from '../route.js'

/**
 * keel's monitoring API: delayed labels (feedback) in, alert history out. The routes always exist (so the API
 * is the same on every server); a server started without a monitoring store answers NOT_IMPLEMENTED naming
 * the fix. The server stamps `received_at` with its own clock.
 */
export function monitoringRoutes(app: FastifyInstance, store: MonitoringStore | undefined, clock: Clock): void {
  const target = (): MonitoringStore => {
    if (store !== undefined) return store
    throw new KeelError('NOT_IMPLEMENTED', 'This keel server was started without a monitoring store; start it over a SQL store (SQLite or PostgreSQL) to record feedback and alerts.')
  }

  // The request schema bounds a batch (MAX_FEEDBACK_PER_REQUEST).
  addEndpoint(app, ENDPOINTS.postFeedback, async (input) => {
    const receivedAt = clock.now()
    return target().appendFeedback(input.feedback.map((f) => ({ predictionId: f.prediction_id, outcome: f.outcome, receivedAt })))
  })

  addEndpoint(app, ENDPOINTS.listFeedback, async (input) => {
    const page = await target().listFeedback(
      compact({ predictionIds: input.prediction_ids, maxResults: input.max_results, pageToken: input.page_token }),
    )
    return withToken({ feedback: page.items.map(toWireFeedback) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.appendAlert, async (input) => {
    await target().appendAlert(fromWireAlert(input.alert))
    return {}
  })

  addEndpoint(app, ENDPOINTS.lastAlert, async (input) => {
    const alert = await target().lastAlert(input.rule, input.model)
    return alert === undefined ? {} : { alert: toWireAlert(alert) }
  })

  addEndpoint(app, ENDPOINTS.listAlerts, async (input) => {
    const page = await target().listAlerts(
      compact({
        model: input.model,
        rule: input.rule,
        from: input.from,
        to: input.to,
        maxResults: input.max_results,
        pageToken: input.page_token,
      }),
    )
    return withToken({ alerts: page.items.map(toWireAlert) }, page.nextPageToken)
  })
}
