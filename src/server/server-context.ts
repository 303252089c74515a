import type { ArtifactStore } from '../artifacts/artifact-store.js'
import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { Registry } from '../registry/registry.js'
import type { WebhookDispatcher } from '../registry/webhook-dispatcher.js'
import type { Tracking } from '../tracking/tracking.js'

/** Sends one signed test delivery of a webhook now (the WebhookDispatcher does). */
export type WebhookTester = Pick<WebhookDispatcher, 'sendTest'>

/** What every route module receives: the services, resolved once by `createServer`. */
export interface ServerContext {
  tracking: Tracking
  registry: Registry
  artifacts: ArtifactStore
  clock: Clock
  logger: Logger
  version: string
  storeType: string
  webhooks: WebhookTester
}
