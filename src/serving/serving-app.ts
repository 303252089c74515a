import type { IncomingMessage, ServerResponse } from 'node:http'
import Fastify from 'fastify'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { KeelError, invalidParameter, isKeelError, notFound } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { MonitoringStore } from '../monitoring/monitoring-store.js'
import { monitoringEndpoints } from '../protocol/monitoring-endpoints.js'
import { parseRequest } from '../protocol/parse-request.js'
import type { Frame } from '../core/frame.js'
import type { Scores } from '../scoring/scoring-model.js'
import { invocationsBody, invocationsColumns } from './protocols/mlflow-invocations.js'
import { modelMetadata, oipRequest, oipResponseBody, serverMetadata } from './protocols/oip-v2.js'
import { compileInputs } from './protocols/request-frame.js'
import type { InputSchema, RequestColumns } from './protocols/request-frame.js'
import type { CapturedPrediction, Deployment, DeploymentAnswer, ServedVersion } from './types.js'
import { nextPredictionId, offerCaptured } from './captured-answer.js'
import { DeadlineSweep } from './deadline-sweep.js'

/**
 * The serving HTTP app: the Open Inference Protocol v2 REST API and MLflow's scoring protocol over a set of
 * deployments, with health, readiness and metrics. Requests are validated against the answering version's
 * signature (`protocols/request-frame.ts`); a caller's mistake is always a 4xx, overload and draining a 503
 * with Retry-After. Every answer names the version (`x-keel-model-version`) and carries prediction ids.
 */

export interface ServingLimits {
  /** Largest request body (default 5 MiB); larger is 413. */
  bodyLimitBytes: number
  /** Rows per request at most (default 10,000); more is 413. */
  maxRows: number
  /** Time to answer a prediction (default 10 s); past it 503 with Retry-After. */
  requestTimeoutMs: number
}

export const DEFAULT_SERVING_LIMITS: Readonly<ServingLimits> = { bodyLimitBytes: 5 * 1024 * 1024, maxRows: 10_000, requestTimeoutMs: 10_000 }

/** What the app needs of `ServingMetrics` (structural, so tests may pass their own). */
export interface ServingAppMetrics {
  observeRequest(labels: { model: string; version: string; protocol: 'v2' | 'invocations'; status: number }, seconds: number): void
  inFlight(delta: number): void
  render(): Promise<string>
  readonly contentType: string
}

/** What the app needs of `PredictionCapture`. */
export interface ServingAppCapture {
  sampled(): boolean
  offer(prediction: CapturedPrediction): void
  /** Writes what is buffered; `POST /feedback` calls it so a label can follow its prediction at once. */
  flush?(): Promise<void>
}

export interface ServingAppOptions {
  /** Served models; `/invocations` answers with the first. Names must be unique. */
  deployments: Deployment[]
  metrics?: ServingAppMetrics
  capture?: ServingAppCapture
  limits?: Partial<ServingLimits>
  logger?: Logger | false
  /** Reported by `GET /v2` and `GET /version` (default keel's package version as given by the caller, else "0.0.0"). */
  version?: string
  /** Timestamps of captured predictions and request deadlines. */
  clock?: Clock
  /** Where `POST /feedback` stores true outcomes (the store the captured predictions land beside); without one it is 404. */
  monitoring?: MonitoringStore
  /**
   * How long `close()` keeps the listener open after the last in-flight request finished (default 250 ms), so a
   * request already on its way over an idle keep-alive connection is answered (503, `connection: close`) instead
   * of having its connection reset.
   */
  drainGraceMs?: number
}

export interface ServingApp {
  readonly app: FastifyInstance
  /** Listens on `host:port` (port 0: any free port); returns the base URL. */
  listen(port: number, host: string): Promise<string>
  /** Readiness turns 503 and new prediction requests get 503 + Retry-After; in-flight ones finish. */
  draining(): void
  /** Drains, waits for in-flight requests, then closes the listener. Deployments stay open (their owner closes them). */
  close(): Promise<void>
}

