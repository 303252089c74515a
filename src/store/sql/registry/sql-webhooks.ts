import type { Clock } from '../../../core/clock.js'
import { invalidParameter, notFound } from '../../../core/errors.js'
import { newRunId } from '../../../core/ids.js'
import type { CreateWebhookInput, UpdateWebhookInput } from '../../../registry/registry-store.js'
import { REGISTRY_EVENT_TYPES } from '../../../registry/types.js'
import type {
  DeliveryStatus,
  RegistryEventType,
  Webhook,
  WebhookDelivery,
  WebhookStatus,
} from '../../../registry/types.js'
import type { SqlDriver, SqlExecutor, SqlValue } from '../sql-driver.js'
import { inList } from './in-list.js'
import { parseJson } from './registry-rows.js'

/**
 * How long `dueDeliveries` hands a delivery to one caller: several servers may run a dispatcher on the
 * same database, and a claimed delivery is not handed to another before its attempt is recorded or
 * this lease ends (a dispatcher that died mid-send). Longer than any sender's timeout.
 */
export const DELIVERY_LEASE_MS = 120_000

const MAX_LIMIT = 1000

interface WebhookRow {
  id: string
  name: string
  url: string
  description: string
  secret: string
  status: string
  creation_timestamp: number
  last_updated_timestamp: number
}

interface DeliveryRow {
  id: number
  webhook_id: string
  url: string
  secret: string
  event_id: number
  type: string
  created_at: number
  payload: unknown
  attempts: number
  status: string
  next_attempt_at: number
  last_error: string
}

const DELIVERY_SELECT = `SELECT d.id, d.webhook_id, w.url, w.secret, d.event_id, e.type, e.created_at, e.payload,
  d.attempts, d.status, d.next_attempt_at, d.last_error
  FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN registry_events e ON e.id = d.event_id`

const EVENT_ORDER = new Map<string, number>(REGISTRY_EVENT_TYPES.map((t, i) => [t, i]))

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw invalidParameter(`Invalid limit ${String(limit)}: pass an integer from 1 to ${MAX_LIMIT}.`)
  }
  return limit
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  const payload = parseJson(row.payload)
  return {
    deliveryId: Number(row.id),
    webhookId: row.webhook_id,
    url: row.url,
    secret: row.secret,
    event: {
      id: Number(row.event_id),
      type: row.type as RegistryEventType,
      createdAt: Number(row.created_at),
      payload: payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {},
    },
    attempts: Number(row.attempts),
    status: row.status as DeliveryStatus,
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
  }
}

/** Webhook CRUD and the delivery queue of `SqlRegistryStore`. */
export class SqlWebhooks {
  constructor(
    private readonly driver: SqlDriver,
    private readonly clock: Clock,
  ) {}

  private async row(ex: SqlExecutor, webhookId: string): Promise<WebhookRow> {
    const row = await ex.get<WebhookRow>('SELECT * FROM webhooks WHERE id = ?', [webhookId])
    if (row === undefined) throw notFound(`Webhook with id=${webhookId} not found.`)
    return row
  }

  private async toWebhook(ex: SqlExecutor, row: WebhookRow): Promise<Webhook> {
    const events = await ex.all<{ event_type: string }>('SELECT event_type FROM webhook_events WHERE webhook_id = ?', [row.id])
    return {
      webhookId: row.id,
      name: row.name,
      url: row.url,
      events: events
        .map((e) => e.event_type as RegistryEventType)
        .sort((a, b) => (EVENT_ORDER.get(a) ?? 99) - (EVENT_ORDER.get(b) ?? 99)),
      description: row.description,
      status: row.status as WebhookStatus,
      creationTimestamp: Number(row.creation_timestamp),
      lastUpdatedTimestamp: Number(row.last_updated_timestamp),
      hasSecret: row.secret !== '',
    }
  }

  private async writeEvents(tx: SqlExecutor, webhookId: string, events: readonly RegistryEventType[]): Promise<void> {
    await tx.run('DELETE FROM webhook_events WHERE webhook_id = ?', [webhookId])
    for (const event of new Set(events)) {
      await tx.run('INSERT INTO webhook_events (webhook_id, event_type) VALUES (?, ?)', [webhookId, event])
    }
  }

