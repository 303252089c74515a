import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter, notFound } from '../core/errors.js'
import type { Page } from '../core/page.js'
import { parseModelUri } from './model-uri.js'
import type {
  CreateModelVersionInput,
  CreateWebhookInput,
  RegistryStore,
  SearchInput,
  UpdateWebhookInput,
} from './registry-store.js'
import type {
  AliasMove,
  DeliveryStatus,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  Tag,
  Webhook,
  WebhookDelivery,
} from './types.js'
import {
  REGISTRY_LIMITS,
  canonicalStage,
  rejectNul,
  resolveMaxResults,
  validateAlias,
  validateCreateModelVersion,
  validateCreateWebhook,
  validateDescription,
  validateModelName,
  validateTag,
  validateTagKey,
  validateTags,
  validateUpdateWebhook,
  validateVersion,
  validateWebhookId,
} from './validation.js'

export interface RegistryOptions {
  clock?: Clock
}

function validateSearch(input: SearchInput, defaultMax: number, max: number): SearchInput {
  const out: SearchInput = { maxResults: resolveMaxResults(input.maxResults, defaultMax, max) }
  rejectNul(input, 'search')
  if (input.filter !== undefined) {
    if (typeof input.filter !== 'string') throw invalidParameter(`'filter' must be a string.`)
    out.filter = input.filter
  }
  if (input.orderBy !== undefined) {
    if (!Array.isArray(input.orderBy) || input.orderBy.some((o) => typeof o !== 'string')) {
      throw invalidParameter(`'order_by' must be a list of strings such as ['name ASC'].`)
    }
    out.orderBy = input.orderBy
  }
  if (input.pageToken !== undefined) out.pageToken = input.pageToken
  return out
}

function validateActor(movedBy: string): string {
  if (typeof movedBy !== 'string') throw invalidParameter(`'moved_by' must be a string.`)
  rejectNul(movedBy, 'moved_by')
  return movedBy.slice(0, 256)
}

function validateLimit(limit: number, field: string): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw invalidParameter(`Invalid '${field}' ${String(limit)}: pass an integer from 1 to 1000.`)
  }
  return limit
}

/**
 * The registry's front door: checks every argument with MLflow's rules (names, aliases, versions,
 * tag and description sizes, stages) before the store sees it, and resolves `models:/` URIs.
 * @example
 * const registry = new Registry(new SqlRegistryStore(driver, { clock }))
 * const champion = await registry.resolveModelUri('models:/fraud@champion')
 */
export class Registry implements RegistryStore {
  readonly store: RegistryStore
  readonly clock: Clock

  constructor(store: RegistryStore, options: RegistryOptions = {}) {
    this.store = store
    this.clock = options.clock ?? systemClock
  }

  async createRegisteredModel(input: { name: string; description?: string; tags?: Tag[] }): Promise<RegisteredModel> {
    const checked: { name: string; description?: string; tags?: Tag[] } = { name: validateModelName(input.name) }
    if (input.description !== undefined) checked.description = validateDescription(input.description)
    const tags = validateTags(input.tags)
    if (tags !== undefined) checked.tags = tags
    return this.store.createRegisteredModel(checked)
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.store.getRegisteredModel(validateModelName(name))
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    return this.store.renameRegisteredModel(validateModelName(name), validateModelName(newName, 'new_name'))
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    return this.store.updateRegisteredModel(validateModelName(name), validateDescription(description))
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    return this.store.deleteRegisteredModel(validateModelName(name))
  }

  async searchRegisteredModels(input: SearchInput = {}): Promise<Page<RegisteredModel>> {
    return this.store.searchRegisteredModels(
      validateSearch(input, REGISTRY_LIMITS.searchModelsDefault, REGISTRY_LIMITS.searchModelsMax),
    )
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    return this.store.setRegisteredModelTag(validateModelName(name), validateTag(tag, 'tag'))
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.store.deleteRegisteredModelTag(validateModelName(name), validateTagKey(key))
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    return this.store.createModelVersion(validateCreateModelVersion(input))
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.store.getModelVersion(validateModelName(name), validateVersion(version))
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    return this.store.updateModelVersion(validateModelName(name), validateVersion(version), validateDescription(description))
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    return this.store.deleteModelVersion(validateModelName(name), validateVersion(version))
  }

  async searchModelVersions(input: SearchInput = {}): Promise<Page<ModelVersion>> {
    return this.store.searchModelVersions(
      validateSearch(input, REGISTRY_LIMITS.searchVersionsDefault, REGISTRY_LIMITS.searchVersionsMax),
    )
  }

