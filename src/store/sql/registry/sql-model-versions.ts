import type { Clock } from '../../../core/clock.js'
import { invalidParameter, notFound } from '../../../core/errors.js'
import { encodePageToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import type { CreateModelVersionInput, SearchInput } from '../../../registry/registry-store.js'
import { MODEL_STAGES } from '../../../registry/types.js'
import type { ModelStage, ModelVersion, Tag } from '../../../registry/types.js'
import { REGISTRY_LIMITS, resolveMaxResults } from '../../../registry/validation.js'
import type { SqlDriver } from '../sql-driver.js'
import { appendEvent } from './registry-events.js'
import { findModel, findVersion, loadVersion, lockModel } from './registry-lookups.js'
import { VERSION_COLUMNS, VERSION_FROM, dedupeTags, hydrateVersions, tagObject, toVersion } from './registry-rows.js'
import type { VersionRow } from './registry-rows.js'
import { pageOffset, versionSearchSql } from './registry-search.js'
import { dropAliases } from './sql-aliases.js'

/** Model versions, their tags and stages for `SqlRegistryStore`. */
export class SqlModelVersions {
  constructor(
    private readonly driver: SqlDriver,
    private readonly clock: Clock,
  ) {}

  async create(input: CreateModelVersionInput): Promise<ModelVersion> {
    const now = this.clock.now()
    const tags = dedupeTags(input.tags)
    return this.driver.transaction(async (tx) => {
      // The counter on the model row is incremented under its row lock (PostgreSQL) or the write
      // lock (SQLite): concurrent creates serialize here and never share a number.
      const counter = await tx.get<{ id: number; next_version: number }>(
        `UPDATE registered_models SET next_version = next_version + 1, last_updated_timestamp = ?
         WHERE name = ? RETURNING id, next_version`,
        [now, input.name],
      )
      if (counter === undefined) throw notFound(`Registered Model with name=${input.name} not found`)
      const modelKey = Number(counter.id)
      const version = Number(counter.next_version) - 1
      const row: VersionRow = {
        id: 0,
        model_key: modelKey,
        name: input.name,
        version,
        creation_timestamp: now,
        last_updated_timestamp: now,
        description: input.description ?? '',
        user_id: input.userId ?? '',
        current_stage: 'None',
        source: input.source,
        run_id: input.runId ?? '',
        run_link: input.runLink ?? '',
        status: 'READY',
        status_message: '',
        model_id: input.modelId ?? '',
        lineage: input.lineage ?? {},
      }
      const inserted = await tx.get<{ id: number }>(
        `INSERT INTO model_versions (model_key, version, creation_timestamp, last_updated_timestamp, description, user_id,
           current_stage, source, run_id, run_link, status, status_message, model_id, lineage)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [
          modelKey, version, now, now, row.description, row.user_id, row.current_stage, row.source, row.run_id,
          row.run_link, row.status, row.status_message, row.model_id, JSON.stringify(row.lineage),
        ],
      )
      row.id = Number(inserted!.id)
      for (const tag of tags) {
        await tx.run('INSERT INTO model_version_tags (version_key, key, value) VALUES (?, ?, ?)', [row.id, tag.key, tag.value])
      }
      await appendEvent(
        tx,
        'model_version.created',
        {
          name: input.name,
          version: String(version),
          source: input.source,
          run_id: row.run_id === '' ? null : row.run_id,
          tags: tagObject(tags),
          description: row.description === '' ? null : row.description,
        },
        now,
      )
      return toVersion(row, tags, [])
    })
  }

  async get(name: string, version: string): Promise<ModelVersion> {
    const [mv] = await hydrateVersions(this.driver, [await findVersion(this.driver, name, version)])
    return mv!
  }

  async update(name: string, version: string, description: string): Promise<ModelVersion> {
    const now = this.clock.now()
    return this.driver.transaction(async (tx) => {
      const row = await findVersion(tx, name, version)
      await tx.run('UPDATE model_versions SET description = ?, last_updated_timestamp = ? WHERE id = ?', [description, now, row.id])
      await appendEvent(tx, 'model_version.updated', { name, version: String(row.version), description }, now)
      return loadVersion(tx, row.id)
    })
  }

  async delete(name: string, version: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      await lockModel(tx, name)
      const row = await findVersion(tx, name, version)
      const model = { id: Number(row.model_key), name: row.name }
      await dropAliases(tx, model, row.id, now)
      await tx.run('DELETE FROM model_versions WHERE id = ?', [row.id])
      await tx.run('UPDATE registered_models SET last_updated_timestamp = ? WHERE id = ?', [now, model.id])
      await appendEvent(tx, 'model_version.deleted', { name, version: String(row.version) }, now)
    })
  }

  async search(input: SearchInput): Promise<Page<ModelVersion>> {
    const max = resolveMaxResults(input.maxResults, REGISTRY_LIMITS.searchVersionsDefault, REGISTRY_LIMITS.searchVersionsMax)
    const offset = pageOffset(input.pageToken)
    const sql = versionSearchSql(this.driver.dialect, input.filter, input.orderBy)
    const rows = await this.driver.all<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE ${sql.where} ORDER BY ${sql.orderBy} LIMIT ? OFFSET ?`,
      [...sql.params, max + 1, offset],
    )
    const items = await hydrateVersions(this.driver, rows.slice(0, max))
    return rows.length > max ? { items, nextPageToken: encodePageToken({ offset: offset + max }) } : { items }
  }

  async setTag(name: string, version: string, tag: Tag): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      await lockModel(tx, name)
      const row = await findVersion(tx, name, version)
      const current = await tx.get<{ value: string }>('SELECT value FROM model_version_tags WHERE version_key = ? AND key = ?', [
        row.id,
        tag.key,
      ])
      if (current?.value === tag.value) return // no change, no event
      await tx.run(
        `INSERT INTO model_version_tags (version_key, key, value) VALUES (?, ?, ?)
         ON CONFLICT (version_key, key) DO UPDATE SET value = excluded.value`,
        [row.id, tag.key, tag.value],
      )
      await appendEvent(tx, 'model_version_tag.set', { name, version: String(row.version), key: tag.key, value: tag.value }, now)
    })
  }

  async deleteTag(name: string, version: string, key: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      const row = await findVersion(tx, name, version)
      const { changes } = await tx.run('DELETE FROM model_version_tags WHERE version_key = ? AND key = ?', [row.id, key])
      if (changes > 0) await appendEvent(tx, 'model_version_tag.deleted', { name, version: String(row.version), key }, now)
    })
  }

  async latest(name: string, stages: ModelStage[]): Promise<ModelVersion[]> {
    const model = await findModel(this.driver, name)
    const rows = await this.driver.all<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM ${VERSION_FROM} WHERE v.model_key = ? AND v.version = (
         SELECT MAX(v2.version) FROM model_versions v2 WHERE v2.model_key = v.model_key AND v2.current_stage = v.current_stage)`,
      [model.id],
    )
    const wanted = new Set<string>(stages.length === 0 ? MODEL_STAGES : stages)
    const picked = rows
      .filter((r) => wanted.has(r.current_stage))
      .sort((a, b) => MODEL_STAGES.indexOf(a.current_stage as ModelStage) - MODEL_STAGES.indexOf(b.current_stage as ModelStage))
    return hydrateVersions(this.driver, picked)
  }

  async transition(name: string, version: string, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    if (!MODEL_STAGES.includes(stage)) {
      throw invalidParameter(`Invalid stage '${String(stage)}': use one of ${MODEL_STAGES.join(', ')}.`)
    }
    if (archiveExisting && stage !== 'Staging' && stage !== 'Production') {
      throw invalidParameter(
        `Model version transition cannot archive existing model versions because '${stage}' is not an active stage; archive_existing_versions works with Staging or Production.`,
      )
    }
    const now = this.clock.now()
    return this.driver.transaction(async (tx) => {
      await lockModel(tx, name)
      const row = await findVersion(tx, name, version)
      let archived: number[] = []
      if (archiveExisting) {
        archived = (
          await tx.all<{ version: number }>('SELECT version FROM model_versions WHERE model_key = ? AND current_stage = ? AND id <> ? ORDER BY version', [
            row.model_key,
            stage,
            row.id,
          ])
        ).map((r) => Number(r.version))
        await tx.run(
          `UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = ?
           WHERE model_key = ? AND current_stage = ? AND id <> ?`,
          [now, row.model_key, stage, row.id],
        )
      }
      await tx.run('UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE id = ?', [stage, now, row.id])
      await tx.run('UPDATE registered_models SET last_updated_timestamp = ? WHERE id = ?', [now, row.model_key])
      await appendEvent(
        tx,
        'model_version.stage_transitioned',
        { name, version: String(row.version), from_stage: row.current_stage, to_stage: stage, archived_versions: archived.map(String) },
        now,
      )
      return loadVersion(tx, row.id)
    })
  }
}
