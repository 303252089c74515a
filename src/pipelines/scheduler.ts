import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { fireTimes, nextFire, parseCron } from './cron.js'
import type { CronSpec } from './cron.js'
import { parseParamText } from './define.js'
import type { PipelineDefinition, PipelineStore, StepValue } from './types.js'

/** Events that start pipelines (a definition's `triggers`). */
export const PIPELINE_EVENTS = ['monitoring.retrain', 'dataset.registered'] as const

/** Emitted by a monitor alert's `retrain` action (`RetrainEvent` in src/monitoring/alerts.ts fits this shape). */
export interface RetrainTriggerEvent {
  type: 'monitoring.retrain'
  pipeline: string
  model: string
  version: string
  /** When present, its id makes the event idempotent: the same alert never starts a pipeline twice. */
  alert?: { id: string }
}

/** A new dataset (by content digest); `pipeline` narrows it to one pipeline, else every listener starts. */
export interface DatasetRegisteredEvent {
  type: 'dataset.registered'
  /** Content digest: the same digest starts a pipeline once. Absent (a manual trigger): every call starts. */
  digest?: string
  uri?: string
  pipeline?: string
  /** Run params, for the targeted pipelines that declare them. */
  params?: Record<string, StepValue>
}

export type PipelineEvent = RetrainTriggerEvent | DatasetRegisteredEvent

/** What the scheduler started (or skipped because a run for it already exists). */
export interface SchedulerStart {
  pipeline: string
  /** Undefined when skipped. */
  runId?: string
  reason: 'schedule' | 'event'
  /** Schedules: the fire time (ms) and the cron; events: the event type. */
  fireTime?: number
  cron?: string
  event?: PipelineEvent['type']
  params: Record<string, StepValue>
  skipped?: string
}

/** Timers, injectable so tests move time by hand. */
export interface SchedulerTimer {
  set(fn: () => void, ms: number): unknown
  clear(handle: unknown): void
}

export interface SchedulerOptions {
  /** Durable run state: fire markers are log lines of the runs they started (step `keel.scheduler`). */
  store: PipelineStore
  clock?: Clock
  timer?: SchedulerTimer
  logger?: Logger
  /** On start, fire the latest fire time missed within this many ms (while the scheduler was down); default 0. */
  catchUpMs?: number
  /** Runs of a pipeline searched for an existing fire marker (newest first); default 50. */
  lookback?: number
  onStart?: (start: SchedulerStart) => void
}

/** The engine surface the scheduler needs (PipelineEngine has it). */
export interface PipelineStarter {
  start(definition: PipelineDefinition, params?: Record<string, StepValue>): Promise<string>
}

export const SCHEDULER_LOG_STEP = 'keel.scheduler'
/** setTimeout's limit (about 24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1

const realTimer: SchedulerTimer = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

interface Entry {
  definition: PipelineDefinition
  index: number
  spec: CronSpec
  params: Record<string, StepValue>
  next: number
  handle?: unknown
}

/**
 * Fires each pipeline's cron schedules (UTC) and starts pipelines on events. Exactly once per fire time: before
 * starting, it looks for a run of the pipeline carrying that fire time's marker (a log line written right after
 * the run is stored), so a restarted scheduler, or one started at a fire time already served, skips it.
 * The window left is a crash between storing the run and its marker (milliseconds).
 */
export class PipelineScheduler {
  private readonly clock: Clock
  private readonly timer: SchedulerTimer
  private readonly logger: Logger
  private readonly entries: Entry[] = []
  private readonly inFlight = new Set<Promise<unknown>>()
  /** Markers being handled now, so two identical events at once start one run. */
  private readonly claiming = new Set<string>()
  private running = false

  constructor(
    private readonly engine: PipelineStarter,
    private readonly definitions: readonly PipelineDefinition[],
    private readonly options: SchedulerOptions,
  ) {
    this.clock = options.clock ?? systemClock
    this.timer = options.timer ?? realTimer
    this.logger = options.logger ?? silentLogger
    for (const definition of definitions) {
      for (const [index, schedule] of (definition.schedules ?? []).entries()) {
        this.entries.push({ definition, index, spec: parseCron(schedule.cron), params: schedule.params ?? {}, next: 0 })
      }
    }
  }

