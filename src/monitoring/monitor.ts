import type { ActiveRun } from '../client/active-run.js'
import type { Keel } from '../client/keel.js'
import type { Clock } from '../core/clock.js'
import { systemClock } from '../core/clock.js'
import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { newId } from '../core/ids.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import type { WebhookSender } from '../registry/webhook-dispatcher.js'
import { evaluateRules } from './alerts.js'
import type { FiredAlert, RetrainEvent, WebhookRetryOptions } from './alerts.js'
import { defaultAnalysis } from './monitor-analysis.js'
import type { MonitorAnalysis, Task } from './monitor-analysis.js'
import type { MonitorDriftConfig } from './monitor-config.js'
import type { MonitoringStore } from './monitoring-store.js'
import type { CbpeCalibration } from './performance.js'
import type { PredictionQuery } from './prediction-store.js'
import type { AlertRule, DatasetDriftResult, DatasetProfile, MonitorMetric, MonitorWindow, WindowSpec } from './types.js'
import { formatWindowSpec, isOutputColumn, readWindows } from './windows.js'
import type { PredictionWindow } from './windows.js'

export interface MonitorOptions {
  /** `models:/fraud@champion`, `models:/fraud/3`, or a name (its `champion`, else its latest version). */
  model: string
  /** The deployment whose captured predictions to read (default: the model's name). */
  deployment?: string
  /** Only predictions of this version (default: every version of the model the deployment served). */
  version?: string
  arm?: PredictionQuery['arm']
  window: WindowSpec
  /** Epoch ms, inclusive / exclusive. */
  from?: number
  to?: number
  drift?: MonitorDriftConfig
  /** Labelled rows a window needs before `performance.*` is reported (default 100). */
  minLabels?: number
  rules?: readonly AlertRule[]
  /** Count windows: evaluate the trailing partial window too (default true). */
  keepIncomplete?: boolean
  maxWindows?: number
  /** Predictions read per store page (default 5,000). */
  pageSize?: number
  /** Log the run to the `monitoring` experiment with per-window metrics and the summary (default true). */
  track?: boolean
  experiment?: string
  clock?: Clock
  logger?: Logger
  /** Receives `monitoring.retrain` events of `retrain` actions (the pipelines issue consumes them). */
  onRetrain?: (event: RetrainEvent) => void | Promise<void>
  /** Called after each window is analysed (progress; streaming consumers). */
  onWindow?: (result: MonitorWindowResult) => void
  webhookSender?: WebhookSender
  webhook?: WebhookRetryOptions
  sleep?: (ms: number) => Promise<void>
  /** Replaces analysis steps (tests; custom metrics). */
  analysis?: Partial<MonitorAnalysis>
  /** The monitoring store (default `keel.monitoring`). */
  monitoring?: MonitoringStore
}

export interface MonitorWindowResult {
  window: MonitorWindow
  versions: string[]
  /** Input features only: the dataset drift verdict is about the inputs. */
  drift?: DatasetDriftResult
  /** The model's outputs (`prediction`, `probability_*`) against the reference's. */
  outputDrift?: DatasetDriftResult
  quality: Record<string, number>
  /** Labelled predictions in the window. */
  labels: number
  performance?: Record<string, number>
  estimated?: Record<string, number>
  metrics: MonitorMetric[]
}

/** One monitor run: what was read, what each window showed, the metrics rules saw, and the alerts fired. */
export interface MonitorRun {
  id: string
  /** The `monitoring` tracking run holding per-window metrics and `monitoring/monitor-run.json` (when tracked). */
  trackingRunId?: string
  model: string
  modelUri: string
  /** The version whose reference the windows were compared with. */
  referenceVersion: string
  /** Versions that answered in the windows read. */
  versions: string[]
  deployment: string
  task: Task
  windowSpec: WindowSpec
  from?: number
  to?: number
  createdAt: number
  finishedAt: number
  referenceRows: number
  /** Whether CBPE used calibrators fitted on the labelled reference (false: scores taken as calibrated). */
  cbpeCalibrated: boolean
  windows: MonitorWindowResult[]
  metrics: MonitorMetric[]
  alerts: FiredAlert[]
}