type Protocol = 'v2' | 'invocations'

const RETRY_AFTER_SECONDS = 1

export async function createServingApp(options: ServingAppOptions): Promise<ServingApp> {
  const limits: ServingLimits = { ...DEFAULT_SERVING_LIMITS, ...options.limits }
  for (const key of ['bodyLimitBytes', 'maxRows', 'requestTimeoutMs'] as const) {
    if (!Number.isSafeInteger(limits[key]) || limits[key] < 1) throw invalidParameter(`limits.${key} must be a positive integer, got ${String(limits[key])}.`)
  }
  if (options.deployments.length === 0) throw invalidParameter('createServingApp needs at least one deployment.')
  const byName = new Map<string, Deployment>()
  for (const d of options.deployments) {
    if (byName.has(d.name)) throw invalidParameter(`Two deployments are named '${d.name}'; serve each model once.`)
    byName.set(d.name, d)
  }
  const first = options.deployments[0]!
  const logger = options.logger === false || options.logger === undefined ? silentLogger : options.logger
  const { metrics, capture } = options
  const clock = options.clock ?? systemClock
  const version = options.version ?? '0.0.0'
  const schemas = new WeakMap<ServedVersion, InputSchema>()
  const drainGraceMs = options.drainGraceMs ?? 250
  if (!Number.isFinite(drainGraceMs) || drainGraceMs < 0) throw invalidParameter(`drainGraceMs must be 0 or more, got ${String(drainGraceMs)}.`)
  let isDraining = false
  let inFlight = 0
  let idle: (() => void) | undefined
  const deadlines = new DeadlineSweep(limits.requestTimeoutMs, () => unavailable(`No answer within ${limits.requestTimeoutMs} ms; the server is busy, retry shortly.`))

  const schemaOf = (served: ServedVersion): InputSchema => {
    let schema = schemas.get(served)
    if (schema === undefined) {
      schema = compileInputs(served.inputs)
      schemas.set(served, schema)
    }
    return schema
  }
  const allReady = (): boolean => !isDraining && options.deployments.every((d) => d.ready())

  const app = Fastify({
    logger: false,
    bodyLimit: limits.bodyLimitBytes,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 1024 },
  })
  installParsers(app)

  const sendError = (request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply => {
    const keelError = toKeelError(error, limits.bodyLimitBytes)
    if (keelError.status >= 500 && keelError.code !== 'TEMPORARILY_UNAVAILABLE') {
      logger.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : error, url: request.url }, 'serving request failed')
    }
    if (keelError.status === 503) {
      const retry = keelError.details['retryAfterSeconds']
      reply.header('retry-after', String(typeof retry === 'number' && retry > 0 ? Math.ceil(retry) : RETRY_AFTER_SECONDS))
    }
    // A parser error can leave unread bytes on the socket; the client must not reuse it.
    if (isFastifyError(error) && error.code.startsWith('FST_ERR_CTP')) reply.header('connection', 'close')
    const body: Record<string, unknown> = { ...keelError.toJSON() }
    if (request.url.startsWith('/v2')) body['error'] = keelError.message
    return reply.status(keelError.status).type('application/json').send(JSON.stringify(body))
  }

  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    // Errors before a handler ran (body parser, limits) still count as requests of their protocol.
    if (metrics !== undefined && request.method === 'POST' && !request.url.startsWith('/feedback')) {
      const protocol: Protocol = request.url.startsWith('/v2') ? 'v2' : 'invocations'
      metrics.observeRequest({ model: '', version: '', protocol, status: toKeelError(error).status }, reply.elapsedTime / 1000)
    }
    return sendError(request, reply, error)
  })
  app.setNotFoundHandler((request, reply) =>
    sendError(request, reply, new KeelError('ENDPOINT_NOT_FOUND', `No endpoint ${request.method} ${request.url.split('?')[0] ?? ''}.`)),
  )

  const deploymentOf = (name: string): Deployment => {
    const d = byName.get(name)
    if (d === undefined) throw notFound(`No model '${name}' is served here; served: ${[...byName.keys()].join(', ')}.`)
    return d
  }
  const versionOf = (d: Deployment, v: string): ServedVersion => {
    const loaded = d.versions()
    const served = loaded.find((s) => s.version === v)
    if (served === undefined) throw notFound(`Version '${v}' of '${d.name}' is not loaded; loaded: ${loaded.map((s) => s.version).join(', ') || 'none'}.`)
    return served
  }

  /** The one prediction path both protocols share. */
  const predict = async (
    request: FastifyRequest,
    reply: FastifyReply,
    protocol: Protocol,
    deployment: Deployment,
    pinned: string | undefined,
    parse: (schema: InputSchema, served: ServedVersion) => RequestColumns,
    render: (served: ServedVersion, scores: Scores, rows: number, ids: string[]) => string,
  ): Promise<FastifyReply> => {
    let served: ServedVersion | undefined
    inFlight++
    metrics?.inFlight(1)
    try {
      if (isDraining) throw unavailable('The server is shutting down; retry on another instance.')
      if (!deployment.ready()) throw unavailable(`Model '${deployment.name}' is not ready yet (loading); retry shortly.`)
      served = pinned === undefined ? deployment.champion() : versionOf(deployment, pinned)
      const columns = parse(schemaOf(served), served)
      const frame = columns.build()
      const answer = await deadlines.race(score(deployment, pinned, frame, request))
      served = answer.served
      const rows = frame.rows
      const ids = new Array<string>(rows)
      for (let r = 0; r < rows; r++) ids[r] = nextPredictionId()
      const body = render(served, answer.scores, rows, ids)
      reply.header('x-keel-model-version', `${served.model}/${served.version}`)
      reply.header('x-keel-prediction-id', ids[0]!)
      if (columns.ignored.length > 0) reply.header('x-keel-ignored-columns', columns.ignored.map(encodeURIComponent).join(','))
      if (capture !== undefined && capture.sampled()) offerCaptured(capture, deployment.name, answer, frame, ids, clock)
      metrics?.observeRequest({ model: served.model, version: served.version, protocol, status: 200 }, reply.elapsedTime / 1000)
      return reply.type('application/json').send(body)
    } catch (error) {
      metrics?.observeRequest(
        { model: served?.model ?? deployment.name, version: served?.version ?? '', protocol, status: toKeelError(error).status },
        reply.elapsedTime / 1000,
      )
      if (served !== undefined) reply.header('x-keel-model-version', `${served.model}/${served.version}`)
      return sendError(request, reply, error)
    } finally {
      inFlight--
      metrics?.inFlight(-1)
      if (inFlight === 0 && idle !== undefined) idle()
    }
  }

  const score = (deployment: Deployment, pinned: string | undefined, frame: Frame, request: FastifyRequest): Promise<DeploymentAnswer> => {
    const key = request.headers['x-keel-route-key']
    return deployment.predict(frame, { deadline: clock.now() + limits.requestTimeoutMs, routeKey: typeof key === 'string' ? key : undefined, version: pinned })
  }

  // ---- Open Inference Protocol v2 ----
  const v2Infer = (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply): FastifyReply | Promise<FastifyReply> => {
    const body = request.body
    if (typeof body === 'string') return sendError(request, reply, unsupportedMedia(request, 'application/json'))
    let parsed: ReturnType<typeof oipRequest> | undefined
    const deployment = byName.get(request.params.name)
    if (deployment === undefined) return sendError(request, reply, notFound(`No model '${request.params.name}' is served here; served: ${[...byName.keys()].join(', ')}.`))
    return predict(
      request,
      reply,
      'v2',
      deployment,
      request.params.version,
      (schema, served) => {
        parsed = oipRequest(schema, served, body, limits.maxRows)
        return parsed.columns
      },
      (served, scores, rows, ids) => oipResponseBody(served, scores, rows, ids, parsed!),
    )
  }
  app.post('/v2/models/:name/infer', v2Infer)
  app.post('/v2/models/:name/versions/:version/infer', v2Infer)

  app.get('/v2/health/live', (_request, reply) => reply.send({ live: true }))
  app.get('/v2/health/ready', (request, reply) =>
    allReady() ? reply.send({ ready: true }) : sendError(request, reply, unavailable(notReadyMessage(options.deployments, isDraining))),
  )
  app.get('/v2', (_request, reply) => reply.send(serverMetadata(version)))
  app.get('/v2/models', (_request, reply) => reply.send({ models: [...byName.keys()] }))
  const v2Metadata = (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply): FastifyReply => {
    try {
      const d = deploymentOf(request.params.name)
      if (!d.ready()) throw unavailable(`Model '${d.name}' is not ready yet (loading); retry shortly.`)
      const served = request.params.version === undefined ? d.champion() : versionOf(d, request.params.version)
      return reply.send(modelMetadata(schemaOf(served), served, d.versions()))
    } catch (error) {
      return sendError(request, reply, error)
    }
  }
  app.get('/v2/models/:name', v2Metadata)
  app.get('/v2/models/:name/versions/:version', v2Metadata)
  const v2ModelReady = (request: FastifyRequest<{ Params: { name: string; version?: string } }>, reply: FastifyReply): FastifyReply => {
    try {
      const d = deploymentOf(request.params.name)
      const ready = !isDraining && d.ready() && (request.params.version === undefined || d.versions().some((s) => s.version === request.params.version))
      if (!ready) {
        return reply.status(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ name: d.name, ready: false, error: `Model '${d.name}' is not ready.` })
      }
      return reply.send({ name: d.name, ready: true })
    } catch (error) {
      return sendError(request, reply, error)
    }
  }
  app.get('/v2/models/:name/ready', v2ModelReady)
  app.get('/v2/models/:name/versions/:version/ready', v2ModelReady)

  // ---- MLflow scoring protocol ----
  const invocations = (request: FastifyRequest<{ Params: { name?: string } }>, reply: FastifyReply): FastifyReply | Promise<FastifyReply> => {
    const name = request.params.name
    const deployment = name === undefined ? first : byName.get(name)
    if (deployment === undefined) return sendError(request, reply, notFound(`No model '${String(name)}' is served here; served: ${[...byName.keys()].join(', ')}.`))
    const body = request.body
    return predict(request, reply, 'invocations', deployment, undefined, (schema) => invocationsColumns(schema, body, limits.maxRows), invocationsBody)
  }
  app.post('/invocations', invocations)
  app.post('/invocations/:name', invocations)

  // Delayed labels for the predictions this server answered, same body and rules as keel's POST /api/keel/v1/feedback.
  app.post('/feedback', async (request, reply) => {
    const store = options.monitoring
    if (store === undefined) return sendError(request, reply, notFound('This server was started without a monitoring store; post feedback to the keel server instead.'))
    const input = parseRequest(monitoringEndpoints.postFeedback.request, request.body)
    await capture?.flush?.()
    const receivedAt = clock.now()
    const result = await store.appendFeedback(input.feedback.map((f) => ({ predictionId: f.prediction_id, outcome: f.outcome, receivedAt })))
    return reply.send(result)
  })

  const ok = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    allReady() ? reply.type('text/plain').send('ok\n') : sendError(request, reply, unavailable(notReadyMessage(options.deployments, isDraining)))
  app.get('/ping', ok)
  app.get('/health', ok)
  app.get('/version', (_request, reply) => reply.type('text/plain').send(version))
  app.get('/livez', (_request, reply) => reply.send({ live: true }))
  app.get('/readyz', (request, reply) =>
    allReady() ? reply.send({ ready: true }) : sendError(request, reply, unavailable(notReadyMessage(options.deployments, isDraining))),
  )
  app.get('/metrics', async (request, reply) => {
    if (metrics === undefined) return sendError(request, reply, notFound('This server was started without metrics.'))
    return reply.type(metrics.contentType).send(await metrics.render())
  })

  await app.ready()

  // While draining, every answer carries `connection: close`, so clients stop reusing their connections and each
  // one ends after its last answer, instead of being reset while a request is on its way (what closing idle
  // keep-alive connections does). Installed only when draining starts: the hot path pays nothing.
  let closeConnections: ((request: IncomingMessage, response: ServerResponse) => void) | undefined
  const startDraining = (): void => {
    isDraining = true
    if (closeConnections !== undefined) return
    closeConnections = (_request, response) => {
      if (!response.headersSent) response.setHeader('connection', 'close')
    }
    app.server.prependListener('request', closeConnections)
  }
  let closing: Promise<void> | undefined

  return {
    app,
    async listen(port, host) {
      return app.listen({ port, host })
    },
    draining: startDraining,
    close() {
      closing ??= (async () => {
        startDraining()
        if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve))
        // Requests sent just before the drain began may still be on the wire: answer them (503 + connection: close).
        if (drainGraceMs > 0) await new Promise((resolve) => setTimeout(resolve, drainGraceMs))
        if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve))
        deadlines.close()
        await app.close()
      })()
      return closing
    },
  }
}

