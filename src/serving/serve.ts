import { Keel } from '../client/keel.js'
import type { KeelOptions } from '../client/keel.js'
import { invalidParameter } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { PredictionStore } from '../monitoring/prediction-store.js'
import { DEFAULT_STORE_URI } from '../store/open-stores.js'
import { openDeployment } from './deployment.js'
import type { DeploymentSpec } from './deployment.js'
import { PredictionCapture } from './prediction-capture.js'
import { createServingApp } from './serving-app.js'
import type { ServingApp, ServingAppMetrics, ServingLimits } from './serving-app.js'
import { ServingMetrics } from './serving-metrics.js'
import type { Deployment, TrafficPolicy } from './types.js'

/**
 * `startServing`: everything one serving process runs, from options: the store, one deployment per model URI,
 * metrics, prediction capture and the HTTP app, listening. `keel serve --workers 1` is exactly this; with more
 * workers each cluster worker runs it (`cluster.ts`). Also the parsers of the CLI's option syntax, so the
 * command and embedders read `canary:0.1` or `64:2` the same way.
 */

export interface ServeOptions {
  /** `models:/name@alias` or `models:/name/<version>`, one per served model (the first answers `/invocations`). */
  models: readonly string[]
  /** Store to load from (default `sqlite:.keel/keel.db`); ignored when `keel` is given. */
  storeUri?: string
  storeOptions?: KeelOptions
  /** An open client to serve from (the caller keeps ownership: `close()` leaves it open). */
  keel?: Keel
  /** Default 8080; 0 picks a free port. */
  port?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Alias (or version) of a challenger for every served model; a model without it simply has none. */
  challenger?: string
  policy?: TrafficPolicy
  batching?: DeploymentSpec['batching']
  /**
   * Captured fraction of predictions in [0, 1] (default 1), or false for no capture. `forwardTo` replaces the
   * store's prediction port (a cluster worker forwards to the primary, the one writer); what it accepts is not
   * counted as written here (the receiver counts what it writes), drops are.
   */
  capture?: { sampleRate?: number; maxBuffered?: number; flushMs?: number; forwardTo?: PredictionStore } | false
  /** Alias re-read interval in ms (default 2000; 0 = only on `refresh()`). */
  pollMs?: number
  limits?: Partial<ServingLimits>
  logger?: Logger
  /** Reported by `GET /v2` and `/version`. */
  version?: string
  /** Metrics to record to (default a new `ServingMetrics`). */
  metrics?: ServingMetrics
  /** What `/metrics` answers (default `metrics.render()`); a cluster worker answers for the whole cluster. */
  renderMetrics?: () => Promise<string>
}

export interface ServedModelInfo {
  name: string
  versions: { version: string; alias: string | undefined }[]
  /** The champion's input columns and their MLflow types (for an example request). */
  inputs: { name: string; type: string }[]
}

export interface RunningServing {
  /** `http://host:port`. */
  readonly url: string
  readonly port: number
  readonly deployments: readonly Deployment[]
  readonly metrics: ServingMetrics
  readonly capture: PredictionCapture | undefined
  readonly app: ServingApp
  /** The served models and their loaded versions now. */
  models(): ServedModelInfo[]
  /** Readiness 503 at once; then new predictions 503, in-flight ones finish, capture is flushed, all is closed. Idempotent. */
  close(): Promise<void>
}

export const DEFAULT_SERVE_PORT = 8080
export const DEFAULT_SERVE_HOST = '127.0.0.1'

