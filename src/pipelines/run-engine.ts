import { randomUUID } from 'node:crypto'
import type { Keel } from '../client/keel.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter, KeelError, notFound } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import type { StepKindLookup } from './local-executor.js'
import { resolveParams, upstreamOf } from './ready-steps.js'
import { realSleep } from './retry-policy.js'
import type { Sleep } from './retry-policy.js'
import { RunDriver } from './run-driver.js'
import type { Slots } from './run-driver.js'
import { StepTracking } from './step-tracking.js'
import type { PipelineDefinition, PipelineRunRecord, PipelineStore, StepExecutor, StepRunRecord, StepValue } from './types.js'

export const DEFAULT_CONCURRENCY = 16

export interface PipelineEngineOptions {
  /** Slots of named pools (StepSpec.pool); a pool not sized here has 1 slot: pools are for scarce things. */
  pools?: Record<string, number>
  /** Steps in flight at once across all runs of this engine (default 16). */
  concurrency?: number
  clock?: Clock
  logger?: Logger
  /** The durable run state; defaults to `keel.pipelines`. */
  store?: PipelineStore
  /** Waits between retries (tests inject one that does not wait). */
  sleep?: Sleep
  /** Jitter source in [0, 1). */
  random?: () => number
  /** Parallelism of one `foreach` step's items (default: `concurrency`). */
  foreachConcurrency?: number
}

/**
 * The orchestrator: owns the DAG and the durable run state, and hands each ready step to the executor
 * (in-process or BullMQ). `start` returns once the run and all its step records are stored; `wait` gives the
 * final record. A run interrupted by a crash is finished with `resume`; a failed one rerun with `retry`.
 */
export class PipelineEngine {
  private readonly store: PipelineStore
  private readonly tracking: StepTracking
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly drivers = new Map<string, RunDriver>()
  private readonly slots: Slots & { inUse: number }

  constructor(
    keel: Keel,
    private readonly registry: StepKindLookup,
    private readonly executor: StepExecutor,
    private readonly options: PipelineEngineOptions = {},
  ) {
    this.store = options.store ?? keel.pipelines
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? silentLogger
    this.tracking = new StepTracking(keel, this.clock)
    this.slots = poolSlots(options.concurrency ?? DEFAULT_CONCURRENCY, options.pools ?? {})
  }

  /** Stores the run (status running) and its steps (pending), then drives it in the background. */
  async start(definition: PipelineDefinition, params: Record<string, StepValue> = {}): Promise<string> {
    const resolved = resolveParams(definition, params)
    const id = randomUUID().replaceAll('-', '')
    const now = this.clock.now()
    const trackingRunId = await this.tracking.startPipeline(definition, id, resolved)
    const run: PipelineRunRecord = {
      id,
      pipeline: definition.name,
      definitionDigest: definition.digest,
      params: resolved,
      status: 'running',
      trackingRunId,
      createdAt: now,
      updatedAt: now,
    }
    const steps = definition.steps.map((spec): StepRunRecord => ({ runId: id, step: spec.name, status: 'pending', attempt: 0, cacheKey: '', cacheReason: '', attempts: [] }))
    await this.store.createRun(run, steps)
    this.drive(definition, run, steps)
    return id
  }

  /** The run's final record (the stored one when this engine is not driving it). */
  async wait(runId: string): Promise<PipelineRunRecord> {
    const driver = this.drivers.get(runId)
    if (driver !== undefined) return driver.done
    const run = await this.store.getRun(runId)
    if (run === undefined) throw notFound(`Pipeline run '${runId}' does not exist; list runs with 'keel pipeline list'.`)
    return run
  }

  async run(definition: PipelineDefinition, params: Record<string, StepValue> = {}): Promise<PipelineRunRecord> {
    return this.wait(await this.start(definition, params))
  }

  /**
   * Carries on a run whose process died: succeeded/cached steps are kept, steps left `running` are dispatched
   * again as their next attempt, the rest as usual. Returns the run id; `wait` gives the outcome.
   */
  async resume(runId: string, definition: PipelineDefinition): Promise<string> {
    if (this.drivers.has(runId)) return runId
    const run = await this.load(runId, definition)
    if (run.status === 'succeeded' || run.status === 'cancelled') return runId
    if (run.status === 'failed') {
      throw new KeelError('INVALID_STATE', `Pipeline run '${runId}' failed (${run.error ?? 'no error recorded'}); rerun its failed steps with 'keel pipeline retry ${runId}'.`, { retryable: false })
    }
    if (run.status === 'pending') await this.store.setRunStatus(runId, 'running')
    this.drive(definition, { ...run, status: 'running' }, await this.store.getSteps(runId))
    return runId
  }

