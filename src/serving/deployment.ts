import type { Keel } from '../client/keel.js'
import { systemClock } from '../core/clock.js'
import type { Clock } from '../core/clock.js'
import { isKeelError, KeelError, notFound } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import type { ModelVersion } from '../registry/types.js'
import type { Scores } from '../scoring/scoring-model.js'
import { Batcher } from './batcher.js'
import { aliasOf, loadVersion, resolveVersion } from './load-version.js'
import { routeRequest, validatePolicy } from './traffic-router.js'
import type { Arm, BatchingOptions, CapturedPrediction, Deployment, DeploymentAnswer, PredictContext, ServedVersion, TrafficPolicy } from './types.js'

/**
 * A deployment serves one registered model through its aliases: the champion answers, an optional challenger
 * takes part per the traffic policy. Aliases are re-read every `pollMs`; a moved alias is loaded and warmed up
 * beside the old version, then swapped in with one reference assignment, so no request ever sees a deployment
 * without a model. The old version finishes what it has in flight and is closed when its last request is done.
 */

export interface DeploymentSpec {
  /** Registered model name. */
  name: string
  /** Alias or version number of the version that answers (default `champion`). */
  champion?: string
  /** Alias or version number of the version that competes (canary, A/B) or shadows. */
  challenger?: string
  policy?: TrafficPolicy
  /** 'auto' (default): on for ONNX scorers, off otherwise; options turn it on with those settings. */
  batching?: Partial<BatchingOptions> | 'auto' | 'off'
}

/** What a deployment reports to; `ServingMetrics` satisfies it. */
export interface DeploymentMetrics {
  observeLoad(model: string, version: string, seconds: number): void
  observeBatch(model: string, version: string, rows: number): void
  setQueueDepth(model: string, depth: number): void
}

export interface DeploymentOptions {
  clock?: Clock
  /** How often aliases are re-read, in ms (default 2000); 0 = only on `refresh()`. */
  pollMs?: number
  metrics?: DeploymentMetrics
  /** Accepted for the app's convenience; the deployment itself never captures (the serving app does). */
  capture?: { offer(p: CapturedPrediction): void }
  logger?: Logger
  /** Uniform in [0, 1) for canary and shadow sampling (default Math.random; tests pass `seededRandom`). */
  random?: () => number
  /** Warm-up scoring runs per loaded version (default 3). */
  warmupRuns?: number
}

export const DEFAULT_POLL_MS = 2000
export const DEFAULT_BATCHING: BatchingOptions = { maxBatchRows: 64, maxWaitMs: 2, maxQueue: 1024 }

/** Opens a deployment once its champion is loaded and warmed up; a champion that cannot load is an error. */
export async function openDeployment(keel: Keel, spec: DeploymentSpec, options: DeploymentOptions = {}): Promise<Deployment> {
  const deployment = new ModelDeployment(keel, spec, options)
  await deployment.start()
  return deployment
}

/** One loaded version plus what the hot swap needs: its in-flight count and whether it was swapped out. */
class Slot {
  private inFlight = 0
  private retired = false
  private closing: Promise<void> | undefined
  private onClosed: (() => void) | undefined
  readonly closed: Promise<void>

  constructor(
    readonly served: ServedVersion,
    private readonly batcher: Batcher | undefined,
    private readonly logger: Logger,
  ) {
    this.closed = new Promise((resolve) => (this.onClosed = resolve))
  }

  /** Scores with this version; callers must not await anything between picking the slot and calling this. */
  async score(frame: Frame, deadline: number): Promise<Scores> {
    this.inFlight++
    try {
      return this.batcher === undefined ? await this.served.scorer.score(frame) : await this.batcher.score(frame, deadline)
    } finally {
      this.inFlight--
      if (this.retired && this.inFlight === 0) void this.close()
    }
  }

  /** Swapped out: closes now if idle, else when the last in-flight request finishes. */
  retire(): Promise<void> {
    this.retired = true
    if (this.inFlight === 0) void this.close()
    return this.closed
  }

  private close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.batcher?.close()
        await this.served.scorer.close()
      } catch (error) {
        this.logger.warn({ model: this.served.model, version: this.served.version, err: error }, 'closing a retired model version failed')
      } finally {
        this.onClosed?.()
      }
    })()
    return this.closing
  }
}

class ModelDeployment implements Deployment {
  readonly name: string
  private readonly keel: Keel
  private readonly championRef: string
  private readonly challengerRef: string | undefined
  private readonly batching: DeploymentSpec['batching']
  private readonly clock: Clock
  private readonly pollMs: number
  private readonly metrics: DeploymentMetrics | undefined
  private readonly logger: Logger
  private readonly random: () => number
  private readonly warmupRuns: number | undefined
  private currentPolicy: TrafficPolicy
  private championSlot: Slot | undefined
  private challengerSlot: Slot | undefined
  private refreshing: Promise<void> | undefined
  private refreshQueued: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private closed = false
  /** The version each arm last failed to load, so a broken version is logged as an error once, not every poll. */
  private readonly failed = new Map<Arm, string>()

