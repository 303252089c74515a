import type { FastifyInstance } from 'fastify'
import { collectTrackingGarbage } from '../../artifacts/garbage-collect.js'
import { invalidParameter } from '../../core/errors.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { toWireAliasMove, toWireSampledSeries, toWireWebhookDelivery } from '../../protocol/mlflow-wire.js'
import { addEndpoint, compact } from '../route.js'
import type { ServerContext } from '../server-context.js'

const DEFAULT_DELIVERIES = 100

/** keel's own API: alias history, sampled metrics, garbage collection and webhook deliveries. */
export function keelRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tracking, registry, artifacts, clock } = ctx

  addEndpoint(app, ENDPOINTS.aliasHistory, async (input) => {
    const moves = await registry.aliasHistory(input.name, input.alias)
    return { moves: moves.map(toWireAliasMove) }
  })

  addEndpoint(app, ENDPOINTS.sampledMetrics, async (input) => {
    // Tracking checks the run count, max_points and the step range.
    const series = await tracking.getSampledHistory(
      compact({
        runIds: input.run_ids,
        key: input.metric_key,
        maxPoints: input.max_points,
        startStep: input.start_step,
        endStep: input.end_step,
      }),
    )
    return { series: series.map(toWireSampledSeries) }
  })

  addEndpoint(app, ENDPOINTS.collectGarbage, async (input) => {
    const olderThanMs = input.older_than_ms ?? 0
    if (olderThanMs < 0) throw invalidParameter(`Invalid value ${olderThanMs} for parameter 'older_than_ms': it must be 0 or more.`)
    const report = await collectTrackingGarbage(
      compact({
        tracking,
        artifacts,
        olderThan: clock.now() - olderThanMs,
        runIds: input.run_ids,
        experimentIds: input.experiment_ids,
      }),
    )
    return {
      run_ids: report.runIds,
      experiment_ids: report.experimentIds,
      artifact_files_deleted: report.artifactFilesDeleted,
      bytes_freed: report.bytesFreed,
    }
  })

  addEndpoint(app, ENDPOINTS.webhookDeliveries, async (input) => {
    const limit = input.max_results ?? DEFAULT_DELIVERIES
    await registry.getWebhook(input.webhook_id) // an unknown webhook is 404, not an empty list
    const deliveries = await registry.listDeliveries(input.webhook_id, limit)
    return { deliveries: deliveries.map(toWireWebhookDelivery) }
  })
}
