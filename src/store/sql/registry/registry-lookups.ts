import { invalidParameter, notFound } from '../../../core/errors.js'
import type { ModelVersion, RegisteredModel } from '../../../registry/types.js'
import { REGISTRY_LIMITS } from '../../../registry/validation.js'
import type { SqlExecutor } from '../sql-driver.js'
import { MODEL_COLUMNS, VERSION_COLUMNS, VERSION_FROM, hydrateModels, hydrateVersions } from './registry-rows.js'
import type { ModelRow, VersionRow } from './registry-rows.js'

/** A stored version number; anything else is the caller's mistake, never a driver error. */
export function versionNumber(version: string): number {
  const text = String(version).trim()
  const n = /^\d+$/.test(text) ? Number(text) : NaN
  if (!Number.isInteger(n) || n < 1 || n > REGISTRY_LIMITS.versionMax) {
    throw invalidParameter(`Invalid version '${String(version)}': pass a positive integer such as '3'.`)
  }
  return n
}

export async function findModel(ex: SqlExecutor, name: string): Promise<ModelRow> {
  const row = await ex.get<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.name = ?`, [name])
  if (row === undefined) throw notFound(`Registered Model with name=${name} not found`)
  return row
}

/**
 * `findModel` that also takes the model row's lock until the transaction ends (PostgreSQL; SQLite's
 * write transaction already excludes other writers), so read-then-write steps on one model (alias
 * moves and their history, deletes, stage archiving) never interleave.
 */
export async function lockModel(tx: SqlExecutor, name: string): Promise<ModelRow> {
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : ''
  const row = await tx.get<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.name = ?${lock}`, [name])
  if (row === undefined) throw notFound(`Registered Model with name=${name} not found`)
  return row
}

export async function findVersion(ex: SqlExecutor, name: string, version: string): Promise<VersionRow> {
  const row = await ex.get<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE m.name = ? AND v.version = ?`, [
    name,
    versionNumber(version),
  ])
  if (row === undefined) throw notFound(`Model Version (name=${name}, version=${version}) not found`)
  return row
}

/** A version by surrogate key, with tags and aliases; the key must exist. */
export async function loadVersion(ex: SqlExecutor, id: number): Promise<ModelVersion> {
  const row = await ex.get<VersionRow>(`SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE v.id = ?`, [id])
  const [version] = await hydrateVersions(ex, [row!])
  return version!
}

/** A model by surrogate key, with tags and aliases; the key must exist. */
export async function loadModel(ex: SqlExecutor, key: number): Promise<RegisteredModel> {
  const row = await ex.get<ModelRow>(`SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE m.id = ?`, [key])
  const [model] = await hydrateModels(ex, [row!])
  return model!
}