  constructor(keel: Keel, spec: DeploymentSpec, options: DeploymentOptions) {
    this.keel = keel
    this.name = spec.name
    this.championRef = spec.champion ?? 'champion'
    this.challengerRef = spec.challenger
    this.batching = spec.batching ?? 'auto'
    this.currentPolicy = validatePolicy(spec.policy ?? { kind: 'single' })
    this.clock = options.clock ?? systemClock
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS
    if (!Number.isFinite(this.pollMs) || this.pollMs < 0) {
      throw new KeelError('INVALID_PARAMETER_VALUE', `Deployment '${spec.name}': 'pollMs' must be ≥ 0 milliseconds (0 = no polling); got ${this.pollMs}.`)
    }
    this.metrics = options.metrics
    this.logger = options.logger ?? silentLogger
    this.random = options.random ?? Math.random
    this.warmupRuns = options.warmupRuns
  }

  async start(): Promise<void> {
    // The champion must load: a deployment never exists without a model. The challenger is best effort.
    const champion = await resolveVersion(this.keel, this.name, this.championRef)
    this.championSlot = await this.load(champion, this.championRef)
    if (this.challengerRef !== undefined) await this.refreshArm('challenger')
    this.schedulePoll()
  }

  ready(): boolean {
    return !this.closed && this.championSlot !== undefined
  }

  versions(): readonly ServedVersion[] {
    const out: ServedVersion[] = []
    if (this.championSlot !== undefined) out.push(this.championSlot.served)
    if (this.challengerSlot !== undefined) out.push(this.challengerSlot.served)
    return out
  }

  champion(): ServedVersion {
    return this.requireChampion().served
  }

  policy(): TrafficPolicy {
    return this.currentPolicy
  }

  setPolicy(policy: TrafficPolicy): void {
    this.currentPolicy = validatePolicy(policy)
    this.logger.info({ deployment: this.name, policy }, 'traffic policy changed')
  }

  predict(frame: Frame, context: PredictContext): Promise<DeploymentAnswer> {
    // Picking the slots and entering them happens synchronously, so a concurrent swap cannot close them first.
    let champion: Slot
    try {
      champion = this.requireChampion()
    } catch (error) {
      return Promise.reject(error)
    }
    const challenger = this.challengerSlot
    if (context.version !== undefined) {
      // The caller chose the version: no policy, no shadow; it still counts in flight and goes through the batcher.
      const pinned = champion.served.version === context.version ? champion : challenger?.served.version === context.version ? challenger : undefined
      if (pinned === undefined) {
        const loaded = [champion, challenger].flatMap((s) => (s === undefined ? [] : [s.served.version]))
        return Promise.reject(notFound(`Version '${context.version}' of '${this.name}' is not loaded; loaded: ${loaded.join(', ')}.`))
      }
      const arm: Arm = pinned === champion ? 'champion' : 'challenger'
      return pinned.score(frame, context.deadline).then((scores) => ({ served: pinned.served, arm, scores }))
    }
    const route = routeRequest(this.currentPolicy, challenger !== undefined, context.routeKey, this.random)
    const slot = route.arm === 'challenger' && challenger !== undefined ? challenger : champion
    const scoring = slot.score(frame, context.deadline)
    const arm: Arm = slot === champion ? 'champion' : 'challenger'
    if (!route.shadow || challenger === undefined) {
      return scoring.then((scores) => ({ served: slot.served, arm, scores }))
    }
    const shadow = this.shadowScore(challenger, frame, context.deadline)
    return scoring.then((scores) => ({ served: slot.served, arm, scores, shadow }))
  }

  /**
   * The challenger scores the same rows after the current turn of the event loop, so the champion's answer is
   * written first; the promise always resolves (undefined when the challenger failed: logged, never thrown).
   */
  private shadowScore(slot: Slot, frame: Frame, deadline: number): Promise<{ served: ServedVersion; scores: Scores } | undefined> {
    return new Promise((resolve) => {
      setImmediate(() => {
        slot.score(frame, deadline).then(
          (scores) => resolve({ served: slot.served, scores }),
          (error: unknown) => {
            this.logger.warn({ deployment: this.name, version: slot.served.version, err: error }, 'shadow scoring failed')
            resolve(undefined)
          },
        )
      })
    })
  }

