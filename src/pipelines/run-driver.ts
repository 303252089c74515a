import type { Clock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import type { CacheKeyParts } from './cache-key.js'
import { cacheKey, cacheReason } from './cache-key.js'
import { boundedMap, errorMessage } from './local-executor.js'
import type { StepKindLookup } from './local-executor.js'
import { nextActions, resolveInputs, TERMINAL } from './ready-steps.js'
import { backoffDelay, canRetry } from './retry-policy.js'
import type { Sleep } from './retry-policy.js'
import type { StepTracking } from './step-tracking.js'
import type {
  PipelineDefinition,
  PipelineRunRecord,
  PipelineStore,
  StepExecutor,
  StepJob,
  StepKind,
  StepOutcome,
  StepRunRecord,
  StepSpec,
  StepStatus,
  StepValue,
} from './types.js'

/** Concurrency slots shared by every run of one engine: a global limit and named pools. */
export interface Slots {
  tryAcquire(pool: string | undefined): boolean
  release(pool: string | undefined): void
}

export interface RunDriverDeps {
  store: PipelineStore
  registry: StepKindLookup
  executor: StepExecutor
  tracking: StepTracking
  slots: Slots
  clock: Clock
  sleep: Sleep
  random: () => number
  logger: Logger
  /** Parallelism of a `foreach` step's items. */
  foreachConcurrency: number
  /** Told when this run frees slots, so other runs waiting for them can go on. */
  onSlotsFreed: () => void
}

/**
 * Drives one pipeline run to its end. Every decision is taken from the step records, and every change is
 * written to the store before it takes effect (running before dispatch, succeeded before dependents start),
 * so a new driver built from the stored records after a crash carries on where this one stopped.
 */
export class RunDriver {
  readonly done: Promise<PipelineRunRecord>
  private resolveDone!: (run: PipelineRunRecord) => void
  private readonly records = new Map<string, StepRunRecord>()
  private readonly specs = new Map<string, StepSpec>()
  /** Steps taken from `pending` by this driver and not finished yet. */
  private readonly claimed = new Set<string>()
  private readonly controllers = new Map<string, AbortController>()
  private failure: string | undefined
  private cancelled = false
  private finished = false
  private pumping = false
  private again = false
  private previousRuns: Promise<Array<Map<string, StepRunRecord>>> | undefined

  constructor(
    private readonly deps: RunDriverDeps,
    private readonly definition: PipelineDefinition,
    private run: PipelineRunRecord,
    steps: StepRunRecord[],
    /** Steps that must run even on a cache hit (an explicit retry of a step). */
    private readonly noCache: ReadonlySet<string> = new Set(),
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve
    })
    for (const spec of definition.steps) this.specs.set(spec.name, spec)
    for (const step of steps) this.records.set(step.step, step)
  }

  get runId(): string {
    return this.run.id
  }

  /** Starts the run; steps left `running` by a dead process are dispatched again as their next attempt. */
  begin(): void {
    for (const record of this.records.values()) {
      if (record.status !== 'running') continue
      const spec = this.specs.get(record.step)
      if (spec === undefined) continue
      // Recovery runs regardless of free slots: the dead process held them.
      this.claimed.add(spec.name)
      void this.execute(spec, true)
    }
    void this.pump()
  }

  cancel(): void {
    if (this.finished) return
    this.cancelled = true
    for (const controller of this.controllers.values()) controller.abort(new Error('cancelled'))
    void this.pump()
  }

  /** One scheduling pass at a time; a pass requested meanwhile runs right after. */
  pump(): Promise<void> {
    if (this.pumping) {
      this.again = true
      return Promise.resolve()
    }
    this.pumping = true
    return this.pumpLoop()
      .catch((error: unknown) => this.abandon(error))
      .finally(() => {
        this.pumping = false
        // A pass requested after the loop's last check (e.g. a cache hit finishing at once) would otherwise be lost.
        if (this.again && !this.finished) void this.pump()
      })
  }

  private async pumpLoop(): Promise<void> {
    for (let pass = 0; pass < 1_000_000; pass++) {
      this.again = false
      if (this.finished) return
      let waiting = false
      if (this.failure === undefined && !this.cancelled) {
        const { ready, skip } = nextActions(this.definition, this.run.params, this.records)
        for (const { spec, reason } of skip) {
          await this.write(spec.name, { status: 'skipped', cacheReason: reason, finishedAt: this.deps.clock.now() }, ['pending'])
          this.again = true
        }
        for (const spec of ready) {
          if (this.claimed.has(spec.name)) continue
          if (!this.deps.slots.tryAcquire(spec.pool)) {
            waiting = true
            continue
          }
          this.claimed.add(spec.name)
          void this.execute(spec, false)
        }
      }
      if (this.again) continue
      if (this.claimed.size === 0 && !waiting) await this.finish()
      return
    }
  }

  private async execute(spec: StepSpec, recovered: boolean): Promise<void> {
    const controller = new AbortController()
    this.controllers.set(spec.name, controller)
    try {
      await this.executeStep(spec, recovered, controller.signal)
    } catch (error) {
      await this.write(spec.name, { status: 'failed', error: errorMessage(error), finishedAt: this.deps.clock.now() }, ['pending', 'running']).catch(
        () => undefined,
      )
      this.failure ??= `step '${spec.name}' failed: ${errorMessage(error)}`
    } finally {
      this.controllers.delete(spec.name)
      this.claimed.delete(spec.name)
      if (!recovered) this.deps.slots.release(spec.pool)
      this.deps.onSlotsFreed()
      void this.pump()
    }
  }

  private async executeStep(spec: StepSpec, recovered: boolean, signal: AbortSignal): Promise<void> {
    const { clock } = this.deps
    const kind = this.deps.registry.get(spec.kind)
    if (kind === undefined) throw new Error(`no step kind '${spec.kind}' is registered`)
    const inputs = resolveInputs(spec, this.run.params, this.records)
    let record = this.record(spec.name)
    let parts: CacheKeyParts | undefined
    if (!recovered) {
      const key = cacheKey(kind, spec, inputs)
      parts = key.parts
      if (spec.cache !== false && !this.noCache.has(spec.name)) {
        const hit = await this.deps.store.findCached(key.key)
        if (hit?.outputs !== undefined) {
          const reason = `${cacheReason(key.parts, key.parts)} (from run ${hit.runId})`
          const now = clock.now()
          await this.write(spec.name, { status: 'cached', cacheKey: key.key, cacheReason: reason, outputs: hit.outputs, startedAt: now, finishedAt: now }, ['pending'])
          return
        }
      }
      const reason = spec.cache === false ? 'miss: caching is off for this step' : this.noCache.has(spec.name) ? 'miss: retried explicitly' : await this.missReason(spec.name, key.parts)
      record = { ...record, cacheKey: key.key, cacheReason: reason }
    }
    const trackingRunId =
      record.trackingRunId ??
      (await this.deps.tracking.startStep(this.run.trackingRunId, this.run.pipeline, this.run.id, spec.name, inputs, parts ?? cacheKey(kind, spec, inputs).parts))
    let expected: StepStatus[] = recovered ? ['running'] : ['pending']
    let attempts = record.attempts.map((a) =>
      recovered && a.finishedAt === undefined ? { ...a, finishedAt: clock.now(), error: 'interrupted: the process running it stopped' } : a,
    )
    for (let attempt = record.attempt + 1; attempt <= record.attempt + 1_000; attempt++) {
      const startedAt = clock.now()
      attempts = [...attempts, { attempt, worker: this.deps.executor.name, startedAt }]
      record = { ...record, status: 'running', attempt, trackingRunId, startedAt: record.startedAt ?? startedAt, attempts }
      if (!(await this.deps.store.updateStep(record, expected))) return this.lostStep(spec.name)
      this.records.set(spec.name, record)
      expected = ['running']
      const job: StepJob = { runId: this.run.id, pipeline: this.run.pipeline, step: spec.name, kind: spec.kind, attempt, inputs, trackingRunId }
      if (spec.timeoutMs !== undefined) job.timeoutMs = spec.timeoutMs
      const outcome = spec.foreach === undefined ? await this.deps.executor.dispatch(job, signal) : await this.dispatchForeach(spec, job, kind, signal)
      const finishedAt = clock.now()
      const last: StepRunRecord['attempts'][number] = { ...(attempts[attempts.length - 1] ?? { attempt, startedAt }), worker: outcome.worker, finishedAt }
      if (!outcome.ok) last.error = outcome.error
      // A worker that died mid-step (BullMQ's stall check gave the job to another) shows as an interrupted attempt.
      const starts = outcome.starts ?? []
      const interrupted = starts.slice(0, -1).map((s, i) => ({
        attempt,
        worker: s.worker,
        startedAt: s.startedAt,
        finishedAt: starts[i + 1]!.startedAt,
        error: `worker ${s.worker} stopped mid-step; restarted on ${starts[i + 1]!.worker}`,
      }))
      attempts = [...attempts.slice(0, -1), ...interrupted, last]
      const timing = { attempt, startedAt: record.startedAt ?? startedAt, finishedAt }
      if (this.cancelled) {
        await this.write(spec.name, { status: 'cancelled', attempts, worker: outcome.worker, finishedAt, error: 'cancelled' }, ['running'])
        await this.deps.tracking.finishStep(trackingRunId, 'cancelled', timing)
        return
      }
      if (outcome.ok) {
        await this.write(spec.name, { status: 'succeeded', outputs: outcome.outputs, attempts, worker: outcome.worker, finishedAt }, ['running'])
        await this.deps.tracking.finishStep(trackingRunId, 'succeeded', timing)
        return
      }
      if (!canRetry(spec, attempt, outcome.retryable)) {
        await this.write(spec.name, { status: 'failed', error: outcome.error, attempts, worker: outcome.worker, finishedAt }, ['running'])
        await this.deps.tracking.finishStep(trackingRunId, 'failed', timing)
        this.failure ??= `step '${spec.name}' failed after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${outcome.error}`
        return
      }
      // The failed attempt is stored before the wait, so the history shows it even if we crash meanwhile.
      await this.write(spec.name, { attempts, error: outcome.error }, ['running'])
      record = this.record(spec.name)
      const delay = backoffDelay(spec, attempt, this.deps.random)
      this.deps.logger.info({ runId: this.run.id, step: spec.name, attempt, delay, error: outcome.error }, 'step failed; retrying')
      try {
        await this.deps.sleep(delay, signal)
      } catch {
        await this.write(spec.name, { status: 'cancelled', finishedAt: clock.now() }, ['running'])
        await this.deps.tracking.finishStep(trackingRunId, 'cancelled', timing)
        return
      }
    }
  }

  /** Fan-out: one job per item of the `foreach` input (retried on their own), outputs collected in item order. */
  private async dispatchForeach(spec: StepSpec, job: StepJob, kind: StepKind, signal: AbortSignal): Promise<StepOutcome> {
    const over = spec.foreach?.input ?? ''
    const items = job.inputs[over]
    if (!Array.isArray(items)) {
      return { ok: false, error: `Step '${spec.name}': foreach input '${over}' must be a list; got ${JSON.stringify(items)}.`, retryable: false, worker: this.deps.executor.name }
    }
    let failed: StepOutcome | undefined
    const results = await boundedMap(
      items,
      async (item, index) => {
        const itemJob: StepJob = { ...job, step: `${spec.name}[${index}]`, inputs: { ...job.inputs, [over]: item } }
        for (let attempt = 1; attempt <= 1_000 && failed === undefined; attempt++) {
          const outcome = await this.deps.executor.dispatch({ ...itemJob, attempt }, signal)
          if (outcome.ok || !canRetry(spec, attempt, outcome.retryable) || signal.aborted) {
            if (!outcome.ok) failed ??= { ...outcome, error: `item ${index}: ${outcome.error}` }
            return outcome
          }
          await this.deps.sleep(backoffDelay(spec, attempt, this.deps.random), signal)
        }
        return undefined
      },
      this.deps.foreachConcurrency,
      signal,
    ).catch((error: unknown) => {
      failed ??= { ok: false, error: errorMessage(error), retryable: false, worker: this.deps.executor.name }
      return []
    })
    if (failed !== undefined) return failed
    const outputs: Record<string, StepValue[]> = {}
    for (const name of Object.keys(kind.outputs)) outputs[name] = []
    let worker = this.deps.executor.name as string
    for (const result of results) {
      if (result === undefined || !result.ok) continue
      worker = result.worker
      for (const name of Object.keys(kind.outputs)) outputs[name]?.push(result.outputs[name] ?? null)
    }
    return { ok: true, outputs, worker }
  }

  /** Why a step missed: compared with the same step of the pipeline's previous run, when it has one. */
  private async missReason(step: string, parts: CacheKeyParts): Promise<string> {
    this.previousRuns ??= this.loadPreviousRuns()
    // The latest earlier execution of this step (a cached step has no tracking run, so look further back).
    const previous = (await this.previousRuns).map((steps) => steps.get(step)).find((s) => s?.trackingRunId !== undefined)
    if (previous?.trackingRunId === undefined) return cacheReason(undefined, parts)
    const before = await this.deps.tracking.cacheParts(previous.trackingRunId)
    return before === undefined ? 'miss: no earlier execution with the same key' : cacheReason(before, parts)
  }

  private async loadPreviousRuns(): Promise<Array<Map<string, StepRunRecord>>> {
    const runs = await this.deps.store.listRuns({ pipeline: this.run.pipeline, maxResults: 6 })
    const earlier = runs.filter((r) => r.id !== this.run.id && r.createdAt <= this.run.createdAt).slice(0, 5)
    return Promise.all(earlier.map(async (r) => new Map((await this.deps.store.getSteps(r.id)).map((s) => [s.step, s]))))
  }

  /** Another writer (a `cancel` from another process) changed the step under us: take its state and stop. */
  private async lostStep(step: string): Promise<void> {
    const stored = (await this.deps.store.getSteps(this.run.id)).find((s) => s.step === step)
    if (stored !== undefined) this.records.set(step, stored)
    if (stored?.status === 'cancelled') this.cancelled = true
  }

  private record(step: string): StepRunRecord {
    const record = this.records.get(step)
    if (record === undefined) throw new Error(`pipeline run '${this.run.id}' has no record of step '${step}'`)
    return record
  }

  private async write(step: string, change: Partial<StepRunRecord>, expected: readonly StepStatus[]): Promise<boolean> {
    const next: StepRunRecord = { ...this.record(step), ...change }
    if (next.status !== 'failed' && change.error === undefined) delete next.error
    const ok = await this.deps.store.updateStep(next, expected)
    if (ok) this.records.set(step, next)
    else await this.lostStep(step)
    return ok
  }

  private async finish(): Promise<void> {
    if (this.finished) return
    this.finished = true
    const now = this.deps.clock.now()
    const leftover = [...this.records.values()].filter((r) => !TERMINAL.has(r.status))
    for (const record of leftover) {
      const reason = this.cancelled ? 'run cancelled' : this.failure !== undefined ? 'an upstream step failed' : 'never became ready'
      await this.write(record.step, { status: 'cancelled', error: reason, finishedAt: now }, ['pending', 'running'])
    }
    const status = this.cancelled ? 'cancelled' : this.failure !== undefined || leftover.length > 0 ? 'failed' : 'succeeded'
    const error = status === 'failed' ? (this.failure ?? 'some steps never became ready') : status === 'cancelled' ? 'cancelled' : undefined
    await this.deps.store.setRunStatus(this.run.id, status, error)
    await this.deps.tracking.finishPipeline(this.run.trackingRunId, status).catch(() => undefined)
    this.run = (await this.deps.store.getRun(this.run.id)) ?? { ...this.run, status }
    this.resolveDone(this.run)
  }

  /** A store failure outside any step: the run cannot be driven any further by this process. */
  private abandon(error: unknown): void {
    this.deps.logger.error({ runId: this.run.id, error: errorMessage(error) }, 'pipeline run abandoned; resume it later')
    if (this.finished) return
    this.finished = true
    this.resolveDone({ ...this.run, status: 'failed', error: `run abandoned: ${errorMessage(error)} (resume it with 'keel pipeline resume ${this.run.id}')` })
  }
}