  /** Schedules, in definition order: pipeline, cron and its next fire time (after `start`). */
  schedules(): Array<{ pipeline: string; cron: string; next?: number }> {
    return this.entries.map((e) => ({ pipeline: e.definition.name, cron: e.spec.source, ...(this.running ? { next: e.next } : {}) }))
  }

  start(): void {
    if (this.running) return
    this.running = true
    const now = this.clock.now()
    const catchUp = this.options.catchUpMs ?? 0
    for (const entry of this.entries) {
      // A fire time equal to now counts as due; a missed one within catchUpMs fires at once.
      const missed = catchUp > 0 ? fireTimes(entry.spec, new Date(now - catchUp - 1), new Date(now - 1)).at(-1) : undefined
      entry.next = missed?.getTime() ?? nextFire(entry.spec, new Date(now - 1)).getTime()
      this.arm(entry)
    }
  }

  /** Stops firing; resolves when fires already under way have stored their runs (the runs themselves go on). */
  async stop(): Promise<void> {
    this.running = false
    for (const entry of this.entries) {
      if (entry.handle !== undefined) this.timer.clear(entry.handle)
      delete entry.handle
    }
    await this.settled()
  }

  /** Resolves when no fire or event is being handled. */
  async settled(): Promise<void> {
    for (let i = 0; i < 100 && this.inFlight.size > 0; i++) await Promise.allSettled([...this.inFlight])
  }

  /**
   * Starts the pipelines whose `triggers` include the event: for `monitoring.retrain` the one named by the
   * event (params: the trigger's, plus `model` and `version` when the pipeline declares them); for
   * `dataset.registered` every listener (or the one named), with `uri`/`digest` and the event's params where
   * declared. Unknown event types, and a retrain event no pipeline listens to, are refused.
   */
  async onEvent(event: PipelineEvent): Promise<SchedulerStart[]> {
    const type = (event as { type?: unknown }).type
    if (typeof type !== 'string' || !(PIPELINE_EVENTS as readonly string[]).includes(type)) {
      throw invalidParameter(`Unknown pipeline event ${JSON.stringify(type)}; events that start pipelines are: ${PIPELINE_EVENTS.join(', ')}.`)
    }
    const work = this.handleEvent(event)
    this.track(work)
    return work
  }

  private async handleEvent(event: PipelineEvent): Promise<SchedulerStart[]> {
    const listeners = this.definitions.filter((d) => (d.triggers ?? []).some((t) => t.event === event.type))
    let targets: PipelineDefinition[]
    let key: string | undefined
    if (event.type === 'monitoring.retrain') {
      for (const field of ['pipeline', 'model', 'version'] as const) {
        if (typeof event[field] !== 'string' || event[field] === '') throw invalidParameter(`monitoring.retrain event needs '${field}' (a non-empty string).`)
      }
      targets = listeners.filter((d) => d.name === event.pipeline)
      if (targets.length === 0) {
        throw invalidParameter(
          `No pipeline '${event.pipeline}' triggered by monitoring.retrain; pipelines with that trigger: ${listeners.map((d) => d.name).join(', ') || '(none)'}. Add triggers: [{ event: 'monitoring.retrain' }] to it.`,
        )
      }
      key = event.alert?.id === undefined ? undefined : `alert ${event.alert.id}`
    } else {
      targets = event.pipeline === undefined ? listeners : listeners.filter((d) => d.name === event.pipeline)
      if (event.pipeline !== undefined && targets.length === 0) {
        throw invalidParameter(`No pipeline '${event.pipeline}' triggered by dataset.registered; pipelines with that trigger: ${listeners.map((d) => d.name).join(', ') || '(none)'}.`)
      }
      const unknown = Object.keys(event.params ?? {}).filter((name) => !targets.some((d) => name in d.params))
      if (unknown.length > 0) throw invalidParameter(`Param(s) ${unknown.join(', ')} are not declared by any pipeline triggered by dataset.registered (${targets.map((d) => d.name).join(', ') || 'none'}).`)
      key = event.digest === undefined ? undefined : `digest ${event.digest}`
    }
    const started: SchedulerStart[] = []
    for (const definition of targets) {
      for (const [index, trigger] of (definition.triggers ?? []).entries()) {
        if (trigger.event !== event.type) continue
        const params = { ...(trigger.params ?? {}), ...eventParams(definition, event) }
        const marker = key === undefined ? undefined : `event ${event.type} trigger ${index} ${key}`
        const start = await this.startOnce(definition, params, marker, { reason: 'event', event: event.type })
        if (start !== undefined) started.push(start)
      }
    }
    return started
  }