  /** Re-reads the aliases; calls during a refresh queue one more run after it (never overlapping). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve()
    if (this.refreshing === undefined) {
      this.refreshing = this.refreshNow().finally(() => {
        this.refreshing = undefined
      })
      return this.refreshing
    }
    this.refreshQueued ??= this.refreshing.then(() => {
      this.refreshQueued = undefined
      return this.refresh()
    })
    return this.refreshQueued
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    await this.refreshing
    const slots = [this.championSlot, this.challengerSlot].filter((s): s is Slot => s !== undefined)
    this.challengerSlot = undefined
    await Promise.all(slots.map((s) => s.retire()))
  }

  private requireChampion(): Slot {
    if (this.closed || this.championSlot === undefined) {
      throw new KeelError('TEMPORARILY_UNAVAILABLE', `Model '${this.name}' is not being served (the deployment is closed); retry on another replica.`, {
        details: { retryAfterSeconds: 1 },
      })
    }
    return this.championSlot
  }

  private async refreshNow(): Promise<void> {
    await this.refreshArm('champion')
    if (this.challengerRef !== undefined) await this.refreshArm('challenger')
  }

  /** Never throws: a failed resolve or load keeps the current version serving. */
  private async refreshArm(arm: Arm): Promise<void> {
    const ref = arm === 'champion' ? this.championRef : this.challengerRef!
    const current = arm === 'champion' ? this.championSlot : this.challengerSlot
    let target: ModelVersion
    try {
      target = await resolveVersion(this.keel, this.name, ref)
    } catch (error) {
      // A caller-side answer (alias not found: 400/404) means the alias is gone; a 5xx or a thrown I/O error is
      // transient and changes nothing.
      if (arm === 'challenger' && isKeelError(error) && error.status < 500) {
        // The challenger alias was deleted: the experiment is over, stop serving it.
        if (current !== undefined && !this.closed) {
          this.challengerSlot = undefined
          this.logger.info({ deployment: this.name, alias: ref, version: current.served.version }, 'challenger alias deleted; unloading it')
          void current.retire()
        }
        return
      }
      this.logger.warn({ deployment: this.name, arm, ref, err: error }, 'could not re-read the alias; keeping the loaded version')
      return
    }
    if (current?.served.version === target.version || this.closed) {
      this.failed.delete(arm)
      return
    }
    let next: Slot
    try {
      next = await this.load(target, ref)
    } catch (error) {
      const first = this.failed.get(arm) !== target.version
      this.failed.set(arm, target.version)
      const log = { deployment: this.name, arm, ref, version: target.version, serving: current?.served.version, err: error }
      const why = current === undefined ? `loading the ${arm} failed; it is not served` : 'loading the new version failed; the old version keeps serving'
      if (first) this.logger.error(log, why)
      else this.logger.debug(log, 'the new version still fails to load')
      return
    }
    this.failed.delete(arm)
    if (this.closed) {
      await next.retire()
      return
    }
    // The swap: one assignment; requests already inside `current` finish there, new ones go to `next`.
    if (arm === 'champion') this.championSlot = next
    else this.challengerSlot = next
    this.logger.info({ deployment: this.name, arm, ref, from: current?.served.version, to: target.version, loadMs: next.served.loadMs }, 'model version swapped in')
    if (current !== undefined) void current.retire()
  }

  private async load(version: ModelVersion, ref: string): Promise<Slot> {
    const metrics = this.metrics
    const served = await loadVersion(this.keel, version, aliasOf(ref), {
      clock: this.clock,
      ...(this.warmupRuns === undefined ? {} : { warmupRuns: this.warmupRuns }),
      ...(metrics === undefined ? {} : { observeLoad: (m: string, v: string, seconds: number) => metrics.observeLoad(m, v, seconds) }),
    })
    const options = batchingOptions(this.batching, served.scorer.kind)
    if (options === undefined) return new Slot(served, undefined, this.logger)
    const hooks =
      metrics === undefined
        ? {}
        : {
            onBatch: (rows: number) => metrics.observeBatch(served.model, served.version, rows),
            onQueue: (depth: number) => metrics.setQueueDepth(served.model, depth),
          }
    let batcher: Batcher
    try {
      batcher = new Batcher(served.scorer, options, hooks, { clock: this.clock })
    } catch (error) {
      await served.scorer.close().catch(() => undefined)
      throw error
    }
    return new Slot(served, batcher, this.logger)
  }

  /** Polls with a chained, unref'd timeout: a slow refresh delays the next one instead of overlapping it. */
  private schedulePoll(): void {
    if (this.pollMs === 0 || this.closed) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.refresh()
        .catch((error: unknown) => this.logger.error({ deployment: this.name, err: error }, 'alias refresh failed'))
        .finally(() => this.schedulePoll())
    }, this.pollMs)
    this.timer.unref()
  }
}

/** Resolves the spec's batching setting for one scorer: undefined = score directly. */
export function batchingOptions(setting: DeploymentSpec['batching'], scorerKind: string): BatchingOptions | undefined {
  if (setting === undefined || setting === 'auto') return scorerKind === 'onnx' ? DEFAULT_BATCHING : undefined
  if (setting === 'off') return undefined
  return { ...DEFAULT_BATCHING, ...definedOnly(setting) }
}

function definedOnly(options: Partial<BatchingOptions>): Partial<BatchingOptions> {
  const out: Partial<BatchingOptions> = {}
  if (options.maxBatchRows !== undefined) out.maxBatchRows = options.maxBatchRows
  if (options.maxWaitMs !== undefined) out.maxWaitMs = options.maxWaitMs
  if (options.maxQueue !== undefined) out.maxQueue = options.maxQueue
  return out
}
