import type {
  AliasMove,
  ColumnSpec,
  Lineage,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
  RegistryEventType,
  Webhook,
  WebhookDelivery,
} from '../registry/types.js'
import { fromWireTag, int, list, str, toWireTag, withString } from './wire-helpers.js'
import type {
  WireAliasMove,
  WireLineage,
  WireModelVersion,
  WireRegisteredModel,
  WireRegistryEvent,
  WireWebhook,
  WireWebhookDelivery,
  WireWebhookEvent,
} from './wire-types.js'

/** Registry entities ↔ MLflow JSON (re-exported by `mlflow-wire.ts`), with keel's lineage and alias moves. */

const toWireColumn = (c: ColumnSpec): { name: string; type: string; required?: boolean } =>
  c.required === undefined ? { name: c.name, type: c.type } : { name: c.name, type: c.type, required: c.required }

const fromWireColumn = (c: { name: string; type: string; required?: boolean | undefined }): ColumnSpec =>
  typeof c.required === 'boolean' ? { name: str(c.name), type: str(c.type), required: c.required } : { name: str(c.name), type: str(c.type) }

export function toWireLineage(lineage: Lineage): WireLineage {
  const wire: WireLineage = {}
  withString(wire, 'artifact_digest', lineage.artifactDigest)
  withString(wire, 'dataset_digest', lineage.datasetDigest)
  withString(wire, 'code_version', lineage.codeVersion)
  if (lineage.environment !== undefined) {
    const env = lineage.environment
    const environment: NonNullable<WireLineage['environment']> = { node: env.node, keel: env.keel }
    withString(environment, 'lockfile_hash', env.lockfileHash)
    withString(environment, 'platform', env.platform)
    wire.environment = environment
  }
  if (lineage.signature !== undefined) {
    wire.signature = {
      inputs: lineage.signature.inputs.map(toWireColumn),
      outputs: lineage.signature.outputs.map(toWireColumn),
    }
  }
  if (lineage.inputExample !== undefined) wire.input_example = lineage.inputExample
  return wire
}

export function fromWireLineage(wire: WireLineage | undefined): Lineage {
  const lineage: Lineage = {}
  if (wire === undefined || wire === null) return lineage
  if (typeof wire.artifact_digest === 'string' && wire.artifact_digest !== '') lineage.artifactDigest = wire.artifact_digest
  if (typeof wire.dataset_digest === 'string' && wire.dataset_digest !== '') lineage.datasetDigest = wire.dataset_digest
  if (typeof wire.code_version === 'string' && wire.code_version !== '') lineage.codeVersion = wire.code_version
  if (wire.environment !== undefined && wire.environment !== null) {
    const env = wire.environment
    lineage.environment = { node: str(env.node), keel: str(env.keel) }
    if (typeof env.lockfile_hash === 'string' && env.lockfile_hash !== '') lineage.environment.lockfileHash = env.lockfile_hash
    if (typeof env.platform === 'string' && env.platform !== '') lineage.environment.platform = env.platform
  }
  if (wire.signature !== undefined && wire.signature !== null) {
    lineage.signature = {
      inputs: list(wire.signature.inputs).map(fromWireColumn),
      outputs: list(wire.signature.outputs).map(fromWireColumn),
    }
  }
  if (wire.input_example !== undefined) lineage.inputExample = wire.input_example
  return lineage
}

export function toWireModelVersion(version: ModelVersion): WireModelVersion {
  const wire: WireModelVersion = {
    name: version.name,
    version: version.version,
    creation_timestamp: version.creationTimestamp,
    last_updated_timestamp: version.lastUpdatedTimestamp,
    current_stage: version.currentStage,
    source: version.source,
    status: version.status,
    tags: version.tags.map(toWireTag),
    aliases: [...version.aliases],
    lineage: toWireLineage(version.lineage),
  }
  withString(wire, 'user_id', version.userId)
  withString(wire, 'description', version.description)
  withString(wire, 'run_id', version.runId)
  withString(wire, 'run_link', version.runLink)
  withString(wire, 'status_message', version.statusMessage)
  return withString(wire, 'model_id', version.modelId)
}

export function fromWireModelVersion(wire: WireModelVersion): ModelVersion {
  return {
    name: str(wire.name),
    version: str(wire.version),
    creationTimestamp: int(wire.creation_timestamp),
    lastUpdatedTimestamp: int(wire.last_updated_timestamp, int(wire.creation_timestamp)),
    description: str(wire.description),
    userId: str(wire.user_id),
    currentStage: wire.current_stage ?? 'None',
    source: str(wire.source),
    runId: str(wire.run_id),
    runLink: str(wire.run_link),
    status: wire.status ?? 'READY',
    statusMessage: str(wire.status_message),
    tags: list(wire.tags).map(fromWireTag),
    aliases: list(wire.aliases).map((a) => str(a)),
    modelId: str(wire.model_id),
    lineage: fromWireLineage(wire.lineage),
  }
}

