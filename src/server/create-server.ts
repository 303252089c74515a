import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import type { ArtifactStore } from '../artifacts/artifact-store.js'
import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { KeelError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { MonitoringStore } from '../monitoring/monitoring-store.js'
import type { PredictionStore } from '../monitoring/prediction-store.js'
import type { PipelineStore } from '../pipelines/types.js'
import type { Registry } from '../registry/registry.js'
import { WebhookDispatcher, fetchSender } from '../registry/webhook-dispatcher.js'
import type { Tracking } from '../tracking/tracking.js'
import { installErrorHandlers } from './errors.js'
import { artifactRoutes } from './routes/artifacts.js'
import { experimentRoutes } from './routes/experiments.js'
import { keelRoutes } from './routes/keel.js'
import { loggedModelRoutes } from './routes/logged-models.js'
import { metricRoutes } from './routes/metrics.js'
import { miscRoutes } from './routes/misc.js'
import { monitoringRoutes } from './routes/monitoring.js'
import { pipelineRoutes } from './routes/pipelines.js'
import { predictionRoutes } from './routes/predictions.js'
import { registryRoutes } from './routes/registry.js'
import { runRoutes } from './routes/runs.js'
import { webhookRoutes } from './routes/webhooks.js'
import type { ServerContext, WebhookTester } from './server-context.js'

export interface ServerLimits {
  /** Largest JSON body accepted (default 4 MB); log-batch keeps MLflow's 1 MB. Artifact uploads stream and are not limited by it. */
  bodyLimitBytes?: number
  /** Idle time before a keep-alive connection closes (default 72 s, above common load balancers' 60 s). */
  keepAliveTimeoutMs?: number
  /** Time to receive a whole request, 0 for none (default 0: large artifact uploads may take long). */
  requestTimeoutMs?: number
}

export interface ServerOptions {
  tracking: Tracking
  registry: Registry
  artifacts: ArtifactStore
  /** Where `/api/keel/v1/predictions` reads and writes; without one those routes answer NOT_IMPLEMENTED. */
  predictions?: PredictionStore
  /** Where `/api/keel/v1/feedback` and `/alerts` read and write; without one those routes answer NOT_IMPLEMENTED. */
  monitoring?: MonitoringStore
  /** Where `/api/keel/v1/pipelines/...` reads and writes run state; without one those routes answer NOT_IMPLEMENTED. */
  pipelines?: PipelineStore
  logger?: Logger
  clock?: Clock
  limits?: ServerLimits
  /** Reported by /version and server-info. */
  version?: string
  /** What server-info reports as `store_type` (default "SqlStore", which MLflow clients know). */
  storeType?: string
  /** Sends webhook test deliveries; default a `WebhookDispatcher` over `registry` with a 10 s fetch. */
  webhooks?: WebhookTester
}

/** The JSON body limit unless `limits.bodyLimitBytes` says otherwise; docs/http-api.md states it. */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024

/**
 * keel's HTTP API as a Fastify instance, not yet listening (tests use `inject`; `startServer` listens):
 * MLflow's REST API 2.0 under `/api/2.0` and `/ajax-api/2.0`, the artifact proxy, keel's `/api/keel/v1`,
 * `/health`, `/version` and `/openapi.json`. Every error leaves in MLflow's `{error_code, message}` shape.
 * @example
 * const app = await createServer({ tracking, registry, artifacts })
 * const res = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=0' })
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const logger = options.logger ?? silentLogger
  const clock = options.clock ?? systemClock
  const limits = options.limits ?? {}
  const bodyLimit = limits.bodyLimitBytes ?? DEFAULT_BODY_LIMIT
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) {
    throw new KeelError('INVALID_PARAMETER_VALUE', `limits.bodyLimitBytes must be an integer of at least 1024, got ${bodyLimit}.`)
  }

  const app = Fastify({
    logger: false,
    bodyLimit,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? 72_000,
    requestTimeout: limits.requestTimeoutMs ?? 0,
    // MLflow clients put `?` and `/` in query values and `//` in artifact paths; keep routing literal.
    routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false, maxParamLength: 4096 },
    return503OnClosing: true,
  })

  const ctx: ServerContext = {
    tracking: options.tracking,
    registry: options.registry,
    artifacts: options.artifacts,
    clock,
    logger,
    version: options.version ?? '0.0.0',
    storeType: options.storeType ?? 'SqlStore',
    webhooks:
      options.webhooks ?? new WebhookDispatcher({ store: options.registry, send: fetchSender(10_000), clock, logger }),
  }

  installErrorHandlers(app, logger)
  installJsonParser(app)
  app.addHook('onResponse', async (request, reply) => {
    logger.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    )
  })

  experimentRoutes(app, ctx)
  runRoutes(app, ctx)
  metricRoutes(app, ctx)
  artifactRoutes(app, ctx)
  loggedModelRoutes(app, ctx)
  registryRoutes(app, ctx)
  webhookRoutes(app, ctx)
  keelRoutes(app, ctx)
  predictionRoutes(app, options.predictions)
  monitoringRoutes(app, options.monitoring, clock)
  pipelineRoutes(app, options.pipelines)
  miscRoutes(app, ctx)

  await app.ready()
  return app
}

/**
 * Only JSON bodies (any charset parameter); anything else is 415 except where a route context adds its own
 * parser (artifact uploads). An empty JSON body is `{}`, as MLflow's `get_json(silent=True)` allows.
 */
function installJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      done(null, {})
      return
    }
    try {
      done(null, JSON.parse(text) as unknown)
    } catch (error) {
      done(new KeelError('BAD_REQUEST', `Malformed JSON in the request body: ${(error as Error).message}`), undefined)
    }
  })
}
