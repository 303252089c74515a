import { z } from 'zod'
import type { Alert, FeedbackRecord } from '../monitoring/types.js'
import { endpoint, stringList } from './endpoint.js'
import { int64Schema } from './wire-numbers.js'

/**
 * keel's monitoring API (`/api/keel/v1/feedback`, `/api/keel/v1/alerts`): true outcomes posted any time after
 * a prediction (delayed labels), and the history of fired alerts. snake_case on the wire.
 */

const int64 = int64Schema()

/** Outcomes per `POST /feedback` at most; the HTTP adapter sends smaller chunks. */
export const MAX_FEEDBACK_PER_REQUEST = 10_000

const outcome = z
  .union([z.number(), z.string().min(1)], { error: 'expected a class label (string) or a number' })
  .meta({ description: "the true outcome: one of the model's classes, or a number for a regressor" })

export const wireFeedback = z.object({
  prediction_id: z.string().min(1, { error: 'expected the non-empty prediction id a server returned' }),
  outcome,
})
export type WireFeedback = z.input<typeof wireFeedback>

const wireFeedbackOut = z.object({ prediction_id: z.string(), outcome: z.union([z.number(), z.string()]), received_at: z.number().int() })

const wireWindow = z.object({ index: z.number().int(), from: z.number().int(), to: z.number().int(), rows: z.number().int() })

const wireAlertOut = z.object({
  id: z.string(),
  rule: z.string(),
  model: z.string(),
  version: z.string(),
  metric: z.string(),
  value: z.union([z.number(), z.string()]),
  threshold: z.union([z.number(), z.string()]),
  severity: z.enum(['info', 'warning', 'critical']),
  window: wireWindow,
  fired_at: z.number().int(),
})
export type WireAlert = z.output<typeof wireAlertOut>

const wireAlertIn = wireAlertOut.extend({
  id: z.string().min(1, { error: 'expected a non-empty alert id' }),
  rule: z.string().min(1, { error: 'expected the rule name' }),
  model: z.string().min(1, { error: 'expected the registered model name' }),
  version: z.string().min(1, { error: 'expected the model version' }),
  metric: z.string().min(1, { error: 'expected the metric name' }),
  window: z.object({ index: int64, from: int64, to: int64, rows: int64 }),
  fired_at: int64,
})

export const monitoringEndpoints = {
  postFeedback: endpoint({
    operationId: 'postFeedback',
    method: 'POST',
    api: 'keel',
    path: '/feedback',
    summary: `Store true outcomes of earlier predictions (delayed labels), one or a batch of at most ${MAX_FEEDBACK_PER_REQUEST.toLocaleString('en-US')}, all or nothing: an unknown prediction id is 404, an outcome of the wrong type (not one of the classifier's classes, not a number for a regressor) 400, a different outcome for an id already labelled RESOURCE_ALREADY_EXISTS; the same outcome again is counted in duplicates and ignored.`,
    tag: 'keel',
    request: z.object({
      feedback: z
        .array(wireFeedback)
        .min(1, { error: 'send at least one {prediction_id, outcome}' })
        .max(MAX_FEEDBACK_PER_REQUEST, { error: `at most ${MAX_FEEDBACK_PER_REQUEST} outcomes per request; split the batch` }),
    }),
    response: z.object({ accepted: z.number().int(), duplicates: z.number().int() }),
  }),
  listFeedback: endpoint({
    operationId: 'listFeedback',
    method: 'GET',
    api: 'keel',
    path: '/feedback',
    summary:
      'Stored outcomes in prediction id order, only those of prediction_ids when given (repeat the parameter); max_results 1 to 50,000 (default 1,000), paged by next_page_token.',
    tag: 'keel',
    request: z.object({
      prediction_ids: stringList.optional().meta({ description: 'only outcomes of these predictions' }),
      max_results: int64.optional(),
      page_token: z.string().optional(),
    }),
    response: z.object({ feedback: z.array(wireFeedbackOut), next_page_token: z.string().optional() }),
  }),
  appendAlert: endpoint({
    operationId: 'appendAlert',
    method: 'POST',
    api: 'keel',
    path: '/alerts',
    summary: 'Store a fired alert (what a monitor run does when a rule fires); an id already stored is ignored, so retries are safe.',
    tag: 'keel',
    request: z.object({ alert: wireAlertIn }),
    response: z.object({}),
  }),
  lastAlert: endpoint({
    operationId: 'lastAlert',
    method: 'GET',
    api: 'keel',
    path: '/alerts/last',
    summary: 'The most recent alert of a rule for a model (cooldowns); no `alert` field when it never fired.',
    tag: 'keel',
    request: z.object({ rule: z.string().min(1, { error: 'expected the rule name' }), model: z.string().min(1, { error: 'expected the model name' }) }),
    response: z.object({ alert: wireAlertOut.optional() }),
  }),
  listAlerts: endpoint({
    operationId: 'listAlerts',
    method: 'GET',
    api: 'keel',
    path: '/alerts',
    summary:
      'Fired alerts in (fired_at, id) order, filtered by model, rule and a window of epoch ms [from, to); max_results 1 to 50,000 (default 1,000), paged by next_page_token. Non-finite values as "NaN"/"Infinity".',
    tag: 'keel',
    request: z.object({
      model: z.string().optional().meta({ description: 'only alerts of this registered model' }),
      rule: z.string().optional().meta({ description: 'only alerts of this rule' }),
      from: int64.optional(),
      to: int64.optional(),
      max_results: int64.optional(),
      page_token: z.string().optional(),
    }),
    response: z.object({ alerts: z.array(wireAlertOut), next_page_token: z.string().optional() }),
  }),
}

export function toWireFeedback(record: FeedbackRecord): z.output<typeof wireFeedbackOut> {
  return { prediction_id: record.predictionId, outcome: record.outcome, received_at: record.receivedAt }
}

export function fromWireFeedback(wire: z.output<typeof wireFeedbackOut>): FeedbackRecord {
  return { predictionId: wire.prediction_id, outcome: wire.outcome, receivedAt: wire.received_at }
}

const wireNumber = (value: number): number | string =>
  Number.isFinite(value) ? value : Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
const fromWireNumber = (value: number | string): number => (typeof value === 'number' ? value : Number(value))

export function toWireAlert(alert: Alert): WireAlert {
  return {
    id: alert.id,
    rule: alert.rule,
    model: alert.model,
    version: alert.version,
    metric: alert.metric,
    value: wireNumber(alert.value),
    threshold: wireNumber(alert.threshold),
    severity: alert.severity,
    window: { index: alert.window.index, from: alert.window.from, to: alert.window.to, rows: alert.window.rows },
    fired_at: alert.firedAt,
  }
}

export function fromWireAlert(wire: WireAlert | z.output<typeof wireAlertIn>): Alert {
  return {
    id: wire.id,
    rule: wire.rule,
    model: wire.model,
    version: wire.version,
    metric: wire.metric,
    value: fromWireNumber(wire.value),
    threshold: fromWireNumber(wire.threshold),
    severity: wire.severity,
    window: { ...wire.window },
    firedAt: wire.fired_at,
  }
}
