import { invalidParameter } from '../core/errors.js'
import type { CreateModelVersionInput, CreateWebhookInput, UpdateWebhookInput } from './registry-store.js'
import { MODEL_STAGES, REGISTRY_EVENT_TYPES } from './types.js'
import type { Lineage, ModelStage, RegistryEventType, Tag, WebhookStatus } from './types.js'

/** MLflow's limits where it has one (model_registry.proto, mlflow/utils/validation.py). */
export const REGISTRY_LIMITS = {
  nameMaxLength: 256,
  aliasMaxBytes: 256,
  tagKeyMaxLength: 250,
  tagValueMaxLength: 5000,
  descriptionMaxLength: 5000,
  sourceMaxLength: 10_000,
  webhookNameMaxLength: 256,
  webhookUrlMaxLength: 2048,
  webhookSecretMaxLength: 1024,
  searchModelsDefault: 100,
  searchModelsMax: 1000,
  searchVersionsDefault: 200_000,
  searchVersionsMax: 200_000,
  /** Versions live in a 32-bit column; a bigger number cannot name a stored version. */
  versionMax: 2_147_483_647,
} as const

/**
 * PostgreSQL cannot store U+0000 in text or jsonb; reject it up front (in any nested string) so it
 * is a 400 naming the field rather than a driver error. Depth is bounded for hostile inputs.
 */
export function rejectNul(value: unknown, field: string, depth = 0): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw invalidParameter(`'${field}' contains a NUL character (\\u0000); remove it.`)
  } else if (value !== null && typeof value === 'object') {
    if (depth > 32) throw invalidParameter(`'${field}' is nested more than 32 levels deep.`)
    for (const [key, item] of Object.entries(value)) {
      rejectNul(key, field, depth + 1)
      rejectNul(item, `${field}.${key}`, depth + 1)
    }
  }
}

const ALIAS_PATTERN = /^[A-Za-z0-9_-]+$/
const RESERVED_VERSION_ALIAS = /^v\d+$/i

export function validateModelName(name: string, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw invalidParameter(`Missing value for '${field}': pass the registered model's name.`)
  }
  rejectNul(name, field)
  if (name.length > REGISTRY_LIMITS.nameMaxLength) {
    throw invalidParameter(
      `Registered model name in '${field}' is ${name.length} characters; the limit is ${REGISTRY_LIMITS.nameMaxLength}.`,
    )
  }
  if (name.includes('/') || name.includes('@')) {
    throw invalidParameter(
      `Invalid registered model name '${name}' in '${field}': it cannot contain '/' or '@' (they would break models:/ URIs).`,
    )
  }
  return name
}

/** MLflow's alias rules: word characters and dashes, at most 256 bytes, not `latest`, not `v<digits>`. */
export function validateAlias(alias: string, field = 'alias'): string {
  if (typeof alias !== 'string' || alias === '') {
    throw invalidParameter(`Missing value for '${field}': pass an alias such as 'champion'.`)
  }
  if (Buffer.byteLength(alias, 'utf8') > REGISTRY_LIMITS.aliasMaxBytes) {
    throw invalidParameter(`Alias in '${field}' is longer than ${REGISTRY_LIMITS.aliasMaxBytes} bytes.`)
  }
  if (!ALIAS_PATTERN.test(alias)) {
    throw invalidParameter(
      `Invalid alias '${alias}' in '${field}': use letters, digits, '_' and '-' only (e.g. 'champion').`,
    )
  }
  if (alias.toLowerCase() === 'latest') {
    throw invalidParameter(`Alias 'latest' is reserved (models:/name/latest means the newest version); pick another name.`)
  }
  if (RESERVED_VERSION_ALIAS.test(alias)) {
    throw invalidParameter(`Alias '${alias}' is reserved: aliases of the form v<number> would shadow version numbers.`)
  }
  return alias
}

/** A version is a positive integer, sent as a string on the wire. */
export function validateVersion(version: string, field = 'version'): string {
  const text = typeof version === 'number' ? String(version) : version
  if (typeof text !== 'string' || !/^\d+$/.test(text.trim())) {
    throw invalidParameter(`Invalid ${field} '${String(version)}': pass a positive integer such as '3'.`)
  }
  const n = Number(text.trim())
  if (n < 1 || n > REGISTRY_LIMITS.versionMax) {
    throw invalidParameter(`Invalid ${field} '${text}': versions are between 1 and ${REGISTRY_LIMITS.versionMax}.`)
  }
  return String(n)
}

