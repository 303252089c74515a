import { randomUUID } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { RegistryStore } from './registry-store.js'
import type { RegistryEventType, WebhookDelivery } from './types.js'
import { webhookHeaders } from './webhook-signature.js'

/** Posts one delivery; resolves with the HTTP status (and, optionally, a bit of the response body). */
export type WebhookSender = (
  url: string,
  body: string,
  headers: Record<string, string>,
) => Promise<{ status: number; body?: string }>

/** Stores that can hand out a webhook's secret (SQL stores, `Registry`), so test sends are signed too. */
export interface WebhookSecretSource {
  webhookSecret(webhookId: string): Promise<string>
}

export interface WebhookDispatcherOptions {
  store: RegistryStore & Partial<WebhookSecretSource>
  send: WebhookSender
  clock: Clock
  logger: Logger
  /** Attempts before a delivery is FAILED (default 8). */
  maxAttempts?: number
  /** Delay after the first failure; doubles per attempt (default 1 s). */
  baseDelayMs?: number
  /** Upper bound of the delay (default 5 min). */
  maxDelayMs?: number
  /** Deliveries claimed per store call (default 50). */
  batchSize?: number
  /** Uniform [0, 1) for jitter; tests pin it. */
  random?: () => number
}

export interface WebhookTestResult {
  success: boolean
  responseStatus?: number
  responseBody?: string
  errorMessage?: string
}

/** Defaults of `WebhookDispatcherOptions`; docs/http-api.md derives its retry table from them. */
export const DEFAULT_MAX_ATTEMPTS = 8
export const DEFAULT_BASE_DELAY_MS = 1000
export const DEFAULT_MAX_DELAY_MS = 5 * 60_000

/** Bounds one `runOnce`, so a flood of events cannot keep one run going forever. */
const MAX_BATCHES_PER_RUN = 20
const MAX_ERROR_LENGTH = 500

const EXAMPLE_PAYLOADS: Record<RegistryEventType, Record<string, unknown>> = {
  'registered_model.created': { name: 'example_model', tags: { example_key: 'example_value' }, description: 'An example registered model' },
  'registered_model.renamed': { name: 'example_model_v2', previous_name: 'example_model' },
  'registered_model.updated': { name: 'example_model', description: 'A new description' },
  'registered_model.deleted': { name: 'example_model' },
  'registered_model_tag.set': { name: 'example_model', key: 'example_key', value: 'example_value' },
  'registered_model_tag.deleted': { name: 'example_model', key: 'example_key' },
  'model_version.created': {
    name: 'example_model',
    version: '1',
    source: 'runs:/abcd1234abcd5678/model',
    run_id: 'abcd1234abcd5678',
    tags: { example_key: 'example_value' },
    description: 'An example model version',
  },
  'model_version.updated': { name: 'example_model', version: '1', description: 'A new description' },
  'model_version.stage_transitioned': { name: 'example_model', version: '1', from_stage: 'None', to_stage: 'Staging', archived_versions: [] },
  'model_version.deleted': { name: 'example_model', version: '1' },
  'model_version_tag.set': { name: 'example_model', version: '1', key: 'example_key', value: 'example_value' },
  'model_version_tag.deleted': { name: 'example_model', version: '1', key: 'example_key' },
  'model_version_alias.created': { name: 'example_model', alias: 'example_alias', version: '1', from_version: null },
  'model_version_alias.deleted': { name: 'example_model', alias: 'example_alias', from_version: '1' },
}

function message(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return (text + cause).slice(0, MAX_ERROR_LENGTH)
}

/**
 * Delivers the registry's event outbox to webhooks: due deliveries are claimed from the store, posted
 * as `{event, timestamp, delivery_id, data}` with `X-Keel-*` signature headers, and recorded. A 2xx is
 * DELIVERED; anything else (or a thrown error) is retried with exponential backoff and jitter until
 * `maxAttempts`, then FAILED. Receivers dedupe on `delivery_id`, which stays the same across retries.
 */
export class WebhookDispatcher {
  private readonly store: RegistryStore & Partial<WebhookSecretSource>
  private readonly send: WebhookSender
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly maxAttempts: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly batchSize: number
  private readonly random: () => number
  private running: Promise<number> | undefined
  private timer: NodeJS.Timeout | undefined
  private active = false