export const DEFAULT_MIN_LABELS = 100
export const MONITOR_RUN_ARTIFACT = 'monitoring/monitor-run.json'
const FEEDBACK_BATCH = 1000
const MAX_FEEDBACK_PAGES = 1000

/**
 * Evaluates a served model over windows of its captured predictions: drift of the inputs and outputs against the
 * version's reference sample, data quality against its reference profile, realized performance where feedback
 * has labels (≥ minLabels), and a CBPE estimate for classifiers; rules turn the metrics into alerts. Windows
 * stream: one window (plus one page) in memory at a time; alerts fire as each window is evaluated.
 */
export async function runMonitor(keel: Keel, options: MonitorOptions): Promise<MonitorRun> {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const analysis: MonitorAnalysis = { ...defaultAnalysis, ...options.analysis }
  const monitoring = options.monitoring ?? keel.monitoring
  if (options.from !== undefined && options.to !== undefined && options.from >= options.to) {
    throw invalidParameter(`'from' (${options.from}) must be before 'to' (${options.to}).`)
  }
  const modelUri = await resolveModelUri(keel, options.model)
  const version = await keel.resolve(modelUri)
  const reference = await analysis.loadReference(keel, modelUri)
  if (reference === undefined) {
    throw invalidParameter(
      `${modelUri} (version ${version.version}) has no reference data to monitor against: train it with keel (it saves one), or save one for an imported model with saveReferenceForVersion(keel, '${modelUri}', inputs, outputs).`,
    )
  }
  // Kinds as the sample holds them (drift compares against it), the profile's for columns the sample lacks.
  const columns = reference.profile.columns.map((c) => ({ name: c.name, kind: reference.sample.has(c.name) ? reference.sample.column(c.name).kind : c.kind }))
  const inputNames = columns.filter((c) => !isOutputColumn(c.name) && reference.sample.has(c.name)).map((c) => c.name)
  const outputNames = columns.filter((c) => isOutputColumn(c.name) && reference.sample.has(c.name)).map((c) => c.name)
  const classes = outputNames.filter((n) => n.startsWith('probability_')).map((n) => n.slice('probability_'.length))
  const task: Task = classes.length > 0 ? 'classification' : 'regression'
  const referenceInputs = reference.sample.select(inputNames)
  const referenceOutputs = reference.sample.select(outputNames)
  // CBPE is only as good as the scores' calibration: with labelled reference rows, calibrate once for every window.
  const calibration =
    task === 'classification' && reference.labels !== undefined ? analysis.calibrate(referenceOutputs, reference.labels, classes) : undefined
  const deployment = options.deployment ?? version.name
  const query: PredictionQuery = { deployment, model: version.name }
  if (options.version !== undefined) query.version = options.version
  if (options.arm !== undefined) query.arm = options.arm
  if (options.from !== undefined) query.from = options.from
  if (options.to !== undefined) query.to = options.to

  const createdAt = clock.now()
  const run: MonitorRun = {
    id: newId('monitor'),
    model: version.name,
    modelUri,
    referenceVersion: version.version,
    versions: [],
    deployment,
    task,
    windowSpec: options.window,
    createdAt,
    finishedAt: createdAt,
    referenceRows: reference.sample.rows,
    cbpeCalibrated: calibration?.calibrated === true,
    windows: [],
    metrics: [],
    alerts: [],
  }
  if (options.from !== undefined) run.from = options.from
  if (options.to !== undefined) run.to = options.to
  const tracking = options.track === false ? undefined : await startTracking(keel, run, options)
  if (tracking !== undefined) run.trackingRunId = tracking.id
  const versions = new Set<string>()
  try {
    const windowOptions: Parameters<typeof readWindows>[1] = { spec: options.window, query, columns }
    if (options.pageSize !== undefined) windowOptions.pageSize = options.pageSize
    if (options.keepIncomplete !== undefined) windowOptions.keepIncomplete = options.keepIncomplete
    if (options.maxWindows !== undefined) windowOptions.maxWindows = options.maxWindows
    for await (const window of readWindows(keel.predictions, windowOptions)) {
      const result = await analyseWindow(window, {
        analysis,
        monitoring,
        referenceInputs,
        referenceOutputs,
        profile: reference.profile,
        inputNames,
        outputNames,
        classes,
        task,
        calibration,
        drift: options.drift,
        minLabels: options.minLabels ?? DEFAULT_MIN_LABELS,
      })
      for (const v of window.versions) versions.add(v)
      run.windows.push(result)
      run.metrics.push(...result.metrics)
      tracking?.logMetrics(trackingMetrics(result.metrics), window.window.index)
      if (options.rules !== undefined && options.rules.length > 0) {
        const alertContext: Parameters<typeof evaluateRules>[2] = { store: monitoring, model: version.name, version: version.version, clock, logger }
        if (options.webhookSender !== undefined) alertContext.send = options.webhookSender
        if (options.webhook !== undefined) alertContext.webhook = options.webhook
        if (options.sleep !== undefined) alertContext.sleep = options.sleep
        if (options.onRetrain !== undefined) alertContext.onRetrain = options.onRetrain
        run.alerts.push(...(await evaluateRules(options.rules, result.metrics, alertContext)))
      }
      options.onWindow?.(result)
      logger.debug({ model: version.name, window: window.window.index, rows: window.window.rows }, 'monitor window evaluated')
    }
    run.versions = [...versions].sort(numericFirst)
    run.finishedAt = clock.now()
    if (tracking !== undefined) {
      await tracking.logArtifact({ name: 'monitor-run.json', content: JSON.stringify(run) }, 'monitoring')
      await tracking.end('FINISHED')
    }
    logger.info({ model: version.name, windows: run.windows.length, alerts: run.alerts.length }, 'monitor run finished')
    return run
  } catch (error) {
    await tracking?.end('FAILED').catch(() => {})
    throw error
  }
}

