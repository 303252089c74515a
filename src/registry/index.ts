/** The model registry: domain types, the storage port, the validated service, URIs, webhooks and lineage capture. */
export * from './types.js'
export type { CreateModelVersionInput, CreateWebhookInput, RegistryStore, SearchInput, UpdateWebhookInput } from './registry-store.js'
export { Registry } from './registry.js'
export type { RegistryOptions } from './registry.js'
export { formatModelUri, parseModelUri } from './model-uri.js'
export type { ModelUri } from './model-uri.js'
export { REGISTRY_LIMITS, canonicalStage, validateAlias, validateModelName, validateVersion } from './validation.js'
export { WebhookDispatcher, fetchSender } from './webhook-dispatcher.js'
export type { WebhookDispatcherOptions, WebhookSecretSource, WebhookSender, WebhookTestResult } from './webhook-dispatcher.js'
export {
  DEFAULT_TOLERANCE_SECONDS,
  WEBHOOK_DELIVERY_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  signWebhookPayload,
  verifyWebhookSignature,
  webhookHeaders,
} from './webhook-signature.js'
export type { SignatureInput, VerifyInput } from './webhook-signature.js'
export { captureEnvironment, gitCommit } from './environment.js'