  constructor(options: WebhookDispatcherOptions) {
    this.store = options.store
    this.send = options.send
    this.clock = options.clock
    this.logger = options.logger
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)
    this.baseDelayMs = Math.max(1, options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS)
    this.maxDelayMs = Math.max(this.baseDelayMs, options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS)
    this.batchSize = Math.min(1000, Math.max(1, options.batchSize ?? 50))
    this.random = options.random ?? Math.random
  }

  /** Delay before the next try after `attempt` failed tries: base·2^(attempt-1), capped, times [0.5, 1). */
  retryDelay(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(attempt - 1, 40))
    return Math.max(1, Math.floor(ceiling * (0.5 + 0.5 * this.random())))
  }

  /** Delivers what is due now; resolves with the number of attempts made. Concurrent calls share one run. */
  runOnce(): Promise<number> {
    if (this.running === undefined) {
      this.running = this.drain().finally(() => {
        this.running = undefined
      })
    }
    return this.running
  }

  private async drain(): Promise<number> {
    let attempts = 0
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch++) {
      const due = await this.store.dueDeliveries(this.clock.now(), this.batchSize)
      await Promise.all(due.map((delivery) => this.attempt(delivery)))
      attempts += due.length
      if (due.length < this.batchSize) break
    }
    return attempts
  }

  private async attempt(delivery: WebhookDelivery): Promise<void> {
    const deliveryId = String(delivery.deliveryId)
    const body = JSON.stringify({
      event: delivery.event.type,
      timestamp: new Date(delivery.event.createdAt).toISOString(),
      delivery_id: deliveryId,
      data: delivery.event.payload,
    })
    const headers = webhookHeaders({
      secret: delivery.secret,
      deliveryId,
      timestamp: String(Math.floor(this.clock.now() / 1000)),
      body,
    })
    let error: string
    try {
      const response = await this.send(delivery.url, body, headers)
      if (response.status >= 200 && response.status < 300) {
        await this.record(delivery, { status: 'DELIVERED', nextAttemptAt: this.clock.now(), error: '' })
        return
      }
      error = `HTTP ${response.status}${response.body ? `: ${response.body}` : ''}`.slice(0, MAX_ERROR_LENGTH)
    } catch (thrown) {
      error = message(thrown)
    }
    const attempts = delivery.attempts + 1
    const context = { deliveryId: delivery.deliveryId, webhookId: delivery.webhookId, event: delivery.event.type, attempts, error }
    if (attempts >= this.maxAttempts) {
      this.logger.error(context, 'webhook delivery failed for good')
      await this.record(delivery, { status: 'FAILED', nextAttemptAt: this.clock.now(), error })
    } else {
      const nextAttemptAt = this.clock.now() + this.retryDelay(attempts)
      this.logger.warn({ ...context, nextAttemptAt }, 'webhook delivery failed; will retry')
      await this.record(delivery, { status: 'PENDING', nextAttemptAt, error })
    }
  }

  private async record(
    delivery: WebhookDelivery,
    outcome: { status: 'PENDING' | 'DELIVERED' | 'FAILED'; nextAttemptAt: number; error: string },
  ): Promise<void> {
    try {
      await this.store.recordDeliveryAttempt(delivery.deliveryId, outcome)
    } catch (error) {
      // The store's lease hands the delivery out again later; one lost record must not stop the batch.
      this.logger.error({ deliveryId: delivery.deliveryId, error: message(error) }, 'could not record a webhook attempt')
    }
  }

  /** Runs `runOnce` every `intervalMs` until `stop()`; runs never overlap and errors are logged, not thrown. */
  start(intervalMs: number): void {
    if (this.active) return
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError('intervalMs must be a positive number')
    this.active = true
    const tick = (): void => {
      this.timer = undefined
      this.runOnce()
        .catch((error: unknown) => this.logger.error({ error: message(error) }, 'webhook dispatch run failed'))
        .finally(() => {
          if (!this.active) return
          this.timer = setTimeout(tick, intervalMs)
          this.timer.unref()
        })
    }
    this.timer = setTimeout(tick, intervalMs)
    this.timer.unref()
  }

  /** Stops the loop and waits for a run in flight. */
  async stop(): Promise<void> {
    this.active = false
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.running?.catch(() => {})
  }

  /** Sends an example payload of `event` (default: the webhook's first event) now, outside the outbox. */
  async sendTest(webhookId: string, event?: RegistryEventType): Promise<WebhookTestResult> {
    const webhook = await this.store.getWebhook(webhookId)
    const type = event ?? webhook.events[0] ?? 'model_version.created'
    const secret = this.store.webhookSecret === undefined ? '' : await this.store.webhookSecret(webhookId)
    const deliveryId = `test-${randomUUID()}`
    const body = JSON.stringify({
      event: type,
      timestamp: new Date(this.clock.now()).toISOString(),
      delivery_id: deliveryId,
      data: EXAMPLE_PAYLOADS[type],
    })
    const headers = webhookHeaders({ secret, deliveryId, timestamp: String(Math.floor(this.clock.now() / 1000)), body })
    try {
      const response = await this.send(webhook.url, body, headers)
      const result: WebhookTestResult = { success: response.status >= 200 && response.status < 300, responseStatus: response.status }
      if (response.body !== undefined) result.responseBody = response.body
      return result
    } catch (error) {
      return { success: false, errorMessage: `Failed to test webhook: ${message(error)}` }
    }
  }
}

/** Reads at most `limit` bytes of a response body, then cancels the rest. */
async function readCapped(response: Response, limit: number): Promise<string> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < limit) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } finally {
    await reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

/** The production sender: `fetch` POST with a timeout; redirects are not followed (a 3xx is a failure). */
export function fetchSender(timeoutMs: number, maxBodyBytes = 2048): WebhookSender {
  return async (url, body, headers) => {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
    return { status: response.status, body: await readCapped(response, maxBodyBytes).catch(() => '') }
  }
}
