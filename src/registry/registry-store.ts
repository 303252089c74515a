import type { Page } from '../core/page.js'
import type {
  AliasMove,
  DeliveryStatus,
  Lineage,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  RegistryEventType,
  Tag,
  Webhook,
  WebhookDelivery,
  WebhookStatus,
} from './types.js'

export interface CreateModelVersionInput {
  name: string
  source: string
  runId?: string
  runLink?: string
  description?: string
  tags?: Tag[]
  modelId?: string
  userId?: string
  lineage?: Lineage
}

export interface SearchInput {
  /** Models: `name LIKE 'fraud%' AND tags.team = 'risk'`; versions: `name = 'fraud' AND run_id IN ('a')`. */
  filter?: string
  maxResults?: number
  orderBy?: string[]
  pageToken?: string
}

export interface CreateWebhookInput {
  name: string
  url: string
  events: RegistryEventType[]
  description?: string
  secret?: string
  status?: WebhookStatus
}

export interface UpdateWebhookInput {
  name?: string
  url?: string
  events?: RegistryEventType[]
  description?: string
  secret?: string
  status?: WebhookStatus
}

/**
 * Metadata of the model registry. Adapters: SQLite, PostgreSQL, HTTP.
 *
 * Every mutating method writes its registry event in the same transaction (an outbox), and fans it out
 * to one pending delivery per matching active webhook, so an acknowledged change never loses its event.
 * Alias moves are recorded in an append-only history with who moved them. Errors are `KeelError`s:
 * RESOURCE_DOES_NOT_EXIST for unknown names/versions, RESOURCE_ALREADY_EXISTS for duplicate names,
 * INVALID_PARAMETER_VALUE for an unknown alias (MLflow answers 400 there).
 */
export interface RegistryStore {
  createRegisteredModel(input: { name: string; description?: string; tags?: Tag[] }): Promise<RegisteredModel>
  getRegisteredModel(name: string): Promise<RegisteredModel>
  renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel>
  updateRegisteredModel(name: string, description: string): Promise<RegisteredModel>
  deleteRegisteredModel(name: string): Promise<void>
  searchRegisteredModels(input: SearchInput): Promise<Page<RegisteredModel>>
  setRegisteredModelTag(name: string, tag: Tag): Promise<void>
  deleteRegisteredModelTag(name: string, key: string): Promise<void>

  /** Versions number 1, 2, 3... per model, never reused, even after a delete. */
  createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion>
  getModelVersion(name: string, version: string): Promise<ModelVersion>
  updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion>
  deleteModelVersion(name: string, version: string): Promise<void>
  searchModelVersions(input: SearchInput): Promise<Page<ModelVersion>>
  setModelVersionTag(name: string, version: string, tag: Tag): Promise<void>
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void>
  /** Latest version per stage (legacy MLflow stages); all stages when `stages` is empty. */
  getLatestVersions(name: string, stages: ModelStage[]): Promise<ModelVersion[]>
  transitionStage(name: string, version: string, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion>

  setAlias(name: string, alias: string, version: string, movedBy: string): Promise<void>
  deleteAlias(name: string, alias: string, movedBy: string): Promise<void>
  getVersionByAlias(name: string, alias: string): Promise<ModelVersion>
  /** Every move, oldest first; one alias or all aliases of the model. */
  aliasHistory(name: string, alias?: string): Promise<AliasMove[]>

  createWebhook(input: CreateWebhookInput): Promise<Webhook>
  getWebhook(webhookId: string): Promise<Webhook>
  listWebhooks(): Promise<Webhook[]>
  updateWebhook(webhookId: string, input: UpdateWebhookInput): Promise<Webhook>
  deleteWebhook(webhookId: string): Promise<void>
  /** Pending deliveries whose next attempt is due, oldest first, at most `limit`. */
  dueDeliveries(now: number, limit: number): Promise<WebhookDelivery[]>
  recordDeliveryAttempt(
    deliveryId: number,
    outcome: { status: DeliveryStatus; nextAttemptAt: number; error: string },
  ): Promise<void>
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]>

  close(): Promise<void>
}
