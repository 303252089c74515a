import type { FastifyInstance } from 'fastify'
import { invalidParameter } from '../../core/errors.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { toWireMetric } from '../../protocol/mlflow-wire.js'
import type { WireMetric } from '../../protocol/wire-types.js'
import { addEndpoint, compact, withToken } from '../route.js'
import type { ServerContext } from '../server-context.js'
import { runIdOf } from './runs.js'

/** MLflow's limits for get-history-bulk-interval (mlflow/server/handlers.py): runs per call, points per run. */
export const BULK_INTERVAL_MAX_RUNS = 100
export const BULK_INTERVAL_MAX_RESULTS = 2500

/** metrics/get-history and the UI's sampled metrics/get-history-bulk-interval. */
export function metricRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tracking } = ctx

  addEndpoint(app, ENDPOINTS.getMetricHistory, async (input) => {
    const runId = runIdOf(input)
    const page = await tracking.getMetricHistory(
      runId,
      input.metric_key,
      compact({ maxResults: input.max_results, pageToken: input.page_token }),
    )
    return withToken({ metrics: page.items.map((m) => toWireMetric(m)) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.getMetricHistoryBulkInterval, async (input) => {
    if (input.run_ids.length === 0) throw invalidParameter("Missing value for required parameter 'run_ids'.")
    if (input.run_ids.length > BULK_INTERVAL_MAX_RUNS) {
      throw invalidParameter(
        `GetMetricHistoryBulkInterval request must specify at most ${BULK_INTERVAL_MAX_RUNS} run_ids. Received ${input.run_ids.length} run_ids.`,
      )
    }
    const maxResults = input.max_results ?? BULK_INTERVAL_MAX_RESULTS
    if (maxResults < 1 || maxResults > BULK_INTERVAL_MAX_RESULTS) {
      throw invalidParameter(`max_results must be between 1 and ${BULK_INTERVAL_MAX_RESULTS}.`)
    }
    checkStepRange(input.start_step, input.end_step)
    const series = await tracking.getSampledHistory(
      compact({
        runIds: input.run_ids,
        key: input.metric_key,
        maxPoints: maxResults,
        startStep: input.start_step,
        endStep: input.end_step,
      }),
    )
    const metrics: WireMetric[] = []
    for (const s of series) {
      for (let i = 0; i < s.steps.length; i++) {
        metrics.push(
          toWireMetric(
            { key: s.key, value: s.values[i] ?? Number.NaN, timestamp: s.timestamps[i] ?? 0, step: s.steps[i] ?? 0 },
            s.runId,
          ),
        )
      }
    }
    return { metrics }
  })
}

function checkStepRange(start: number | undefined, end: number | undefined): void {
  if ((start === undefined) !== (end === undefined)) {
    throw invalidParameter('If either start_step or end_step is given, both must be given.')
  }
  if (start !== undefined && end !== undefined && start > end) {
    throw invalidParameter(`start_step (${start}) must not be greater than end_step (${end}).`)
  }
}