  async create(input: CreateWebhookInput): Promise<Webhook> {
    const now = this.clock.now()
    const id = newRunId()
    return this.driver.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO webhooks (id, name, url, description, secret, status, creation_timestamp, last_updated_timestamp)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [id, input.name, input.url, input.description ?? '', input.secret ?? '', input.status ?? 'ACTIVE', now, now],
      )
      await this.writeEvents(tx, id, input.events)
      return this.toWebhook(tx, await this.row(tx, id))
    })
  }

  async get(webhookId: string): Promise<Webhook> {
    return this.toWebhook(this.driver, await this.row(this.driver, webhookId))
  }

  async list(): Promise<Webhook[]> {
    const rows = await this.driver.all<WebhookRow>('SELECT * FROM webhooks ORDER BY creation_timestamp, name, id')
    const out: Webhook[] = []
    for (const row of rows) out.push(await this.toWebhook(this.driver, row))
    return out
  }

  async update(webhookId: string, input: UpdateWebhookInput): Promise<Webhook> {
    return this.driver.transaction(async (tx) => {
      await this.row(tx, webhookId)
      const sets: string[] = ['last_updated_timestamp = ?']
      const params: SqlValue[] = [this.clock.now()]
      for (const [field, column] of [
        ['name', 'name'],
        ['url', 'url'],
        ['description', 'description'],
        ['secret', 'secret'],
        ['status', 'status'],
      ] as const) {
        const value = input[field]
        if (value !== undefined) {
          sets.push(`${column} = ?`)
          params.push(value)
        }
      }
      await tx.run(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = ?`, [...params, webhookId])
      if (input.events !== undefined) await this.writeEvents(tx, webhookId, input.events)
      return this.toWebhook(tx, await this.row(tx, webhookId))
    })
  }

  async delete(webhookId: string): Promise<void> {
    const { changes } = await this.driver.run('DELETE FROM webhooks WHERE id = ?', [webhookId])
    if (changes === 0) throw notFound(`Webhook with id=${webhookId} not found.`)
  }

  /** The HMAC secret ('' when none); only the dispatcher asks for it. */
  async secret(webhookId: string): Promise<string> {
    return (await this.row(this.driver, webhookId)).secret
  }

  /** Claims due deliveries of active webhooks for `DELIVERY_LEASE_MS` (see there), oldest due first. */
  async due(now: number, limit: number): Promise<WebhookDelivery[]> {
    checkLimit(limit)
    // Dispatchers poll this often; a plain read keeps idle polls from taking the write lock.
    const any = await this.driver.get(
      "SELECT 1 AS due FROM webhook_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ? LIMIT 1",
      [now],
    )
    if (any === undefined) return []
    return this.driver.transaction(async (tx) => {
      const lock = tx.dialect === 'postgres' ? ' FOR UPDATE OF d SKIP LOCKED' : ''
      const rows = await tx.all<DeliveryRow>(
        `${DELIVERY_SELECT} WHERE d.status = 'PENDING' AND d.next_attempt_at <= ? AND w.status = 'ACTIVE'
         ORDER BY d.next_attempt_at, d.id LIMIT ?${lock}`,
        [now, limit],
      )
      if (rows.length === 0) return []
      const ids = inList(rows.map((r) => Number(r.id)))
      await tx.run(`UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id IN ${ids.sql}`, [
        now + DELIVERY_LEASE_MS,
        ...ids.params,
      ])
      return rows.map(toDelivery)
    })
  }

  async recordAttempt(
    deliveryId: number,
    outcome: { status: DeliveryStatus; nextAttemptAt: number; error: string },
  ): Promise<void> {
    if (!Number.isSafeInteger(deliveryId)) throw notFound(`Webhook delivery ${String(deliveryId)} not found.`)
    if (!['PENDING', 'DELIVERED', 'FAILED'].includes(outcome.status)) {
      throw invalidParameter(`Invalid delivery status '${String(outcome.status)}': use PENDING, DELIVERED or FAILED.`)
    }
    const { changes } = await this.driver.run(
      `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, last_error = ?, attempts = attempts + 1, updated_at = ?
       WHERE id = ?`,
      [outcome.status, outcome.nextAttemptAt, outcome.error.slice(0, 2000), this.clock.now(), deliveryId],
    )
    if (changes === 0) throw notFound(`Webhook delivery ${deliveryId} not found.`)
  }

  /** Newest first. */
  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    checkLimit(limit)
    await this.row(this.driver, webhookId)
    const rows = await this.driver.all<DeliveryRow>(`${DELIVERY_SELECT} WHERE d.webhook_id = ? ORDER BY d.id DESC LIMIT ?`, [
      webhookId,
      limit,
    ])
    return rows.map(toDelivery)
  }
}
