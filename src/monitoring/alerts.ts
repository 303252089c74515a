import { randomUUID } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import { newId } from '../core/ids.js'
import type { Logger } from '../core/logger.js'
import { fetchSender } from '../registry/webhook-dispatcher.js'
import type { WebhookSender } from '../registry/webhook-dispatcher.js'
import { webhookHeaders } from '../registry/webhook-signature.js'
import type { MonitoringStore } from './monitoring-store.js'
import type { Alert, AlertRule, MonitorMetric } from './types.js'

/** The event a `retrain` action emits; the pipelines issue consumes it (`onRetrain` in MonitorOptions). */
export interface RetrainEvent {
  type: 'monitoring.retrain'
  pipeline: string
  model: string
  version: string
  alert: Alert
}

/** What one action did when its alert fired (kept in the run's summary, not in the alert store). */
export type ActionResult =
  | { kind: 'webhook'; url: string; delivered: boolean; attempts: number; status?: number; error?: string }
  | { kind: 'retrain'; pipeline: string; emitted: boolean; error?: string }

/** A stored alert plus what its actions did. */
export interface FiredAlert extends Alert {
  actions: ActionResult[]
}

export interface WebhookRetryOptions {
  /** Tries per webhook action (default 3). */
  maxAttempts?: number
  /** Delay after the first failed try, doubling per try (default 500 ms). */
  retryDelayMs?: number
  /** Per try (default 5 s). */
  timeoutMs?: number
}

