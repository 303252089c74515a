import type { Clock } from '../../../core/clock.js'
import { alreadyExists } from '../../../core/errors.js'
import { encodePageToken } from '../../../core/page.js'
import type { Page } from '../../../core/page.js'
import type {
  CreateModelVersionInput,
  CreateWebhookInput,
  RegistryStore,
  SearchInput,
  UpdateWebhookInput,
} from '../../../registry/registry-store.js'
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
import { findModel, loadModel, lockModel } from './registry-lookups.js'
import { MODEL_COLUMNS, dedupeTags, hydrateModels, tagObject, toModel } from './registry-rows.js'
import type { ModelRow } from './registry-rows.js'
import { modelSearchSql, pageOffset } from './registry-search.js'
import { SqlAliases, dropAliases } from './sql-aliases.js'
import { SqlModelVersions } from './sql-model-versions.js'
import { SqlWebhooks } from './sql-webhooks.js'

export interface SqlRegistryStoreOptions {
  clock: Clock
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
  private readonly versions: SqlModelVersions
  private readonly aliases: SqlAliases
  private readonly webhooks: SqlWebhooks

  constructor(driver: SqlDriver, options: SqlRegistryStoreOptions) {
    this.driver = driver
    this.clock = options.clock
    this.versions = new SqlModelVersions(driver, options.clock)
    this.aliases = new SqlAliases(driver, options.clock)
    this.webhooks = new SqlWebhooks(driver, options.clock)
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
          await appendEvent(tx, 'registered_model.renamed', { name: newName, previous_name: name }, now)
        }
        return loadModel(tx, model.id)
      })
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyExists(`Registered Model (name=${newName}) already exists.`)
      throw error
    }
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const now = this.clock.now()
    return this.driver.transaction(async (tx) => {
      const model = await findModel(tx, name)
      await tx.run('UPDATE registered_models SET description = ?, last_updated_timestamp = ? WHERE id = ?', [description, now, model.id])
      await appendEvent(tx, 'registered_model.updated', { name, description }, now)
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
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      const model = await lockModel(tx, name)
      const current = await tx.get<{ value: string }>('SELECT value FROM registered_model_tags WHERE model_key = ? AND key = ?', [
        model.id,
        tag.key,
      ])
      if (current?.value === tag.value) return // no change, no event
      await tx.run(
        `INSERT INTO registered_model_tags (model_key, key, value) VALUES (?, ?, ?)
         ON CONFLICT (model_key, key) DO UPDATE SET value = excluded.value`,
        [model.id, tag.key, tag.value],
      )
      await appendEvent(tx, 'registered_model_tag.set', { name, key: tag.key, value: tag.value }, now)
    })
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    const now = this.clock.now()
    await this.driver.transaction(async (tx) => {
      const model = await findModel(tx, name)
      const { changes } = await tx.run('DELETE FROM registered_model_tags WHERE model_key = ? AND key = ?', [model.id, key])
      if (changes > 0) await appendEvent(tx, 'registered_model_tag.deleted', { name, key }, now)
    })
  }

  createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    return this.versions.create(input)
  }

  getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.versions.get(name, version)
  }

  updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    return this.versions.update(name, version, description)
  }

  deleteModelVersion(name: string, version: string): Promise<void> {
    return this.versions.delete(name, version)
  }

  searchModelVersions(input: SearchInput): Promise<Page<ModelVersion>> {
    return this.versions.search(input)
  }

  setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
    return this.versions.setTag(name, version, tag)
  }

  deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    return this.versions.deleteTag(name, version, key)
  }

  getLatestVersions(name: string, stages: ModelStage[]): Promise<ModelVersion[]> {
    return this.versions.latest(name, stages)
  }

  transitionStage(name: string, version: string, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    return this.versions.transition(name, version, stage, archiveExisting)
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
