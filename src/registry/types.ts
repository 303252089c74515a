/** Domain types of the model registry. Field meanings follow MLflow's model_registry.proto; keel adds lineage and alias history. */
import type { Tag } from '../tracking/types.js'

export type { Tag }

export interface AliasRef {
  alias: string
  version: string
}

export interface RegisteredModel {
  name: string
  creationTimestamp: number
  lastUpdatedTimestamp: number
  description: string
  tags: Tag[]
  aliases: AliasRef[]
}

export type ModelVersionStatus = 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY'
export type ModelStage = 'None' | 'Staging' | 'Production' | 'Archived'
export const MODEL_STAGES: readonly ModelStage[] = ['None', 'Staging', 'Production', 'Archived']

/** Input and output schema of a model, as MLflow's ColSpec list: `[{ name, type }]`. */
export interface ColumnSpec {
  name: string
  type: string
  required?: boolean
}

export interface Signature {
  inputs: ColumnSpec[]
  outputs: ColumnSpec[]
}

export interface EnvironmentLock {
  node: string
  keel: string
  /** sha256 of the lockfile (package-lock.json) the model was trained under, when there is one. */
  lockfileHash?: string
  platform?: string
}

/** Where a version came from; everything optional because MLflow clients send none of it. */
export interface Lineage {
  /** sha256 of the model artifact (content address). */
  artifactDigest?: string
  datasetDigest?: string
  /** Git commit of the training code, when it ran in a git checkout. */
  codeVersion?: string
  environment?: EnvironmentLock
  signature?: Signature
  inputExample?: unknown
}

export interface ModelVersion {
  name: string
  version: string
  creationTimestamp: number
  lastUpdatedTimestamp: number
  description: string
  userId: string
  currentStage: ModelStage
  source: string
  runId: string
  runLink: string
  status: ModelVersionStatus
  statusMessage: string
  tags: Tag[]
  aliases: string[]
  modelId: string
  lineage: Lineage
}

/** One move of an alias: set (from → to), moved, or deleted (to = null). */
export interface AliasMove {
  id: number
  name: string
  alias: string
  fromVersion: string | null
  toVersion: string | null
  movedAt: number
  movedBy: string
}

export const REGISTRY_EVENT_TYPES = [
  'registered_model.created',
  'registered_model.renamed',
  'registered_model.updated',
  'registered_model.deleted',
  'registered_model_tag.set',
  'registered_model_tag.deleted',
  'model_version.created',
  'model_version.updated',
  'model_version.stage_transitioned',
  'model_version.deleted',
  'model_version_tag.set',
  'model_version_tag.deleted',
  'model_version_alias.created',
  'model_version_alias.deleted',
] as const
export type RegistryEventType = (typeof REGISTRY_EVENT_TYPES)[number]

/** A registry change, written in the same transaction as the change itself (an outbox). */
export interface RegistryEvent {
  id: number
  type: RegistryEventType
  createdAt: number
  payload: Record<string, unknown>
}

export type WebhookStatus = 'ACTIVE' | 'DISABLED'

export interface Webhook {
  webhookId: string
  name: string
  url: string
  events: RegistryEventType[]
  description: string
  status: WebhookStatus
  creationTimestamp: number
  lastUpdatedTimestamp: number
  /** The HMAC secret never leaves the store through reads; this says whether one is set. */
  hasSecret: boolean
}

export type DeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED'

/** One attempt plan of delivering one event to one webhook. */
export interface WebhookDelivery {
  deliveryId: number
  webhookId: string
  url: string
  secret: string
  event: RegistryEvent
  attempts: number
  status: DeliveryStatus
  nextAttemptAt: number
  lastError: string
}