export interface AlertContext {
  store: Pick<MonitoringStore, 'appendAlert' | 'lastAlert'>
  /** Registered model name: cooldowns are per (rule, model). */
  model: string
  version: string
  clock: Clock
  logger: Logger
  /** How webhooks are posted (default: fetch with `webhook.timeoutMs`). */
  send?: WebhookSender
  webhook?: WebhookRetryOptions
  /** Waits between webhook retries (default setTimeout; tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>
  onRetrain?: (event: RetrainEvent) => void | Promise<void>
}

const RETRYABLE = new Set([408, 425, 429])

/** True when `value` breaks the rule's threshold; NaN (a metric that could not be computed) never does. */
export function ruleBreached(rule: Pick<AlertRule, 'comparison' | 'threshold'>, value: number): boolean {
  if (Number.isNaN(value)) return false
  switch (rule.comparison) {
    case '>':
      return value > rule.threshold
    case '>=':
      return value >= rule.threshold
    case '<':
      return value < rule.threshold
    case '<=':
      return value <= rule.threshold
  }
}

/** A rule's metric: an exact name, or a pattern with `*` (one or more characters), e.g. `drift.column.*.drifted`. */
export function metricMatcher(pattern: string): (name: string) => boolean {
  if (!pattern.includes('*')) return (name) => name === pattern
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`)
  return (name) => regex.test(name)
}

/**
 * Evaluates every rule on the metrics (in window order) and fires the breaches that are not inside the rule's
 * cooldown for this model: the alert is stored first (so the cooldown holds even if an action fails), logged,
 * then its actions run. One rule fires at most once per cooldown, whatever number of windows or metrics breach.
 */
export async function evaluateRules(rules: readonly AlertRule[], metrics: readonly MonitorMetric[], context: AlertContext): Promise<FiredAlert[]> {
  const fired: FiredAlert[] = []
  const ordered = [...metrics].sort((a, b) => a.window.index - b.window.index)
  for (const rule of rules) {
    const matches = metricMatcher(rule.metric)
    let last = await context.store.lastAlert(rule.name, context.model)
    for (const metric of ordered) {
      if (!matches(metric.name) || !ruleBreached(rule, metric.value)) continue
      const now = context.clock.now()
      if (last !== undefined && now - last.firedAt < rule.cooldownMs) {
        context.logger.debug({ rule: rule.name, model: context.model, metric: metric.name, lastFiredAt: last.firedAt }, 'alert suppressed by cooldown')
        continue
      }
      const alert: Alert = {
        id: newId('alert'),
        rule: rule.name,
        model: context.model,
        version: context.version,
        metric: metric.name,
        value: metric.value,
        threshold: rule.threshold,
        severity: rule.severity,
        window: metric.window,
        firedAt: now,
      }
      await context.store.appendAlert(alert)
      last = alert
      const log = { alert: alert.id, rule: rule.name, model: alert.model, version: alert.version, metric: alert.metric, value: alert.value, threshold: alert.threshold, window: alert.window.index }
      const message = `alert ${rule.name}: ${metric.name} = ${metric.value} ${rule.comparison} ${rule.threshold}`
      if (rule.severity === 'critical') context.logger.error(log, message)
      else if (rule.severity === 'warning') context.logger.warn(log, message)
      else context.logger.info(log, message)
      const actions: ActionResult[] = []
      for (const action of rule.actions) {
        if (action.kind === 'webhook') actions.push(await postWebhook(alert, rule, action, context))
        else actions.push(await emitRetrain(alert, action.pipeline, context))
      }
      fired.push({ ...alert, actions })
    }
  }
  return fired
}

/** The alert as webhook receivers see it: snake_case like every keel webhook payload. */
export function alertToWire(alert: Alert, rule?: Pick<AlertRule, 'comparison'>): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: alert.id,
    rule: alert.rule,
    model: alert.model,
    version: alert.version,
    metric: alert.metric,
    value: Number.isFinite(alert.value) ? alert.value : String(alert.value),
    threshold: alert.threshold,
    severity: alert.severity,
    window: { index: alert.window.index, from: alert.window.from, to: alert.window.to, rows: alert.window.rows },
    fired_at: alert.firedAt,
  }
  if (rule !== undefined) wire['comparison'] = rule.comparison
  return wire
}

/**
 * POSTs `{event: 'monitoring.alert', timestamp, delivery_id, data}` signed exactly as registry webhooks are
 * (`X-Keel-Signature: v1,<base64 HMAC-SHA256 of "<delivery id>.<unix seconds>.<body>">`), retrying network
 * errors, 5xx, 408/425/429 with doubling delays; the same delivery id on every try so receivers can dedupe.
 */
async function postWebhook(
  alert: Alert,
  rule: AlertRule,
  action: { url: string; secret?: string },
  context: AlertContext,
): Promise<ActionResult> {
  const maxAttempts = Math.max(1, context.webhook?.maxAttempts ?? 3)
  const baseDelay = context.webhook?.retryDelayMs ?? 500
  const send = context.send ?? fetchSender(context.webhook?.timeoutMs ?? 5000)
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const deliveryId = `alert-${randomUUID()}`
  const body = JSON.stringify({
    event: 'monitoring.alert',
    timestamp: new Date(alert.firedAt).toISOString(),
    delivery_id: deliveryId,
    data: alertToWire(alert, rule),
  })
  let status: number | undefined
  let error: string | undefined
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const headers = webhookHeaders({ secret: action.secret ?? '', deliveryId, timestamp: String(Math.floor(context.clock.now() / 1000)), body })
    let retryable = true
    try {
      const response = await send(action.url, body, headers)
      status = response.status
      if (status >= 200 && status < 300) return { kind: 'webhook', url: action.url, delivered: true, attempts: attempt, status }
      error = `HTTP ${status}${response.body ? `: ${response.body.slice(0, 200)}` : ''}`
      retryable = status >= 500 || RETRYABLE.has(status)
    } catch (thrown) {
      error = thrown instanceof Error ? thrown.message : String(thrown)
    }
    if (!retryable || attempt === maxAttempts) {
      context.logger.error({ alert: alert.id, url: action.url, attempts: attempt, error }, 'alert webhook failed')
      const result: ActionResult = { kind: 'webhook', url: action.url, delivered: false, attempts: attempt, error }
      if (status !== undefined) result.status = status
      return result
    }
    context.logger.warn({ alert: alert.id, url: action.url, attempt, error }, 'alert webhook failed; retrying')
    await sleep(baseDelay * 2 ** (attempt - 1))
  }
  /* c8 ignore next */
  return { kind: 'webhook', url: action.url, delivered: false, attempts: maxAttempts, error: error ?? 'not sent' }
}

async function emitRetrain(alert: Alert, pipeline: string, context: AlertContext): Promise<ActionResult> {
  if (context.onRetrain === undefined) {
    context.logger.warn({ alert: alert.id, pipeline }, 'retrain action fired but nothing consumes monitoring.retrain events')
    return { kind: 'retrain', pipeline, emitted: false, error: 'no onRetrain consumer' }
  }
  try {
    await context.onRetrain({ type: 'monitoring.retrain', pipeline, model: alert.model, version: alert.version, alert })
    context.logger.info({ alert: alert.id, pipeline }, 'retrain requested')
    return { kind: 'retrain', pipeline, emitted: true }
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown.message : String(thrown)
    context.logger.error({ alert: alert.id, pipeline, error }, 'retrain consumer failed')
    return { kind: 'retrain', pipeline, emitted: false, error }
  }
}
