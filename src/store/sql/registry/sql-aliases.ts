import type { Clock } from '../../../core/clock.js'
import { invalidParameter } from '../../../core/errors.js'
import type { AliasMove, ModelVersion } from '../../../registry/types.js'
import type { SqlDriver, SqlExecutor } from '../sql-driver.js'
import { appendAliasMove, appendEvent } from './registry-events.js'
import { findModel, findVersion, loadVersion, lockModel } from './registry-lookups.js'

/** Who removed an alias when a version or model delete removed it (the port names no actor there). */
export const SYSTEM_ACTOR = 'system'

/**
 * Removes aliases (all of a model's, or those on one version) inside the caller's transaction,
 * recording each move in the history and each removal as an event.
 */
export async function dropAliases(
  tx: SqlExecutor,
  model: { id: number; name: string },
  versionKey: number | null,
  now: number,
): Promise<void> {
  const rows = await tx.all<{ alias: string; version: number }>(
    `SELECT a.alias, v.version FROM registered_model_aliases a JOIN model_versions v ON v.id = a.version_key
     WHERE a.model_key = ?${versionKey === null ? '' : ' AND a.version_key = ?'} ORDER BY a.alias`,
    versionKey === null ? [model.id] : [model.id, versionKey],
  )
  for (const row of rows) {
    const from = Number(row.version)
    await tx.run('DELETE FROM registered_model_aliases WHERE model_key = ? AND alias = ?', [model.id, row.alias])
    await appendAliasMove(tx, { modelKey: model.id, name: model.name, alias: row.alias, from, to: null, at: now, by: SYSTEM_ACTOR })
    await appendEvent(tx, 'model_version_alias.deleted', { name: model.name, alias: row.alias, from_version: String(from) }, now)
  }
}

/** Aliases and their append-only history for `SqlRegistryStore`. */
export class SqlAliases {
  constructor(
    private readonly driver: SqlDriver,
    private readonly clock: Clock,
  ) {}

  /** Setting an alias to where it already points is a no-op: no history row, no event. */
  async set(name: string, alias: string, version: string, movedBy: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      await lockModel(tx, name)
      const row = await findVersion(tx, name, version)
      const current = await tx.get<{ version_key: number; version: number }>(
        `SELECT a.version_key, v.version FROM registered_model_aliases a JOIN model_versions v ON v.id = a.version_key
         WHERE a.model_key = ? AND a.alias = ?`,
        [row.model_key, alias],
      )
      if (current !== undefined && Number(current.version_key) === Number(row.id)) return
      await tx.run(
        `INSERT INTO registered_model_aliases (model_key, alias, version_key) VALUES (?, ?, ?)
         ON CONFLICT (model_key, alias) DO UPDATE SET version_key = excluded.version_key`,
        [row.model_key, alias, row.id],
      )
      const from = current === undefined ? null : Number(current.version)
      await appendAliasMove(tx, { modelKey: Number(row.model_key), name, alias, from, to: Number(row.version), at: now, by: movedBy })
      await appendEvent(
        tx,
        'model_version_alias.created',
        { name, alias, version: String(row.version), from_version: from === null ? null : String(from) },
        now,
      )
    })
  }

  /** As MLflow, deleting an absent alias succeeds; it records nothing. */
  async delete(name: string, alias: string, movedBy: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      const model = await lockModel(tx, name)
      const current = await tx.get<{ version: number }>(
        `SELECT v.version FROM registered_model_aliases a JOIN model_versions v ON v.id = a.version_key
         WHERE a.model_key = ? AND a.alias = ?`,
        [model.id, alias],
      )
      if (current === undefined) return
      const from = Number(current.version)
      await tx.run('DELETE FROM registered_model_aliases WHERE model_key = ? AND alias = ?', [model.id, alias])
      await appendAliasMove(tx, { modelKey: Number(model.id), name, alias, from, to: null, at: now, by: movedBy })
      await appendEvent(tx, 'model_version_alias.deleted', { name, alias, from_version: String(from) }, now)
    })
  }

  /** An unknown alias is INVALID_PARAMETER_VALUE with MLflow's message (MLflow answers 400). */
  async version(name: string, alias: string): Promise<ModelVersion> {
    const model = await findModel(this.driver, name)
    const found = await this.driver.get<{ version_key: number }>(
      'SELECT version_key FROM registered_model_aliases WHERE model_key = ? AND alias = ?',
      [model.id, alias],
    )
    if (found === undefined) throw invalidParameter(`Registered model alias ${alias} not found.`)
    return loadVersion(this.driver, Number(found.version_key))
  }

  /** Oldest first. History follows the model through renames, so it carries the current name. */
  async history(name: string, alias?: string): Promise<AliasMove[]> {
    const model = await findModel(this.driver, name)
    const rows = await this.driver.all<{
      id: number
      alias: string
      from_version: number | null
      to_version: number | null
      moved_at: number
      moved_by: string
    }>(
      `SELECT id, alias, from_version, to_version, moved_at, moved_by FROM alias_history
       WHERE model_key = ?${alias === undefined ? '' : ' AND alias = ?'} ORDER BY id`,
      alias === undefined ? [model.id] : [model.id, alias],
    )
    return rows.map((r) => ({
      id: Number(r.id),
      name: model.name,
      alias: r.alias,
      fromVersion: r.from_version === null ? null : String(r.from_version),
      toVersion: r.to_version === null ? null : String(r.to_version),
      movedAt: Number(r.moved_at),
      movedBy: r.moved_by,
    }))
  }
}
