import { z } from 'zod'
import type { PredictionRecord } from '../monitoring/prediction-store.js'
import { endpoint } from './endpoint.js'
import { int64Schema } from './wire-numbers.js'

/**
 * keel's prediction-store API (`/api/keel/v1/predictions...`): where a serving process that talks to a remote
 * keel server sends its captured predictions, and where monitoring reads them back. snake_case on the wire.
 */

const int64 = int64Schema()

/** Predictions per `predictions/batch` request at most; the HTTP adapter sends smaller chunks. */
export const MAX_PREDICTIONS_PER_REQUEST = 10_000

const cell = z.union([z.number(), z.string(), z.null()], { error: 'expected a number, a string or null' })
const cells = z.record(z.string(), cell)
const arm = z.enum(['champion', 'challenger', 'shadow'], { error: 'expected one of champion, challenger, shadow' })

export const wirePrediction = z.object({
  id: z.string().min(1, { error: 'expected a non-empty id' }),
  deployment: z.string().min(1, { error: 'expected a non-empty deployment name' }),
  model: z.string().min(1, { error: 'expected a non-empty model name' }),
  version: z.string().min(1, { error: 'expected a non-empty version' }),
  arm,
  timestamp: int64,
  inputs: cells.meta({ description: 'raw inputs by column (missing as null)' }),
  outputs: cells.meta({ description: '`prediction`, and `probability_<class>` for classifiers' }),
})
export type WirePrediction = z.input<typeof wirePrediction>

/** The response form (timestamps as numbers). */
const wirePredictionOut = z.object({
  id: z.string(),
  deployment: z.string(),
  model: z.string(),
  version: z.string(),
  arm,
  timestamp: z.number().int(),
  inputs: cells,
  outputs: cells,
})

const queryFields = {
  deployment: z.string().optional().meta({ description: 'only this deployment (registered model name it serves)' }),
  model: z.string().optional(),
  version: z.string().optional().meta({ description: 'only this model version' }),
  arm: arm.optional(),
  from: int64.optional(),
  to: int64.optional(),
}

export const predictionEndpoints = {
  appendPredictions: endpoint({
    operationId: 'appendPredictions',
    method: 'POST',
    api: 'keel',
    path: '/predictions/batch',
    summary: `Store captured predictions (timestamp in epoch ms) in one transaction; an id already stored is ignored, so retries are safe (at most ${MAX_PREDICTIONS_PER_REQUEST.toLocaleString('en-US')} per request).`,
    tag: 'keel',
    request: z.object({
      predictions: z
        .array(wirePrediction)
        .max(MAX_PREDICTIONS_PER_REQUEST, { error: `at most ${MAX_PREDICTIONS_PER_REQUEST} predictions per request; split the batch` }),
    }),
    response: z.object({}),
  }),
  listPredictions: endpoint({
    operationId: 'listPredictions',
    method: 'GET',
    api: 'keel',
    path: '/predictions',
    summary:
      'Stored predictions in (timestamp, id) order, filtered by deployment, model, version, arm and a window of epoch ms [from, to); max_results 1 to 50,000 (default 1,000), paged by next_page_token.',
    tag: 'keel',
    request: z.object({
      ...queryFields,
      max_results: int64.optional(),
      page_token: z.string().optional(),
    }),
    response: z.object({ predictions: z.array(wirePredictionOut), next_page_token: z.string().optional() }),
  }),
  countPredictions: endpoint({
    operationId: 'countPredictions',
    method: 'GET',
    api: 'keel',
    path: '/predictions/count',
    summary: 'How many stored predictions match the same filters as listPredictions.',
    tag: 'keel',
    request: z.object(queryFields),
    response: z.object({ count: z.number().int() }),
  }),
}

export function toWirePrediction(record: PredictionRecord): z.output<typeof wirePredictionOut> {
  return {
    id: record.id,
    deployment: record.deployment,
    model: record.model,
    version: record.version,
    arm: record.arm,
    timestamp: record.timestamp,
    inputs: record.inputs,
    outputs: record.outputs,
  }
}

export function fromWirePrediction(wire: z.output<typeof wirePrediction> | z.output<typeof wirePredictionOut>): PredictionRecord {
  return {
    id: wire.id,
    deployment: wire.deployment,
    model: wire.model,
    version: wire.version,
    arm: wire.arm,
    timestamp: wire.timestamp,
    inputs: wire.inputs,
    outputs: wire.outputs,
  }
}