interface WindowContext {
  analysis: MonitorAnalysis
  monitoring: MonitoringStore
  referenceInputs: Frame
  referenceOutputs: Frame
  profile: DatasetProfile
  inputNames: string[]
  outputNames: string[]
  classes: string[]
  task: Task
  calibration: CbpeCalibration | undefined
  drift: MonitorDriftConfig | undefined
  minLabels: number
}

async function analyseWindow(w: PredictionWindow, ctx: WindowContext): Promise<MonitorWindowResult> {
  const metrics: MonitorMetric[] = []
  const add = (name: string, value: number): void => {
    metrics.push({ name, value, window: w.window })
  }
  add('window.rows', w.window.rows)
  const result: MonitorWindowResult = { window: w.window, versions: w.versions, quality: {}, labels: 0, metrics }

  const inputs = w.frame.select(ctx.inputNames)
  if (ctx.inputNames.length > 0 && inputs.rows > 0) {
    const drift = ctx.analysis.detectDrift(ctx.referenceInputs, inputs, ctx.drift)
    result.drift = drift
    add('drift.share', drift.share)
    add('drift.dataset', drift.drifted ? 1 : 0)
    add('drift.drifted_columns', drift.driftedColumns)
    for (const c of drift.columns) {
      add(`drift.column.${c.column}`, c.drifted ? 1 : 0)
      add(`drift.score.${c.column}`, c.score)
    }
  }
  const outputs = w.frame.select(ctx.outputNames)
  if (ctx.outputNames.length > 0 && outputs.rows > 0) {
    const drift = ctx.analysis.detectDrift(ctx.referenceOutputs, outputs, ctx.drift)
    result.outputDrift = drift
    for (const c of drift.columns) {
      add(`drift.output.${c.column}`, c.drifted ? 1 : 0)
      add(`drift.score.${c.column}`, c.score)
    }
  }

  const quality = ctx.analysis.quality(ctx.profile, w.frame)
  for (const [column, count] of Object.entries(w.typeMismatches)) {
    quality[`quality.type_mismatch.${column}`] = count / Math.max(1, w.window.rows)
  }
  // Row-level schema problems only the decoded records show (a Frame column has one kind, no extra columns).
  for (const [column, count] of Object.entries(w.unexpectedColumns)) {
    quality[`quality.unexpected_column.${column}`] = count / Math.max(1, w.window.rows)
    quality['quality.schema_violations'] = (quality['quality.schema_violations'] ?? 0) + 1
  }
  result.quality = quality
  for (const [name, value] of Object.entries(quality)) add(name, value)

  // Delayed labels: join the feedback stored so far to this window's prediction ids.
  const outcomes = await feedbackFor(ctx.monitoring, w.predictionIds)
  const labelled: number[] = []
  const labels: Array<number | string> = []
  for (let i = 0; i < w.predictionIds.length; i++) {
    const outcome = outcomes.get(w.predictionIds[i]!)
    if (outcome !== undefined) {
      labelled.push(i)
      labels.push(outcome)
    }
  }
  result.labels = labelled.length
  add('feedback.labels', labelled.length)
  add('feedback.coverage', labelled.length / Math.max(1, w.window.rows))
  if (labelled.length >= ctx.minLabels && ctx.outputNames.length > 0) {
    const performance = ctx.analysis.realized(ctx.task, outputs.take(labelled), labels, ctx.classes)
    result.performance = performance
    for (const [name, value] of Object.entries(performance)) add(`performance.${name}`, value)
  }
  if (ctx.task === 'classification' && outputs.rows > 0) {
    const estimated = ctx.analysis.estimated(outputs, ctx.classes, ctx.calibration)
    result.estimated = estimated
    for (const [name, value] of Object.entries(estimated)) add(`estimated.${name}`, value)
  }
  return result
}