  async setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
    return this.store.setModelVersionTag(validateModelName(name), validateVersion(version), validateTag(tag, 'tag'))
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    return this.store.deleteModelVersionTag(validateModelName(name), validateVersion(version), validateTagKey(key))
  }

  async getLatestVersions(name: string, stages: ModelStage[] = []): Promise<ModelVersion[]> {
    if (!Array.isArray(stages)) throw invalidParameter(`'stages' must be a list such as ['Production'].`)
    return this.store.getLatestVersions(
      validateModelName(name),
      stages.map((s) => canonicalStage(s, 'stages')),
    )
  }

  async transitionStage(name: string, version: string, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    const canonical = canonicalStage(stage)
    if (typeof archiveExisting !== 'boolean') {
      throw invalidParameter(`'archive_existing_versions' must be true or false.`)
    }
    if (archiveExisting && canonical !== 'Staging' && canonical !== 'Production') {
      throw invalidParameter(
        `archive_existing_versions works only when moving to Staging or Production, not '${canonical}'; pass false.`,
      )
    }
    return this.store.transitionStage(validateModelName(name), validateVersion(version), canonical, archiveExisting)
  }

  async setAlias(name: string, alias: string, version: string, movedBy: string): Promise<void> {
    return this.store.setAlias(validateModelName(name), validateAlias(alias), validateVersion(version), validateActor(movedBy))
  }

  async deleteAlias(name: string, alias: string, movedBy: string): Promise<void> {
    return this.store.deleteAlias(validateModelName(name), validateAlias(alias), validateActor(movedBy))
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.store.getVersionByAlias(validateModelName(name), validateAlias(alias))
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasMove[]> {
    return this.store.aliasHistory(validateModelName(name), alias === undefined ? undefined : validateAlias(alias))
  }

  /**
   * Resolves `models:/name@alias`, `models:/name/3`, `models:/name/latest` (highest version) and the
   * legacy `models:/name/Production` (newest version in that stage) to a model version.
   */
  async resolveModelUri(uri: string): Promise<ModelVersion> {
    const parsed = parseModelUri(uri)
    const name = validateModelName(parsed.name)
    switch (parsed.kind) {
      case 'alias':
        return this.store.getVersionByAlias(name, validateAlias(parsed.alias))
      case 'version':
        return this.store.getModelVersion(name, validateVersion(parsed.version))
      case 'latest':
      case 'stage': {
        const candidates = await this.store.getLatestVersions(name, parsed.kind === 'stage' ? [parsed.stage] : [])
        let best: ModelVersion | undefined
        for (const mv of candidates) if (best === undefined || Number(mv.version) > Number(best.version)) best = mv
        if (best === undefined) {
          throw notFound(
            parsed.kind === 'stage'
              ? `Registered model '${name}' has no version in stage ${parsed.stage} (${uri}).`
              : `Registered model '${name}' has no versions yet (${uri}).`,
          )
        }
        return best
      }
    }
  }

  async createWebhook(input: CreateWebhookInput): Promise<Webhook> {
    return this.store.createWebhook(validateCreateWebhook(input))
  }

  async getWebhook(webhookId: string): Promise<Webhook> {
    return this.store.getWebhook(validateWebhookId(webhookId))
  }

  async listWebhooks(): Promise<Webhook[]> {
    return this.store.listWebhooks()
  }

  async updateWebhook(webhookId: string, input: UpdateWebhookInput): Promise<Webhook> {
    return this.store.updateWebhook(validateWebhookId(webhookId), validateUpdateWebhook(input))
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    return this.store.deleteWebhook(validateWebhookId(webhookId))
  }

  /** Passes through to the store when it can tell (SQL stores); the dispatcher signs test sends with it. */
  async webhookSecret(webhookId: string): Promise<string> {
    const store = this.store as RegistryStore & { webhookSecret?: (id: string) => Promise<string> }
    if (store.webhookSecret === undefined) return ''
    return store.webhookSecret(validateWebhookId(webhookId))
  }

  async dueDeliveries(now: number, limit: number): Promise<WebhookDelivery[]> {
    return this.store.dueDeliveries(now, validateLimit(limit, 'limit'))
  }

  recordDeliveryAttempt(
    deliveryId: number,
    outcome: { status: DeliveryStatus; nextAttemptAt: number; error: string },
  ): Promise<void> {
    return this.store.recordDeliveryAttempt(deliveryId, outcome)
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.store.listDeliveries(validateWebhookId(webhookId), validateLimit(limit, 'max_results'))
  }

  async close(): Promise<void> {
    return this.store.close()
  }
}
