import { invalidParameter } from '../../../core/errors.js'
import type { Param, Tag } from '../../../tracking/index.js'
import type { SqlExecutor, SqlValue } from '../sql-driver.js'
import { insertRows, selectIn } from './sql-util.js'

/** Last value wins for a repeated key, as if the entries were applied one after another. */
export function lastByKey<T extends { key: string }>(entries: readonly T[]): T[] {
  const map = new Map<string, T>()
  for (const entry of entries) {
    map.delete(entry.key)
    map.set(entry.key, entry)
  }
  return [...map.values()]
}

/** Upserts tags of one owner into `table(ownerColumn, key, value)`, whose primary key is (owner, key). */
export async function upsertTags(
  db: SqlExecutor,
  table: string,
  ownerColumn: string,
  owner: SqlValue,
  tags: readonly Tag[],
): Promise<void> {
  await insertRows(
    db,
    lastByKey(tags),
    3,
    (values) =>
      `INSERT INTO ${table} (${ownerColumn}, key, value) VALUES ${values} ON CONFLICT (${ownerColumn}, key) DO UPDATE SET value = excluded.value`,
    (tag, out) => {
      out.push(owner, tag.key, tag.value)
    },
  )
}

/**
 * Params are write-once: logging the same value again is a no-op, a different value is refused with
 * MLflow's message. `ownerLabel` names the owner in that message, e.g. `run ID='…'`.
 */
export async function insertParamsOnce(
  db: SqlExecutor,
  table: string,
  ownerColumn: string,
  owner: string,
  ownerLabel: string,
  params: readonly Param[],
): Promise<void> {
  if (params.length === 0) return
  const unique = new Map<string, string>()
  for (const param of params) if (!unique.has(param.key)) unique.set(param.key, param.value)
  const existing = await selectIn<{ key: string; value: string }>(
    db,
    [...unique.keys()],
    (list) => `SELECT key, value FROM ${table} WHERE ${ownerColumn} = ? AND key IN (${list})`,
    [owner],
  )
  for (const row of existing) {
    const attempted = unique.get(row.key)!
    if (attempted !== row.value) {
      throw invalidParameter(
        `Changing param values is not allowed. Param with key='${row.key}' was already logged with value='${row.value}' for ${ownerLabel}. Attempted logging new value '${attempted}'.`,
        { key: row.key, old_value: row.value, new_value: attempted },
      )
    }
    unique.delete(row.key)
  }
  await insertRows(
    db,
    [...unique],
    3,
    (values) => `INSERT INTO ${table} (${ownerColumn}, key, value) VALUES ${values}`,
    ([key, value], out) => {
      out.push(owner, key, value)
    },
  )
}