  private arm(entry: Entry): void {
    if (!this.running) return
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, entry.next - this.clock.now()))
    entry.handle = this.timer.set(() => this.tick(entry), delay)
  }

  private tick(entry: Entry): void {
    delete entry.handle
    if (!this.running) return
    const now = this.clock.now()
    if (now < entry.next) return this.arm(entry)
    // Suspended past several fire times: fire the latest, not a burst.
    const later = fireTimes(entry.spec, new Date(entry.next), new Date(now), 10_000)
    const fireTime = later.at(-1)?.getTime() ?? entry.next
    if (later.length > 0) this.logger.warn({ pipeline: entry.definition.name, cron: entry.spec.source, missed: later.length }, 'scheduler fell behind; firing the latest time only')
    entry.next = nextFire(entry.spec, new Date(fireTime)).getTime()
    const marker = `schedule ${entry.index} (${entry.spec.source}) fire ${new Date(fireTime).toISOString()}`
    this.track(
      this.startOnce(entry.definition, entry.params, marker, { reason: 'schedule', fireTime, cron: entry.spec.source }).catch((error: unknown) => {
        this.logger.error({ pipeline: entry.definition.name, cron: entry.spec.source, fireTime, error: String(error) }, 'scheduled run failed to start')
      }),
    )
    this.arm(entry)
  }

  /** Starts a run unless one carrying `marker` exists; then writes the marker on the new run. */
  private async startOnce(
    definition: PipelineDefinition,
    params: Record<string, StepValue>,
    marker: string | undefined,
    what: Pick<SchedulerStart, 'reason' | 'fireTime' | 'cron' | 'event'>,
  ): Promise<SchedulerStart | undefined> {
    const claim = marker === undefined ? undefined : `${definition.name}\n${marker}`
    const report = (start: SchedulerStart): SchedulerStart => {
      this.options.onStart?.(start)
      return start
    }
    const skip = (): SchedulerStart => {
      this.logger.info({ pipeline: definition.name, marker }, 'a run for this already exists; skipped')
      return report({ pipeline: definition.name, ...what, params, skipped: 'a run for it already exists' })
    }
    if (claim !== undefined && this.claiming.has(claim)) return skip()
    // Claimed before the first await, so a second identical event arriving meanwhile is skipped.
    if (claim !== undefined) this.claiming.add(claim)
    try {
      if (marker !== undefined && (await this.hasMarker(definition.name, marker))) return skip()
      const runId = await this.engine.start(definition, params)
      const line = marker ?? `${what.reason} ${what.event ?? ''}`.trim()
      await this.options.store.appendLog(runId, SCHEDULER_LOG_STEP, line, this.clock.now())
      this.logger.info({ pipeline: definition.name, runId, marker: line }, 'pipeline run started')
      return report({ pipeline: definition.name, runId, ...what, params })
    } finally {
      if (claim !== undefined) this.claiming.delete(claim)
    }
  }

  private async hasMarker(pipeline: string, marker: string): Promise<boolean> {
    const runs = await this.options.store.listRuns({ pipeline, maxResults: this.options.lookback ?? 50 })
    for (const run of runs) {
      const lines = await this.options.store.logs(run.id, SCHEDULER_LOG_STEP)
      if (lines.some((l) => l.line === marker)) return true
    }
    return false
  }

  private track<T>(work: Promise<T>): void {
    const settled = work.then(
      () => undefined,
      () => undefined,
    )
    this.inFlight.add(settled)
    void settled.then(() => this.inFlight.delete(settled))
  }
}

/** `model`/`version` (retrain) or `uri`/`digest` and the event's params (dataset), for the params the pipeline declares. */
function eventParams(definition: PipelineDefinition, event: PipelineEvent): Record<string, StepValue> {
  const out: Record<string, StepValue> = {}
  const texts: Record<string, string | undefined> =
    event.type === 'monitoring.retrain' ? { model: event.model, version: event.version } : { uri: event.uri, digest: event.digest }
  for (const [name, text] of Object.entries(texts)) {
    if (text !== undefined && name in definition.params) out[name] = parseParamText(definition, name, text)
  }
  if (event.type === 'dataset.registered') {
    for (const [name, value] of Object.entries(event.params ?? {})) if (name in definition.params) out[name] = value
  }
  return out
}