export function toWireRegisteredModel(model: RegisteredModel, latestVersions?: readonly ModelVersion[]): WireRegisteredModel {
  const wire: WireRegisteredModel = {
    name: model.name,
    creation_timestamp: model.creationTimestamp,
    last_updated_timestamp: model.lastUpdatedTimestamp,
    tags: model.tags.map(toWireTag),
    aliases: model.aliases.map((a) => ({ alias: a.alias, version: a.version })),
  }
  withString(wire, 'description', model.description)
  if (latestVersions !== undefined) wire.latest_versions = latestVersions.map(toWireModelVersion)
  return wire
}

export function fromWireRegisteredModel(wire: WireRegisteredModel): RegisteredModel {
  return {
    name: str(wire.name),
    creationTimestamp: int(wire.creation_timestamp),
    lastUpdatedTimestamp: int(wire.last_updated_timestamp, int(wire.creation_timestamp)),
    description: str(wire.description),
    tags: list(wire.tags).map(fromWireTag),
    aliases: list(wire.aliases).map((a) => ({ alias: str(a.alias), version: str(a.version) })),
  }
}

export const toWireAliasMove = (move: AliasMove): WireAliasMove => ({
  id: move.id,
  name: move.name,
  alias: move.alias,
  from_version: move.fromVersion,
  to_version: move.toVersion,
  moved_at: move.movedAt,
  moved_by: move.movedBy,
})

export const fromWireAliasMove = (wire: WireAliasMove): AliasMove => ({
  id: int(wire.id),
  name: str(wire.name),
  alias: str(wire.alias),
  fromVersion: typeof wire.from_version === 'string' ? wire.from_version : null,
  toVersion: typeof wire.to_version === 'string' ? wire.to_version : null,
  movedAt: int(wire.moved_at),
  movedBy: str(wire.moved_by),
})

/** `model_version_alias.created` ↔ `{entity: 'MODEL_VERSION_ALIAS', action: 'CREATED'}` (MLflow's WebhookEvent). */
export function toWireWebhookEvent(type: RegistryEventType): WireWebhookEvent {
  const dot = type.indexOf('.')
  return { entity: type.slice(0, dot).toUpperCase(), action: type.slice(dot + 1).toUpperCase() }
}

/** The domain spelling of a wire event (`model_version.created`); callers check it is a known type. */
export function fromWireWebhookEvent(wire: WireWebhookEvent | string): string {
  if (typeof wire === 'string') return wire.toLowerCase()
  return `${str(wire.entity).toLowerCase()}.${str(wire.action).toLowerCase()}`
}

export function toWireWebhook(webhook: Webhook): WireWebhook {
  const wire: WireWebhook = {
    webhook_id: webhook.webhookId,
    name: webhook.name,
    url: webhook.url,
    events: webhook.events.map(toWireWebhookEvent),
    status: webhook.status,
    creation_timestamp: webhook.creationTimestamp,
    last_updated_timestamp: webhook.lastUpdatedTimestamp,
    has_secret: webhook.hasSecret,
  }
  return withString(wire, 'description', webhook.description)
}

export function fromWireWebhook(wire: WireWebhook): Webhook {
  return {
    webhookId: str(wire.webhook_id),
    name: str(wire.name),
    url: str(wire.url),
    events: list(wire.events).map((e) => fromWireWebhookEvent(e) as RegistryEventType),
    description: str(wire.description),
    status: wire.status === 'DISABLED' ? 'DISABLED' : 'ACTIVE',
    creationTimestamp: int(wire.creation_timestamp),
    lastUpdatedTimestamp: int(wire.last_updated_timestamp, int(wire.creation_timestamp)),
    hasSecret: wire.has_secret === true,
  }
}

export const toWireRegistryEvent = (event: RegistryEvent): WireRegistryEvent => ({
  id: event.id,
  type: event.type,
  created_at: event.createdAt,
  payload: event.payload,
})

export const fromWireRegistryEvent = (wire: WireRegistryEvent): RegistryEvent => ({
  id: int(wire.id),
  type: str(wire.type) as RegistryEventType,
  createdAt: int(wire.created_at),
  payload: wire.payload ?? {},
})

/** The webhook's secret never goes on the wire; readers get an empty one. */
export function toWireWebhookDelivery(delivery: WebhookDelivery): WireWebhookDelivery {
  const wire: WireWebhookDelivery = {
    delivery_id: delivery.deliveryId,
    webhook_id: delivery.webhookId,
    url: delivery.url,
    event: toWireRegistryEvent(delivery.event),
    attempts: delivery.attempts,
    status: delivery.status,
    next_attempt_at: delivery.nextAttemptAt,
  }
  return withString(wire, 'last_error', delivery.lastError)
}

export const fromWireWebhookDelivery = (wire: WireWebhookDelivery): WebhookDelivery => ({
  deliveryId: int(wire.delivery_id),
  webhookId: str(wire.webhook_id),
  url: str(wire.url),
  secret: '',
  event: fromWireRegistryEvent(wire.event),
  attempts: int(wire.attempts),
  status: wire.status ?? 'PENDING',
  nextAttemptAt: int(wire.next_attempt_at),
  lastError: str(wire.last_error),
})
