import type { RegistryEventType } from '../../../registry/types.js'
import type { SqlExecutor } from '../sql-driver.js'

/**
 * Writes one outbox row and fans it out to one PENDING delivery per ACTIVE webhook subscribed to the
 * event type, due now. Callers pass their transaction, so the change and its event commit together.
 */
export async function appendEvent(
  tx: SqlExecutor,
  type: RegistryEventType,
  payload: Record<string, unknown>,
  now: number,
): Promise<number> {
  const row = await tx.get<{ id: number }>(
    'INSERT INTO registry_events (type, created_at, payload) VALUES (?, ?, ?) RETURNING id',
    [type, now, JSON.stringify(payload)],
  )
  const eventId = Number(row!.id)
  // Casts: PostgreSQL cannot infer a parameter's type from an INSERT ... SELECT list.
  await tx.run(
    `INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, last_error, created_at, updated_at)
     SELECT w.id, CAST(? AS BIGINT), 'PENDING', 0, CAST(? AS BIGINT), '', CAST(? AS BIGINT), CAST(? AS BIGINT)
     FROM webhooks w JOIN webhook_events e ON e.webhook_id = w.id
     WHERE w.status = 'ACTIVE' AND e.event_type = ?`,
    [eventId, now, now, now, type],
  )
  return eventId
}

/** An alias move in the append-only history (`from`/`to` are version numbers, null for none). */
export async function appendAliasMove(
  tx: SqlExecutor,
  move: { modelKey: number; name: string; alias: string; from: number | null; to: number | null; at: number; by: string },
): Promise<void> {
  await tx.run(
    'INSERT INTO alias_history (model_key, name, alias, from_version, to_version, moved_at, moved_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [move.modelKey, move.name, move.alias, move.from, move.to, move.at, move.by],
  )
}
