import type { Clock } from '../../../core/clock.js'
import { alreadyExists, invalidParameter, notFound } from '../../../core/errors.js'
import { encodePageToken, offsetFromToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import type {
  CreateModelVersionInput,
  CreateWebhookInput,
  RegistryStore,
  SearchInput,
  UpdateWebhookInput,
} from '../../../registry/registry-store.js'
import { MODEL_STAGES } from '../../../registry/types.js'
import type {
  AliasMove,
  DeliveryStatus,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  Tag,
  Webhook,
  WebhookDelivery,
} from '../../../registry/types.js'
import { REGISTRY_LIMITS, resolveMaxResults } from '../../../registry/validation.js'
import type { SqlDriver } from '../sql-driver.js'
import { appendEvent } from './registry-events.js'
import { findModel, findVersion, loadModel, loadVersion, lockModel } from './registry-lookups.js'
import {
  MODEL_COLUMNS,
  VERSION_COLUMNS,
  VERSION_FROM,
  dedupeTags,
  hydrateModels,
  hydrateVersions,
  tagObject,
  toModel,
  toVersion,
} from './registry-rows.js'
import type { ModelRow, VersionRow } from './registry-rows.js'
import { modelSearchSql, versionSearchSql } from './registry-search.js'
import { SqlAliases, dropAliases } from './sql-aliases.js'
import { SqlWebhooks } from './sql-webhooks.js'

export interface SqlRegistryStoreOptions {
  clock: Clock
}

/** Offsets beyond 2^53 cannot come from our own tokens, and PostgreSQL would reject them as bigint. */
function pageOffset(token: string | undefined): number {
  const offset = offsetFromToken(token)
  if (offset > Number.MAX_SAFE_INTEGER) throw invalidParameter('Invalid page token: its offset is out of range.')
  return offset
}

/** SQLite and PostgreSQL report a duplicate key differently; both mean "already exists". */
function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/**
 * The registry on SQLite or PostgreSQL through `SqlDriver`. Every mutation runs in one transaction
 * that also appends its registry event (outbox) and alias-history rows. The driver belongs to
 * whoever opened it: `close()` leaves it open.
 */
export class SqlRegistryStore implements RegistryStore {
  private readonly driver: SqlDriver
  private readonly clock: Clock
  private readonly webhooks: SqlWebhooks
  private readonly aliases: SqlAliases

  constructor(driver: SqlDriver, options: SqlRegistryStoreOptions) {
    this.driver = driver
    this.clock = options.clock
    this.webhooks = new SqlWebhooks(driver, options.clock)
    this.aliases = new SqlAliases(driver, options.clock)
  }

  async createRegisteredModel(input: { name: string; description?: string; tags?: Tag[] }): Promise<RegisteredModel> {
    const now = this.clock.now()
    const tags = dedupeTags(input.tags)
    const description = input.description ?? ''
    try {
      return await this.driver.transaction(async (tx) => {
        const existing = await tx.get('SELECT id FROM registered_models WHERE name = ?', [input.name])
        if (existing !== undefined) throw alreadyExists(`Registered Model (name=${input.name}) already exists.`)
        const row = await tx.get<{ id: number }>(
          `INSERT INTO registered_models (name, description, creation_timestamp, last_updated_timestamp, next_version)
           VALUES (?, ?, ?, ?, 1) RETURNING id`,
          [input.name, description, now, now],
        )
        const id = Number(row!.id)
        for (const tag of tags) {
          await tx.run('INSERT INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?)', [id, tag.key, tag.value])
        }
        await appendEvent(tx, 'registered_model.created', { name: input.name, tags: tagObject(tags), description: description || null }, now)
        const model: ModelRow = { id, name: input.name, description, creation_timestamp: now, last_updated_timestamp: now }
        return toModel(model, tags, [])
      })
    } catch (error) {
      // Two concurrent creates of one name: the loser hits the unique index.
      if (isUniqueViolation(error)) throw alreadyExists(`Registered Model (name=${input.name}) already exists.`)
      throw error
    }
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const [model] = await hydrateModels(this.driver, [await findModel(this.driver, name)])
    return model!
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const now = this.clock.now()
    try {
      return await this.driver.transaction(async (tx) => {
        const model = await lockModel(tx, name)
        if (newName !== name) {
          const taken = await tx.get('SELECT id FROM registered_models WHERE name = ?', [newName])
          if (taken !== undefined) throw alreadyExists(`Registered Model (name=${newName}) already exists.`)
          // Versions, tags, aliases and alias history hang off the surrogate key, so they follow.
          await tx.run('UPDATE registered_models SET name = ?, last_updated_timestamp = ? WHERE id = ?', [newName, now, model.id])
          await tx.run('UPDATE model_versions SET last_updated_timestamp = ? WHERE model_key = ?', [now, model.id])
        }
        return loadModel(tx, model.id)
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists(`Registered Model (name=${newName}) already exists.`)
      throw error
    }
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    return this.driver.transaction(async (tx) => {
      const model = await findModel(tx, name)
      await tx.run('UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE id = ?', [
        description,
        this.clock.now(),
        model.id,
      ])
      return loadModel(tx, model.id)
    })
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      const model = await lockModel(tx, name)
      await dropAliases(tx, model, null, now)
      await tx.run('DELETE FROM registered_models WHERE id = ?', [model.id])
      await appendEvent(tx, 'registered_model.deleted', { name }, now)
    })
  }

  async searchRegisteredModels(input: SearchInput): Promise<Page<RegisteredModel>> {
    const max = resolveMaxResults(input.maxResults, REGISTRY_LIMITS.searchModelsDefault, REGISTRY_LIMITS.searchModelsMax)
    const offset = pageOffset(input.pageToken)
    const sql = modelSearchSql(this.driver.dialect, input.filter, input.orderBy)
    const rows = await this.driver.all<ModelRow>(
      `SELECT ${MODEL_COLUMNS} FROM registered_models m WHERE ${sql.where} ORDER BY ${sql.orderBy} LIMIT ? OFFSET ?`,
      [...sql.params, max + 1, offset],
    )
    const items = await hydrateModels(this.driver, rows.slice(0, max))
    return rows.length > max ? { items, nextPageToken: encodePageToken({ offset: offset + max }) } : { items }
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const model = await findModel(tx, name)
      await tx.run(
        `INSERT INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?)
         ON CONFLICT (model_key, key) DO UPDATE SET value = excluded.value`,
        [model.id, tag.key, tag.value],
      )
    })
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.driver.transaction(async (tx) => {
      const model = await findModel(tx, name)
      await tx.run('DELETE FROM registered_model_tags WHERE model_key = ? AND key = ?', [model.id, key])
    })
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
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

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const [mv] = await hydrateVersions(this.driver, [await findVersion(this.driver, name, version)])
    return mv!
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    return this.driver.transaction(async (tx) => {
      const row = await findVersion(tx, name, version)
      await tx.run('UPDATE model_versions SET description = ?, last_updated_timestamp = ? WHERE id = ?', [
        description,
        this.clock.now(),
        row.id,
      ])
      return loadVersion(tx, row.id)
    })
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
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

  async searchModelVersions(input: SearchInput): Promise<Page<ModelVersion>> {
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

  async setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
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

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      const row = await findVersion(tx, name, version)
      const { changes } = await tx.run('DELETE FROM model_version_tags WHERE version_key = ? AND key = ?', [row.id, key])
      if (changes > 0) await appendEvent(tx, 'model_version_tag.deleted', { name, version: String(row.version), key }, now)
    })
  }

  async getLatestVersions(name: string, stages: ModelStage[]): Promise<ModelVersion[]> {
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

  async transitionStage(name: string, version: string, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
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
      if (archiveExisting) {
        await tx.run(
          `UPDATE model_versions SET current_stage = 'Archived', last_updated_timestamp = ?
           WHERE model_key = ? AND current_stage = ? AND id <> ?`,
          [now, row.model_key, stage, row.id],
        )
      }
      await tx.run('UPDATE model_versions SET current_stage = ?, last_updated_timestamp = ? WHERE id = ?', [stage, now, row.id])
      await tx.run('UPDATE registered_models SET last_updated_timestamp = ? WHERE id = ?', [now, row.model_key])
      return loadVersion(tx, row.id)
    })
  }

  setAlias(name: string, alias: string, version: string, movedBy: string): Promise<void> {
    return this.aliases.set(name, alias, version, movedBy)
  }

  deleteAlias(name: string, alias: string, movedBy: string): Promise<void> {
    return this.aliases.delete(name, alias, movedBy)
  }

  getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.aliases.version(name, alias)
  }

  aliasHistory(name: string, alias?: string): Promise<AliasMove[]> {
    return this.aliases.history(name, alias)
  }

  createWebhook(input: CreateWebhookInput): Promise<Webhook> {
    return this.webhooks.create(input)
  }

  getWebhook(webhookId: string): Promise<Webhook> {
    return this.webhooks.get(webhookId)
  }

  listWebhooks(): Promise<Webhook[]> {
    return this.webhooks.list()
  }

  updateWebhook(webhookId: string, input: UpdateWebhookInput): Promise<Webhook> {
    return this.webhooks.update(webhookId, input)
  }

  deleteWebhook(webhookId: string): Promise<void> {
    return this.webhooks.delete(webhookId)
  }

  /** The webhook's HMAC secret ('' when none), for `WebhookDispatcher.sendTest`; never on the wire. */
  webhookSecret(webhookId: string): Promise<string> {
    return this.webhooks.secret(webhookId)
  }

  /**
   * Due deliveries, oldest first. Each returned delivery is claimed for `DELIVERY_LEASE_MS`, so
   * dispatchers on several servers never send one delivery twice at once.
   */
  dueDeliveries(now: number, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.due(now, limit)
  }

  recordDeliveryAttempt(
    deliveryId: number,
    outcome: { status: DeliveryStatus; nextAttemptAt: number; error: string },
  ): Promise<void> {
    return this.webhooks.recordAttempt(deliveryId, outcome)
  }

  listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.listDeliveries(webhookId, limit)
  }

  async close(): Promise<void> {
    // The driver is shared with the tracking store; whoever opened it closes it.
  }
}