async function feedbackFor(store: MonitoringStore, ids: readonly string[]): Promise<Map<string, number | string>> {
  const outcomes = new Map<string, number | string>()
  for (let start = 0; start < ids.length; start += FEEDBACK_BATCH) {
    const predictionIds = ids.slice(start, start + FEEDBACK_BATCH)
    let token: string | undefined
    for (let page = 0; page < MAX_FEEDBACK_PAGES; page++) {
      const query: Parameters<MonitoringStore['listFeedback']>[0] = { predictionIds, maxResults: FEEDBACK_BATCH }
      if (token !== undefined) query.pageToken = token
      const result = await store.listFeedback(query)
      for (const record of result.items) outcomes.set(record.predictionId, record.outcome)
      token = result.nextPageToken
      if (token === undefined || token === '') break
    }
  }
  return outcomes
}

/** A bare name means its `champion` when it has one, else its latest version. */
async function resolveModelUri(keel: Keel, model: string): Promise<string> {
  if (model.startsWith('models:/')) return model
  if (model.includes(':/')) throw invalidParameter(`--model '${model}' must be a registered model: models:/<name>@<alias>, models:/<name>/<version> or a name.`)
  const registered = await keel.registry.getRegisteredModel(model)
  return registered.aliases.some((a) => a.alias === 'champion') ? `models:/${model}@champion` : `models:/${model}/latest`
}

async function startTracking(keel: Keel, run: MonitorRun, options: MonitorOptions): Promise<ActiveRun> {
  const tracking = await keel.startRun({
    experiment: options.experiment ?? 'monitoring',
    runName: `monitor ${run.model} ${formatWindowSpec(run.windowSpec)}`,
    tags: { 'keel.monitoring.model': run.model, 'keel.monitoring.model_uri': run.modelUri, 'keel.monitoring.deployment': run.deployment },
  })
  const params: Record<string, string | number> = {
    model_uri: run.modelUri,
    reference_version: run.referenceVersion,
    deployment: run.deployment,
    window: formatWindowSpec(run.windowSpec),
    min_labels: options.minLabels ?? DEFAULT_MIN_LABELS,
    cbpe_calibrated: String(run.cbpeCalibrated),
  }
  if (run.from !== undefined) params['from'] = run.from
  if (run.to !== undefined) params['to'] = run.to
  if (options.drift?.shareThreshold !== undefined) params['drift_share_threshold'] = options.drift.shareThreshold
  await tracking.logParams(params)
  return tracking
}

/** Metric keys as tracking accepts them (column names may hold any character): the rest becomes `_`. */
export function trackingMetricKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_\-. ]/g, '_').slice(0, 250)
}

function trackingMetrics(metrics: readonly MonitorMetric[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const m of metrics) out[trackingMetricKey(m.name)] = m.value
  return out
}

function numericFirst(a: string, b: string): number {
  const x = Number(a)
  const y = Number(b)
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a.localeCompare(b)
}
