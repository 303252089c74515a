import type { FastifyInstance } from 'fastify'
import { KeelError } from '../../core/errors.js'
import type { PredictionQuery, PredictionStore } from '../../monitoring/prediction-store.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWirePrediction, toWirePrediction } from '../../protocol/prediction-endpoints.js'
import { addEndpoint, compact, withToken } from '../route.js'

type WireQuery = {
  deployment?: string | undefined
  model?: string | undefined
  version?: string | undefined
  arm?: PredictionQuery['arm'] | undefined
  from?: number | undefined
  to?: number | undefined
}

/**
 * keel's prediction-store API: serving processes append captured predictions, monitoring reads them.
 * The routes always exist (so the API is the same on every server); a server started without a prediction
 * store answers NOT_IMPLEMENTED naming the fix.
 */
export function predictionRoutes(app: FastifyInstance, store: PredictionStore | undefined): void {
  const target = (): PredictionStore => {
    if (store !== undefined) return store
    throw new KeelError('NOT_IMPLEMENTED', 'This keel server was started without a prediction store; start it over a SQL store (SQLite or PostgreSQL) to capture predictions.')
  }

  // The request schema bounds a batch (MAX_PREDICTIONS_PER_REQUEST); the fast parser keeps that bound.
  addEndpoint(app, ENDPOINTS.appendPredictions, async (input) => {
    await target().appendPredictions(input.predictions.map(fromWirePrediction))
    return {}
  })

  addEndpoint(app, ENDPOINTS.listPredictions, async (input) => {
    const page = await target().listPredictions(
      compact({ ...query(input), maxResults: input.max_results, pageToken: input.page_token }),
    )
    return withToken({ predictions: page.items.map(toWirePrediction) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.countPredictions, async (input) => {
    return { count: await target().countPredictions(compact(query(input))) }
  })
}

function query(input: WireQuery): WireQuery {
  return {
    deployment: input.deployment,
    model: input.model,
    version: input.version,
    arm: input.arm,
    from: input.from,
    to: input.to,
  }
}