/** Opens everything, or closes what it opened and throws (a model that cannot load is an error, not an empty server). */
export async function startServing(options: ServeOptions): Promise<RunningServing> {
  if (options.models.length === 0) throw invalidParameter('Name at least one model to serve, e.g. models:/fraud@champion.')
  const specs = options.models.map((uri) => deploymentSpec(uri, options))
  const seen = new Set<string>()
  for (const spec of specs) {
    if (seen.has(spec.name)) throw invalidParameter(`Model '${spec.name}' is named twice; serve each registered model once.`)
    seen.add(spec.name)
  }
  const logger = options.logger ?? silentLogger
  const ownsKeel = options.keel === undefined
  const keel = options.keel ?? (await Keel.open(options.storeUri ?? DEFAULT_STORE_URI, options.storeOptions ?? {}))
  const metrics = options.metrics ?? new ServingMetrics()
  const deployments: Deployment[] = []
  let capture: PredictionCapture | undefined
  let app: ServingApp | undefined
  const closeAll = async (): Promise<void> => {
    await app?.close().catch((error: unknown) => logger.error({ err: String(error) }, 'closing the HTTP app failed'))
    for (const d of deployments) await d.close().catch((error: unknown) => logger.error({ err: String(error), model: d.name }, 'closing a deployment failed'))
    await capture?.close().catch((error: unknown) => logger.error({ err: String(error) }, 'flushing captured predictions failed'))
    if (ownsKeel) await keel.close().catch((error: unknown) => logger.error({ err: String(error) }, 'closing the store failed'))
  }
  try {
    if (options.capture !== false) {
      const { forwardTo, ...c } = options.capture ?? {}
      capture = new PredictionCapture(forwardTo ?? keel.predictions, {
        ...c,
        metrics: forwardTo === undefined ? metrics : { captureDropped: (n) => metrics.captureDropped(n), captureWritten: () => undefined },
        onError: (error: unknown) => logger.warn({ err: String(error) }, 'writing captured predictions failed; retrying'),
      })
    }
    for (const spec of specs) {
      const deploymentOptions: Parameters<typeof openDeployment>[2] = { metrics, logger }
      if (options.pollMs !== undefined) deploymentOptions.pollMs = options.pollMs
      deployments.push(await openDeployment(keel, spec, deploymentOptions))
    }
    const appMetrics: ServingAppMetrics =
      options.renderMetrics === undefined ? metrics : metricsAnsweredBy(metrics, options.renderMetrics)
    app = await createServingApp({
      deployments,
      metrics: appMetrics,
      ...(capture === undefined ? {} : { capture }),
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      logger,
      ...(options.version === undefined ? {} : { version: options.version }),
    })
    const url = await app.listen(options.port ?? DEFAULT_SERVE_PORT, options.host ?? DEFAULT_SERVE_HOST)
    const port = Number(new URL(url).port)
    const running = app
    let closing: Promise<void> | undefined
    return {
      url,
      port,
      deployments,
      metrics,
      capture,
      app: running,
      models: () =>
        deployments.map((d) => ({
          name: d.name,
          versions: d.versions().map((v) => ({ version: v.version, alias: v.alias })),
          inputs: d.champion().inputs.map((c) => ({ name: c.name, type: c.type })),
        })),
      close() {
        running.draining()
        closing ??= closeAll()
        return closing
      },
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** The app's metrics with `/metrics` answered by `render` (observations still go to `metrics`). */
function metricsAnsweredBy(metrics: ServingMetrics, render: () => Promise<string>): ServingAppMetrics {
  return {
    observeRequest: (labels, seconds) => metrics.observeRequest(labels, seconds),
    inFlight: (delta) => metrics.inFlight(delta),
    render,
    contentType: metrics.contentType,
  }
}

function deploymentSpec(uri: string, options: ServeOptions): DeploymentSpec {
  const { name, ref } = parseServedModelUri(uri)
  const spec: DeploymentSpec = { name, champion: ref }
  if (options.challenger !== undefined) spec.challenger = options.challenger
  if (options.policy !== undefined) spec.policy = options.policy
  if (options.batching !== undefined) spec.batching = options.batching
  return spec
}

/** `models:/fraud@champion` → `{name: 'fraud', ref: 'champion'}`; `models:/fraud/3` → ref `'3'`. */
export function parseServedModelUri(uri: string): { name: string; ref: string } {
  const match = /^models:\/([^/@]+)(?:@([A-Za-z0-9_.-]+)|\/([0-9]+))$/.exec(uri.trim())
  if (match === null) {
    throw invalidParameter(`Cannot serve '${uri}': name a model as models:/<name>@<alias> (e.g. models:/fraud@champion) or models:/<name>/<version>.`)
  }
  return { name: match[1]!, ref: match[2] ?? match[3]! }
}

/** `single`, `canary:0.1`, `shadow`, `shadow:0.5`, `ab:0.5` → a traffic policy. */
export function parseTrafficPolicy(text: string): TrafficPolicy {
  const [kind, arg, extra] = text.trim().split(':')
  const weight = (what: string, required: boolean): number | undefined => {
    if (arg === undefined || arg === '') {
      if (required) throw invalidParameter(`Policy '${text}': ${kind} needs ${what}, e.g. ${kind}:0.1.`)
      return undefined
    }
    const n = Number(arg)
    if (!/^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(arg) || !(n >= 0 && n <= 1)) throw invalidParameter(`Policy '${text}': ${what} must be a number from 0 to 1, got '${arg}'.`)
    return n
  }
  if (extra !== undefined) throw invalidParameter(`Policy '${text}' has too many ':' parts; use single, canary:<w>, shadow[:<f>] or ab:<w>.`)
  switch (kind) {
    case 'single':
      if (arg !== undefined) throw invalidParameter(`Policy '${text}': single takes no argument.`)
      return { kind: 'single' }
    case 'canary':
      return { kind: 'canary', challengerWeight: weight("the challenger's weight", true)! }
    case 'ab':
      return { kind: 'ab', challengerWeight: weight("the challenger's share of keys", true)! }
    case 'shadow': {
      const fraction = weight('the shadowed fraction', false)
      return fraction === undefined ? { kind: 'shadow' } : { kind: 'shadow', fraction }
    }
    default:
      throw invalidParameter(`Unknown policy '${text}': use single, canary:<w>, shadow[:<f>] or ab:<w> (w, f from 0 to 1).`)
  }
}

/** `auto`, `off`, or `<rows>:<ms>` (e.g. `64:2`) → the deployment's batching setting. */
export function parseBatching(text: string): NonNullable<DeploymentSpec['batching']> {
  const t = text.trim()
  if (t === 'auto' || t === 'off') return t
  const match = /^(\d+):(\d+(?:\.\d+)?)$/.exec(t)
  const rows = Number(match?.[1])
  const ms = Number(match?.[2])
  if (match === null || !Number.isSafeInteger(rows) || rows < 1 || !Number.isFinite(ms)) {
    throw invalidParameter(`Batching '${text}': use auto, off, or <max rows>:<max wait ms> such as 64:2.`)
  }
  return { maxBatchRows: rows, maxWaitMs: ms }
}