function unavailable(message: string): KeelError {
  return new KeelError('TEMPORARILY_UNAVAILABLE', message, { details: { retryAfterSeconds: RETRY_AFTER_SECONDS }, retryable: true })
}

function unsupportedMedia(request: FastifyRequest, accepted: string): KeelError {
  return new KeelError('UNSUPPORTED_MEDIA_TYPE', `Unsupported Content-Type '${String(request.headers['content-type'] ?? '')}' for ${request.url.split('?')[0] ?? ''}: send ${accepted}.`)
}

function notReadyMessage(deployments: readonly Deployment[], draining: boolean): string {
  if (draining) return 'The server is shutting down.'
  const waiting = deployments.filter((d) => !d.ready()).map((d) => d.name)
  return `Not ready: ${waiting.join(', ')} still loading.`
}

/** JSON (any charset) and, for /invocations, CSV; anything else is 415. */
function installParsers(app: FastifyInstance): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string
    if (text.length === 0) {
      done(new KeelError('BAD_REQUEST', 'The request body is empty; send a JSON object.'), undefined)
      return
    }
    try {
      done(null, JSON.parse(text) as unknown)
    } catch (error) {
      done(new KeelError('BAD_REQUEST', `Malformed JSON in the request body: ${(error as Error).message}`), undefined)
    }
  })
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (request, body, done) => {
    if (!request.url.startsWith('/invocations')) {
      done(unsupportedMedia(request, 'application/json'), undefined)
      return
    }
    done(null, body as string)
  })
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string'
}

const FASTIFY_CODES: Readonly<Record<string, KeelError['code']>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
}

/** Anything thrown on a request → the KeelError the caller sees; only a real fault is a 5xx. */
function toKeelError(error: unknown, bodyLimit?: number): KeelError {
  if (isKeelError(error)) return error
  if (isFastifyError(error)) {
    const code = FASTIFY_CODES[error.code]
    if (code === 'PAYLOAD_TOO_LARGE') return new KeelError(code, `The request body is larger than this server accepts${bodyLimit === undefined ? '' : ` (${bodyLimit} bytes)`}; send fewer rows per request.`, bodyLimit === undefined ? {} : { details: { limit_bytes: bodyLimit } })
    if (code === 'UNSUPPORTED_MEDIA_TYPE') return new KeelError(code, `Unsupported Content-Type: send application/json (or text/csv to /invocations).`)
    if (code !== undefined) return new KeelError(code, `Bad request: ${error.message}`)
    const status = error.statusCode ?? 500
    if (status >= 400 && status < 500) return new KeelError(status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST', `Bad request: ${error.message}`)
  }
  return new KeelError('INTERNAL_ERROR', 'An internal error occurred; it has been logged on the server.', { cause: error })
}