  /**
   * Reruns a finished run's failed and cancelled steps (or, with `step`, that step and everything downstream
   * of it, bypassing its cache) in the same run; earlier attempts stay in each step's history.
   */
  async retry(runId: string, definition: PipelineDefinition, step?: string): Promise<string> {
    if (this.drivers.has(runId)) throw invalidParameter(`Pipeline run '${runId}' is still running; wait for it or cancel it first.`)
    const run = await this.load(runId, definition)
    if (run.status === 'running' || run.status === 'pending') {
      throw invalidParameter(`Pipeline run '${runId}' is ${run.status}; finish it with 'keel pipeline resume ${runId}' rather than retry.`)
    }
    const steps = await this.store.getSteps(runId)
    let reset: Set<string>
    if (step === undefined) {
      reset = new Set(steps.filter((s) => s.status === 'failed' || s.status === 'cancelled').map((s) => s.step))
    } else {
      if (!definition.steps.some((s) => s.name === step)) {
        throw invalidParameter(`Pipeline '${definition.name}' has no step '${step}'; its steps are: ${definition.steps.map((s) => s.name).join(', ')}.`)
      }
      reset = downstreamOf(definition, step)
    }
    const updated: StepRunRecord[] = []
    for (const record of steps) {
      if (!reset.has(record.step)) {
        updated.push(record)
        continue
      }
      const next: StepRunRecord = { runId, step: record.step, status: 'pending', attempt: record.attempt, cacheKey: '', cacheReason: '', attempts: record.attempts }
      await this.store.updateStep(next, [record.status])
      updated.push(next)
    }
    await this.store.setRunStatus(runId, 'running')
    this.drive(definition, { ...run, status: 'running' }, updated, step === undefined ? new Set() : new Set([step]))
    return runId
  }

  /** Aborts in-flight steps' signals and marks everything not finished cancelled. */
  async cancel(runId: string): Promise<void> {
    const driver = this.drivers.get(runId)
    if (driver !== undefined) {
      driver.cancel()
      await driver.done
      return
    }
    // Not driven here (another process, or a dead one): cancel in the store; a live driver elsewhere sees it
    // at its next compare-and-set on the step.
    const run = await this.store.getRun(runId)
    if (run === undefined) throw notFound(`Pipeline run '${runId}' does not exist; list runs with 'keel pipeline list'.`)
    if (run.status !== 'running' && run.status !== 'pending') return
    const now = this.clock.now()
    for (const step of await this.store.getSteps(runId)) {
      if (step.status !== 'pending' && step.status !== 'running') continue
      await this.store.updateStep({ ...step, status: 'cancelled', error: 'run cancelled', finishedAt: now }, [step.status])
    }
    await this.store.setRunStatus(runId, 'cancelled', 'cancelled')
  }

  /** Cancels every run this engine drives, then closes the executor. */
  async close(): Promise<void> {
    await Promise.all([...this.drivers.keys()].map((id) => this.cancel(id)))
    await this.executor.close()
  }

  private async load(runId: string, definition: PipelineDefinition): Promise<PipelineRunRecord> {
    const run = await this.store.getRun(runId)
    if (run === undefined) throw notFound(`Pipeline run '${runId}' does not exist; list runs with 'keel pipeline list'.`)
    if (run.pipeline !== definition.name || run.definitionDigest !== definition.digest) {
      throw invalidParameter(
        `Pipeline run '${runId}' ran pipeline '${run.pipeline}' with definition ${run.definitionDigest.slice(0, 12)}; the definition given is '${definition.name}' ${definition.digest.slice(0, 12)}. Resume it with the definition it started with, or start a new run.`,
      )
    }
    return run
  }

  private drive(definition: PipelineDefinition, run: PipelineRunRecord, steps: StepRunRecord[], noCache?: ReadonlySet<string>): void {
    const driver = new RunDriver(
      {
        store: this.store,
        registry: this.registry,
        executor: this.executor,
        tracking: this.tracking,
        slots: this.slots,
        clock: this.clock,
        sleep: this.options.sleep ?? realSleep,
        random: this.options.random ?? Math.random,
        logger: this.logger,
        foreachConcurrency: this.options.foreachConcurrency ?? this.options.concurrency ?? DEFAULT_CONCURRENCY,
        onSlotsFreed: () => {
          for (const other of this.drivers.values()) if (other !== driver) void other.pump()
        },
      },
      definition,
      run,
      steps,
      noCache,
    )
    this.drivers.set(run.id, driver)
    void driver.done.then(() => this.drivers.delete(run.id))
    driver.begin()
  }
}

/** `step` and every step that reads from it, directly or not. */
function downstreamOf(definition: PipelineDefinition, step: string): Set<string> {
  const out = new Set([step])
  for (let changed = true, rounds = 0; changed && rounds <= definition.steps.length; rounds++) {
    changed = false
    for (const spec of definition.steps) {
      if (!out.has(spec.name) && upstreamOf(spec).some((up) => out.has(up))) {
        out.add(spec.name)
        changed = true
      }
    }
  }
  return out
}

function poolSlots(concurrency: number, pools: Record<string, number>): Slots & { inUse: number } {
  const used = new Map<string, number>()
  const slots = {
    inUse: 0,
    tryAcquire(pool: string | undefined): boolean {
      if (slots.inUse >= concurrency) return false
      if (pool !== undefined) {
        const n = used.get(pool) ?? 0
        if (n >= (pools[pool] ?? 1)) return false
        used.set(pool, n + 1)
      }
      slots.inUse++
      return true
    },
    release(pool: string | undefined): void {
      slots.inUse--
      if (pool !== undefined) used.set(pool, (used.get(pool) ?? 1) - 1)
    },
  }
  return slots
}
