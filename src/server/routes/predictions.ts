import type { FastifyInstance } from 'fastify'
import { KeelError, invalidParameter } from '../../core/errors.js'
import type { PredictionQuery, PredictionStore } from '../../monitoring/prediction-store.js'
import {
  MAX_PREDICTIONS_PER_REQUEST,
  fromWirePrediction,
  predictionEndpoints,
  toWirePrediction,
} from '../../protocol/prediction-endpoints.js'
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

  addEndpoint(app, predictionEndpoints.appendPredictions, async (input) => {
    // Checked here too: the fast request parser does not carry the schema's array bound.
    if (input.predictions.length > MAX_PREDICTIONS_PER_REQUEST) {
      throw invalidParameter(
        `Invalid value for parameter 'predictions': ${input.predictions.length} predictions, at most ${MAX_PREDICTIONS_PER_REQUEST} per request; split the batch.`,
      )
    }
    await target().appendPredictions(input.predictions.map(fromWirePrediction))
    return {}
  })

  addEndpoint(app, predictionEndpoints.listPredictions, async (input) => {
    const page = await target().listPredictions(
      compact({ ...query(input), maxResults: input.max_results, pageToken: input.page_token }),
    )
    return withToken({ predictions: page.items.map(toWirePrediction) }, page.nextPageToken)
  })

  addEndpoint(app, predictionEndpoints.countPredictions, async (input) => {
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