export function validateTagKey(key: string, field = 'key'): string {
  if (typeof key !== 'string' || key.trim() === '') {
    throw invalidParameter(`Missing value for tag '${field}': pass a non-empty key.`)
  }
  rejectNul(key, field)
  if (key.length > REGISTRY_LIMITS.tagKeyMaxLength) {
    throw invalidParameter(`Tag key '${key.slice(0, 40)}...' is ${key.length} characters; the limit is ${REGISTRY_LIMITS.tagKeyMaxLength}.`)
  }
  return key
}

export function validateTag(tag: Tag, field = 'tags'): Tag {
  if (tag === null || typeof tag !== 'object') throw invalidParameter(`Each entry of '${field}' must be {key, value}.`)
  validateTagKey(tag.key, `${field}.key`)
  if (typeof tag.value !== 'string') {
    throw invalidParameter(`Tag '${tag.key}' in '${field}' needs a string value.`)
  }
  rejectNul(tag.value, `${field}.value`)
  if (tag.value.length > REGISTRY_LIMITS.tagValueMaxLength) {
    throw invalidParameter(
      `Tag '${tag.key}' value is ${tag.value.length} characters; the limit is ${REGISTRY_LIMITS.tagValueMaxLength}.`,
    )
  }
  return { key: tag.key, value: tag.value }
}

export function validateTags(tags: Tag[] | undefined, field = 'tags'): Tag[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags)) throw invalidParameter(`'${field}' must be a list of {key, value}.`)
  return tags.map((tag) => validateTag(tag, field))
}

export function validateDescription(description: string, field = 'description'): string {
  if (typeof description !== 'string') throw invalidParameter(`'${field}' must be a string.`)
  rejectNul(description, field)
  if (description.length > REGISTRY_LIMITS.descriptionMaxLength) {
    throw invalidParameter(
      `'${field}' is ${description.length} characters; the limit is ${REGISTRY_LIMITS.descriptionMaxLength}.`,
    )
  }
  return description
}

/** Stages compare case-insensitively, as MLflow's `get_canonical_stage`. */
export function canonicalStage(stage: string, field = 'stage'): ModelStage {
  const found = MODEL_STAGES.find((s) => s.toLowerCase() === String(stage).toLowerCase())
  if (found === undefined) {
    throw invalidParameter(`Invalid ${field} '${String(stage)}': use one of ${MODEL_STAGES.join(', ')}.`)
  }
  return found
}

/** Default when absent; otherwise an integer from 1 to `max`. */
export function resolveMaxResults(value: number | undefined, defaultValue: number, max: number): number {
  if (value === undefined) return defaultValue
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalidParameter(`Invalid value ${String(value)} for 'max_results': pass an integer from 1 to ${max}.`)
  }
  return value
}

export function validateCreateModelVersion(input: CreateModelVersionInput): CreateModelVersionInput {
  validateModelName(input.name)
  if (typeof input.source !== 'string' || input.source.trim() === '') {
    throw invalidParameter(`Missing value for 'source': pass the model's artifact URI (e.g. runs:/<run_id>/model).`)
  }
  if (input.source.length > REGISTRY_LIMITS.sourceMaxLength) {
    throw invalidParameter(`'source' is longer than ${REGISTRY_LIMITS.sourceMaxLength} characters.`)
  }
  for (const field of ['runId', 'runLink', 'modelId', 'userId'] as const) {
    const value = input[field]
    if (value !== undefined && typeof value !== 'string') throw invalidParameter(`'${field}' must be a string.`)
    rejectNul(value, field)
  }
  rejectNul(input.source, 'source')
  if (input.description !== undefined) validateDescription(input.description)
  validateTags(input.tags)
  if (input.lineage !== undefined) validateLineage(input.lineage)
  return input
}

