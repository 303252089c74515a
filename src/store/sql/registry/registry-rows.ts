import type {
  AliasRef,
  Lineage,
  ModelStage,
  ModelVersion,
  ModelVersionStatus,
  RegisteredModel,
  Tag,
} from '../../../registry/types.js'
import type { SqlExecutor } from '../sql-driver.js'
import { chunked, inList } from './in-list.js'

export interface ModelRow {
  id: number
  name: string
  description: string
  creation_timestamp: number
  last_updated_timestamp: number
}

export interface VersionRow {
  id: number
  model_key: number
  name: string
  version: number
  creation_timestamp: number
  last_updated_timestamp: number
  description: string
  user_id: string
  current_stage: string
  source: string
  run_id: string
  run_link: string
  status: string
  status_message: string
  model_id: string
  lineage: unknown
}

export const MODEL_COLUMNS = 'm.id, m.name, m.description, m.creation_timestamp, m.last_updated_timestamp'

export const VERSION_COLUMNS =
  'v.id, v.model_key, m.name, v.version, v.creation_timestamp, v.last_updated_timestamp, v.description, ' +
  'v.user_id, v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message, v.model_id, v.lineage'

export const VERSION_FROM = 'model_versions v JOIN registered_models m ON m.id = v.model_key'

/** SQLite hands JSON columns back as text, PostgreSQL (jsonb) as parsed values. */
export function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : value
}

export function lineageFromColumn(value: unknown): Lineage {
  const parsed = parseJson(value)
  return parsed !== null && typeof parsed === 'object' ? (parsed as Lineage) : {}
}

export function toModel(row: ModelRow, tags: Tag[], aliases: AliasRef[]): RegisteredModel {
  return {
    name: row.name,
    creationTimestamp: Number(row.creation_timestamp),
    lastUpdatedTimestamp: Number(row.last_updated_timestamp),
    description: row.description,
    tags,
    aliases,
  }
}

export function toVersion(row: VersionRow, tags: Tag[], aliases: string[]): ModelVersion {
  return {
    name: row.name,
    version: String(row.version),
    creationTimestamp: Number(row.creation_timestamp),
    lastUpdatedTimestamp: Number(row.last_updated_timestamp),
    description: row.description,
    userId: row.user_id,
    currentStage: row.current_stage as ModelStage,
    source: row.source,
    runId: row.run_id,
    runLink: row.run_link,
    status: row.status as ModelVersionStatus,
    statusMessage: row.status_message,
    tags,
    aliases,
    modelId: row.model_id,
    lineage: lineageFromColumn(row.lineage),
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/** Loads tags and aliases of a page of models with two queries per chunk (no per-row query). */
export async function hydrateModels(ex: SqlExecutor, rows: readonly ModelRow[]): Promise<RegisteredModel[]> {
  const tags = new Map<number, Tag[]>()
  const aliases = new Map<number, AliasRef[]>()
  for (const chunk of chunked(rows.map((r) => Number(r.id)))) {
    const list = inList(chunk)
    const tagRows = await ex.all<{ model_key: number; key: string; value: string }>(
      `SELECT model_key, key, value FROM registered_model_tags WHERE model_key IN ${list.sql} ORDER BY key`,
      list.params,
    )
    for (const t of tagRows) push(tags, Number(t.model_key), { key: t.key, value: t.value })
    const aliasRows = await ex.all<{ model_key: number; alias: string; version: number }>(
      `SELECT a.model_key, a.alias, v.version FROM registered_model_aliases a JOIN model_versions v ON v.id = a.version_key
       WHERE a.model_key IN ${list.sql} ORDER BY a.alias`,
      list.params,
    )
    for (const a of aliasRows) push(aliases, Number(a.model_key), { alias: a.alias, version: String(a.version) })
  }
  return rows.map((row) => toModel(row, tags.get(Number(row.id)) ?? [], aliases.get(Number(row.id)) ?? []))
}

/** Loads tags and aliases of a page of versions (pages may hold 200,000 versions, so chunked). */
export async function hydrateVersions(ex: SqlExecutor, rows: readonly VersionRow[]): Promise<ModelVersion[]> {
  const tags = new Map<number, Tag[]>()
  const aliases = new Map<number, string[]>()
  for (const chunk of chunked(rows.map((r) => Number(r.id)))) {
    const list = inList(chunk)
    const tagRows = await ex.all<{ version_key: number; key: string; value: string }>(
      `SELECT version_key, key, value FROM model_version_tags WHERE version_key IN ${list.sql} ORDER BY key`,
      list.params,
    )
    for (const t of tagRows) push(tags, Number(t.version_key), { key: t.key, value: t.value })
    const aliasRows = await ex.all<{ version_key: number; alias: string }>(
      `SELECT version_key, alias FROM registered_model_aliases WHERE version_key IN ${list.sql} ORDER BY alias`,
      list.params,
    )
    for (const a of aliasRows) push(aliases, Number(a.version_key), a.alias)
  }
  return rows.map((row) => toVersion(row, tags.get(Number(row.id)) ?? [], aliases.get(Number(row.id)) ?? []))
}

/** `[{key, value}]` → `{key: value}`, the shape of MLflow's webhook payloads. */
export function tagObject(tags: readonly Tag[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const tag of tags) out[tag.key] = tag.value
  return out
}

/** Last value wins for a repeated key, as MLflow's `tags_dict`. */
export function dedupeTags(tags: readonly Tag[] | undefined): Tag[] {
  if (tags === undefined || tags.length === 0) return []
  const byKey = new Map<string, string>()
  for (const tag of tags) byKey.set(tag.key, tag.value)
  return [...byKey].map(([key, value]) => ({ key, value })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}