export function validateLineage(lineage: Lineage, field = 'lineage'): Lineage {
  if (lineage === null || typeof lineage !== 'object' || Array.isArray(lineage)) {
    throw invalidParameter(`'${field}' must be an object.`)
  }
  rejectNul(lineage, field)
  for (const key of ['artifactDigest', 'datasetDigest', 'codeVersion'] as const) {
    const value = lineage[key]
    if (value !== undefined && typeof value !== 'string') throw invalidParameter(`'${field}.${key}' must be a string.`)
  }
  const env = lineage.environment
  if (env !== undefined) {
    if (env === null || typeof env !== 'object') throw invalidParameter(`'${field}.environment' must be an object.`)
    if (typeof env.node !== 'string' || typeof env.keel !== 'string') {
      throw invalidParameter(`'${field}.environment' needs string 'node' and 'keel' versions.`)
    }
  }
  const signature = lineage.signature
  if (signature !== undefined) {
    if (signature === null || !Array.isArray(signature.inputs) || !Array.isArray(signature.outputs)) {
      throw invalidParameter(`'${field}.signature' needs 'inputs' and 'outputs' lists of {name, type}.`)
    }
    for (const col of [...signature.inputs, ...signature.outputs]) {
      if (col === null || typeof col !== 'object' || typeof col.name !== 'string' || typeof col.type !== 'string') {
        throw invalidParameter(`'${field}.signature' columns are {name, type} with string values.`)
      }
    }
  }
  return lineage
}

function validateEvents(events: RegistryEventType[], field = 'events'): RegistryEventType[] {
  if (!Array.isArray(events) || events.length === 0) {
    throw invalidParameter(`'${field}' must list at least one event, e.g. ['model_version.created'].`)
  }
  for (const event of events) {
    if (!(REGISTRY_EVENT_TYPES as readonly string[]).includes(event)) {
      throw invalidParameter(`Unknown event '${String(event)}' in '${field}': use ${REGISTRY_EVENT_TYPES.join(', ')}.`)
    }
  }
  return [...new Set(events)]
}

function validateWebhookUrl(url: string): string {
  if (typeof url !== 'string' || url === '') throw invalidParameter(`Missing value for 'url': pass an http(s) URL.`)
  if (url.length > REGISTRY_LIMITS.webhookUrlMaxLength) {
    throw invalidParameter(`'url' is longer than ${REGISTRY_LIMITS.webhookUrlMaxLength} characters.`)
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw invalidParameter(`Invalid 'url' '${url}': pass an absolute http(s) URL.`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidParameter(`Invalid 'url' '${url}': webhooks are delivered over http or https only.`)
  }
  return url
}

function validateWebhookName(name: string): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalidParameter(`Missing value for 'name': name the webhook.`)
  if (name.length > REGISTRY_LIMITS.webhookNameMaxLength) {
    throw invalidParameter(`Webhook 'name' is longer than ${REGISTRY_LIMITS.webhookNameMaxLength} characters.`)
  }
  return name
}

function validateWebhookStatus(status: WebhookStatus): WebhookStatus {
  if (status !== 'ACTIVE' && status !== 'DISABLED') {
    throw invalidParameter(`Invalid webhook 'status' '${String(status)}': use ACTIVE or DISABLED.`)
  }
  return status
}

function validateSecret(secret: string): string {
  if (typeof secret !== 'string') throw invalidParameter(`'secret' must be a string.`)
  if (secret.length > REGISTRY_LIMITS.webhookSecretMaxLength) {
    throw invalidParameter(`'secret' is longer than ${REGISTRY_LIMITS.webhookSecretMaxLength} characters.`)
  }
  return secret
}

export function validateCreateWebhook(input: CreateWebhookInput): CreateWebhookInput {
  rejectNul(input, 'webhook')
  const out: CreateWebhookInput = {
    name: validateWebhookName(input.name),
    url: validateWebhookUrl(input.url),
    events: validateEvents(input.events),
  }
  if (input.description !== undefined) out.description = validateDescription(input.description)
  if (input.secret !== undefined) out.secret = validateSecret(input.secret)
  if (input.status !== undefined) out.status = validateWebhookStatus(input.status)
  return out
}

export function validateUpdateWebhook(input: UpdateWebhookInput): UpdateWebhookInput {
  rejectNul(input, 'webhook')
  const out: UpdateWebhookInput = {}
  if (input.name !== undefined) out.name = validateWebhookName(input.name)
  if (input.url !== undefined) out.url = validateWebhookUrl(input.url)
  if (input.events !== undefined) out.events = validateEvents(input.events)
  if (input.description !== undefined) out.description = validateDescription(input.description)
  if (input.secret !== undefined) out.secret = validateSecret(input.secret)
  if (input.status !== undefined) out.status = validateWebhookStatus(input.status)
  return out
}

export function validateWebhookId(webhookId: string): string {
  if (typeof webhookId !== 'string' || webhookId === '') {
    throw invalidParameter(`Missing value for 'webhook_id': pass the id returned when the webhook was created.`)
  }
  rejectNul(webhookId, 'webhook_id')
  return webhookId
}
