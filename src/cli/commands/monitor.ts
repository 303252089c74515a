import { Command, InvalidArgumentError } from 'commander'
import { writeFileSync } from 'node:fs'
import { Keel } from '../../client/keel.js'
import { invalidParameter } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { Frame, MISSING_CODE, numericColumn } from '../../core/frame.js'
import type { Column } from '../../core/frame.js'
import { openBatches } from '../../data/batch-reader.js'
import { readDataset } from '../../data/read-dataset.js'
import { saveReferenceForVersion } from '../../monitoring/reference.js'
import { loadScoringModel } from '../../scoring/scoring-model.js'
import type { Scores, ScoringModel } from '../../scoring/scoring-model.js'
import { runMonitor } from '../../monitoring/monitor.js'
import type { MonitorOptions, MonitorRun } from '../../monitoring/monitor.js'
import { parseTime, readMonitorConfig, readRules } from '../../monitoring/monitor-config.js'
import type { MonitorConfig } from '../../monitoring/monitor-config.js'
import { renderHtmlReport, reportJson } from '../../monitoring/report/index.js'
import type { FeedbackRecord } from '../../monitoring/types.js'
import { parseWindowSpec } from '../../monitoring/windows.js'
import { LocalExecutor } from '../../pipelines/local-executor.js'
import { PipelineEngine } from '../../pipelines/run-engine.js'
import { PipelineScheduler } from '../../pipelines/scheduler.js'
import { StepRegistry } from '../../pipelines/step-registry.js'
import { builtInSteps } from '../../pipelines/steps/index.js'
import { examples, parseDuration, positiveInt, resolveOpenOptions, resolveStoreUri, withStoreOptions } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { formatTime, Output } from '../output.js'
import { loadPipelines } from './pipeline.js'

interface RunOptions extends StoreOptions {
  model?: string
  window?: string
  config?: string
  deployment?: string
  version?: string
  from?: string
  to?: string
  rules?: string
  shareThreshold?: number
  minLabels?: number
  track?: boolean
}

/** The server's batch limit for feedback (POST /api/keel/v1/feedback takes at most 10,000). */
const MAX_FEEDBACK_BATCH = 10_000

/**
 * `keel monitor`: evaluate served models over windows of their captured predictions (drift, data quality,
 * performance), on demand (`run`, `report`) or on a schedule (`watch`); list alerts; load delayed labels.
 */
export function monitorCommand(ctx: CommandContext): Command {
  const command = new Command('monitor').description('watch served models: drift, data quality, performance with delayed labels, alerts')
  command.addCommand(runCommand(ctx))
  command.addCommand(watchCommand(ctx))
  command.addCommand(alertsCommand(ctx))
  command.addCommand(feedbackCommand(ctx))
  command.addCommand(reportCommand(ctx))
  command.addCommand(referenceCommand(ctx))
  return examples(command, [
    'keel monitor run --model models:/fraud@champion --window 1h --from 2025-01-01 --to 2025-01-02',
    'keel monitor run --config monitor.yaml --json',
    'keel monitor watch --config monitor.yaml --every 5m',
    'keel monitor feedback --file labels.csv',
    'keel monitor alerts --model fraud',
    'keel monitor report --model models:/fraud@champion --window 5000rows --out report.html',
    'keel monitor reference models:/fraud/3 --data holdout.csv --label is_fraud',
  ])
}

function runOptions(command: Command): Command {
  return command
    .option('--model <uri>', 'the model: models:/<name>@<alias>, models:/<name>/<version> or a name (its champion)')
    .option('--window <size>', 'window: a duration (30m, 1h, 1d) or a row count (5000rows)')
    .option('--config <file>', 'a monitor config (YAML or JSON): model, window, drift, rules; flags override it')
    .option('--deployment <name>', 'the deployment whose predictions to read (default: the model name)')
    .option('--version <version>', 'only predictions answered by this version')
    .option('--from <time>', 'start, inclusive: ISO 8601 (2025-01-01T00:00:00Z) or epoch ms')
    .option('--to <time>', 'end, exclusive: ISO 8601 or epoch ms')
    .option('--rules <file>', 'alert rules (YAML/JSON list) instead of the config\'s')
    .option('--share-threshold <share>', 'dataset drift when this share of features drifted (default 0.5)', shareValue)
    .option('--min-labels <n>', 'labels a window needs before performance.* is reported (default 100)', positiveInt)
    .option('--no-track', 'do not log the run to the monitoring experiment')
}

function runCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(runOptions(new Command('run').description('evaluate windows of captured predictions now; fire alert rules')))
  examples(command, [
    'keel monitor run --model models:/fraud@champion --window 1h --from 2025-01-01 --to 2025-01-02',
    'keel monitor run --model fraud --window 20000rows --rules rules.yaml --json',
  ])
  return command.action(async (options: RunOptions) => {
    const config = monitorConfig(options, ctx)
    await withKeel(ctx, options, async (keel, out) => {
      const run = await runMonitor(keel, monitorOptions(config, options, ctx))
      printRun(run, out)
    })
  })
}

function watchCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('watch')
      .description('run the monitor on a schedule: each run reads the windows completed since the last')
      .requiredOption('--config <file>', 'the monitor config (YAML or JSON)')
      .option('--every <duration>', 'time between runs (default 60s)', parseDuration, 60_000)
      .option('--max-runs <n>', 'stop after this many runs (default: until interrupted)', positiveInt)
      .option('--pipelines <file>', 'pipeline module: an alert\'s retrain action starts the named pipeline (triggers: monitoring.retrain) in this process'),
  )
  examples(command, ['keel monitor watch --config monitor.yaml --every 5m', 'keel monitor watch --config monitor.yaml --pipelines examples/fraud/pipelines.ts'])
  command.addHelpText(
    'after',
    '\nTime windows: each run evaluates the windows that ended since the previous run (the first run: the last\n' +
      'complete window, or from `lookback`/`from` in the config). Count windows: only complete windows; the\n' +
      'partial tail is read again next time.\n',
  )
  return command.action(async (options: StoreOptions & { config: string; every: number; maxRuns?: number; pipelines?: string }) => {
    if (options.every < 1) throw new InvalidArgumentError('--every must be positive.')
    const config = readMonitorConfig(options.config, ctx.io.env)
    await withKeel(ctx, options, async (keel, out) => {
      const retrain = options.pipelines === undefined ? undefined : await retrainConsumer(keel, options.pipelines, ctx, out)
      const spec = config.window
      const now = Date.now()
      // First run: the last complete time window (or `lookback`), for count windows the last day.
      let from = config.from ?? (config.lookbackMs !== undefined ? now - config.lookbackMs : spec.kind === 'time' ? Math.floor(now / spec.size) * spec.size - spec.size : now - 86_400_000)
      const maxRuns = options.maxRuns ?? Number.POSITIVE_INFINITY
      for (let i = 0; i < maxRuns; i++) {
        const at = Date.now()
        const to = spec.kind === 'time' ? Math.floor(at / spec.size) * spec.size : at
        if (to > from) {
          const run = await runMonitor(keel, { ...monitorOptions(config, {}, ctx), from, to, keepIncomplete: false, ...(retrain === undefined ? {} : { onRetrain: retrain.onRetrain }) })
          out.note(`${formatTime(at)}  ${run.windows.length} window(s), ${run.alerts.length} alert(s)`)
          for (const alert of run.alerts) out.note(`  alert ${alert.rule}: ${alert.metric} = ${alert.value} (window ${alert.window.index})`)
          const last = run.windows[run.windows.length - 1]
          if (spec.kind === 'time') from = to
          else if (last !== undefined) from = last.window.to
        }
        if (i + 1 < maxRuns) await new Promise((resolve) => setTimeout(resolve, options.every))
      }
      await retrain?.close()
    })
  })
}

/** `--pipelines`: retrain events start pipelines in this process; `close` waits for them, then stops the engine. */
async function retrainConsumer(keel: Keel, file: string, ctx: CommandContext, out: Output): Promise<{ onRetrain: NonNullable<MonitorOptions['onRetrain']>; close: () => Promise<void> }> {
  const registry = builtInSteps(new StepRegistry())
  const definitions = [...(await loadPipelines(file, registry, ctx.io)).values()]
  const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry))
  const runs: string[] = []
  const scheduler = new PipelineScheduler(engine, definitions, {
    store: keel.pipelines,
    onStart: (start) => {
      if (start.runId !== undefined) runs.push(start.runId)
      out.note(`  ${start.runId === undefined ? `retrain of ${start.pipeline} skipped: ${start.skipped ?? ''}` : `retrain: pipeline ${start.pipeline} run ${start.runId} started`}`)
    },
  })
  return {
    onRetrain: async (event) => void (await scheduler.onEvent(event)),
    close: async () => {
      await scheduler.stop()
      for (const id of runs) {
        const run = await engine.wait(id)
        out.note(`  pipeline ${run.pipeline} run ${run.id}: ${run.status}`)
        if (run.status !== 'succeeded') ctx.exitCode = 1
      }
      await engine.close()
    },
  }
}

function alertsCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('alerts')
      .description('list fired alerts, in the order they fired')
      .option('--model <name>', 'only this registered model')
      .option('--rule <name>', 'only this rule')
      .option('--from <time>', 'fired at or after (ISO 8601 or epoch ms)')
      .option('--to <time>', 'fired before')
      .option('--max-results <n>', 'at most this many (default 100)', positiveInt, 100),
  )
  examples(command, ['keel monitor alerts --model fraud', 'keel monitor alerts --rule dataset-drift --from 2025-01-01 --json'])
  return command.action(async (options: StoreOptions & { model?: string; rule?: string; from?: string; to?: string; maxResults: number }) => {
    await withKeel(ctx, options, async (keel, out) => {
      const query: Parameters<Keel['monitoring']['listAlerts']>[0] = { maxResults: options.maxResults }
      if (options.model !== undefined) query.model = options.model
      if (options.rule !== undefined) query.rule = options.rule
      if (options.from !== undefined) query.from = parseTime(options.from, '--from')
      if (options.to !== undefined) query.to = parseTime(options.to, '--to')
      const page = await keel.monitoring.listAlerts(query)
      if (out.json) {
        out.printJson({ alerts: page.items, ...(page.nextPageToken === undefined ? {} : { next_page_token: page.nextPageToken }) })
        return
      }
      out.table(
        ['fired', 'rule', 'model', 'version', 'severity', 'metric', 'value', 'threshold', 'window'],
        page.items.map((a) => [formatTime(a.firedAt), a.rule, a.model, a.version, a.severity, a.metric, a.value, a.threshold, `${a.window.index} (${a.window.rows} rows)`]),
        '(no alerts)',
      )
    })
  })
}

function feedbackCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('feedback')
      .description('load true outcomes (delayed labels) for served predictions from a file')
      .requiredOption('--file <file>', 'CSV/TSV/JSON Lines/Parquet with columns prediction_id and outcome')
      .option('--batch-size <n>', `labels sent per request (default 1000, at most ${MAX_FEEDBACK_BATCH})`, positiveInt, 1000),
  )
  examples(command, ['keel monitor feedback --file labels.csv', 'keel monitor feedback --file labels.jsonl --store http://keel:5000'])
  command.addHelpText('after', '\nEach batch is stored in one transaction; ids already labelled with the same outcome are counted as\nduplicates and ignored, so re-running a file is safe.\n')
  return command.action(async (options: StoreOptions & { file: string; batchSize: number }) => {
    if (options.batchSize > MAX_FEEDBACK_BATCH) throw new InvalidArgumentError(`--batch-size is at most ${MAX_FEEDBACK_BATCH}.`)
    await withKeel(ctx, options, async (keel, out) => {
      const source = await openBatches(options.file, { batchRows: options.batchSize, schema: { prediction_id: 'category' } })
      for (const name of ['prediction_id', 'outcome']) {
        if (!source.columns.includes(name)) throw invalidParameter(`'${options.file}' has no column '${name}'; it needs prediction_id and outcome (has ${source.columns.slice(0, 10).join(', ')}).`)
      }
      let accepted = 0
      let duplicates = 0
      let row = 0
      for await (const batch of source.batches()) {
        const receivedAt = Date.now()
        const records: FeedbackRecord[] = []
        for (let i = 0; i < batch.rows; i++, row++) {
          const id = batch.row(i)
          const predictionId = id['prediction_id']
          const outcome = id['outcome']
          if (predictionId === null || predictionId === undefined || outcome === null || outcome === undefined) {
            throw invalidParameter(`'${options.file}' row ${row + 1}: prediction_id and outcome are both required.`)
          }
          records.push({ predictionId: String(predictionId), outcome, receivedAt })
        }
        if (records.length === 0) continue
        const result = await keel.monitoring.appendFeedback(records)
        accepted += result.accepted
        duplicates += result.duplicates
      }
      if (out.json) out.printJson({ accepted, duplicates })
      else out.line(`${accepted} label(s) stored, ${duplicates} duplicate(s) ignored`)
    })
  })
}

function reportCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    runOptions(new Command('report').description('run the monitor and write a self-contained HTML report (or JSON for a .json --out)')).requiredOption(
      '--out <file>',
      'report.html (self-contained, works offline) or report.json',
    ),
    { json: false },
  )
  examples(command, ['keel monitor report --model models:/fraud@champion --window 1h --from 2025-01-01 --to 2025-01-02 --out report.html'])
  return command.action(async (options: RunOptions & { out: string }) => {
    const config = monitorConfig(options, ctx)
    await withKeel(ctx, options, async (keel, out) => {
      const run = await runMonitor(keel, monitorOptions(config, options, ctx))
      const text = /\.json$/i.test(options.out) ? `${JSON.stringify(reportJson(run), null, 2)}\n` : renderHtmlReport(run)
      writeFileSync(options.out, text)
      out.line(`${run.windows.length} window(s), ${run.alerts.length} alert(s); report written to ${options.out}`)
    })
  })
}

function referenceCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('reference')
      .description('store reference data for a version keel did not train (imports): rows it did not train on, scored by it')
      .argument('<model-uri>', 'the version: models:/<name>/<version> or models:/<name>@<alias>')
      .requiredOption('--data <file>', 'CSV/TSV/JSON Lines/Parquet with the model\'s input columns (a holdout, not training rows)')
      .option('--label <column>', 'the true outcome column: stored with the sample so CBPE can calibrate on it'),
  )
  examples(command, ['keel monitor reference models:/fraud/3 --data holdout.csv --label is_fraud'])
  return command.action(async (modelUri: string, options: StoreOptions & { data: string; label?: string }) => {
    await withKeel(ctx, options, async (keel, out) => {
      const model = await loadScoringModel(keel, modelUri)
      try {
        const frame = await readDataset(options.data, { schema: model.schema })
        for (const name of [...model.inputs, ...(options.label === undefined ? [] : [options.label])]) {
          if (!frame.has(name)) throw invalidParameter(`'${options.data}' has no column '${name}' (has ${frame.names.slice(0, 10).join(', ')}).`)
        }
        const inputs = frame.select(model.inputs)
        const outputs = scoredOutputs(model, await model.score(inputs), inputs.rows)
        const saved = await saveReferenceForVersion(keel, modelUri, inputs, outputs, options.label === undefined ? {} : { labels: frame.column(options.label) })
        const summary = { model: modelUri, rows: saved.profiledRows, sample_rows: saved.sampleRows, labelled: options.label !== undefined, profile: saved.profilePath, sample: saved.samplePath }
        if (out.json) out.printJson(summary)
        else out.line(`reference of ${modelUri}: ${saved.profiledRows} row(s) profiled, ${saved.sampleRows} sampled${options.label === undefined ? '' : ` with labels from '${options.label}'`}`)
      } finally {
        await model.close()
      }
    })
  })
}

/** The model's outputs as capture stores them: `prediction` (class label or number) and `probability_<class>`. */
function scoredOutputs(model: ScoringModel, scores: Scores, rows: number): Frame {
  if ((scores.width ?? 1) > 1) throw invalidParameter(`${model.kind} gives ${scores.width} outputs per row; keel monitors single-output models only.`)
  if (scores.proba === undefined) return new Frame([numericColumn('prediction', scores.prediction)])
  const k = Math.round(scores.proba.length / Math.max(rows, 1))
  const classes = model.classes ?? Array.from({ length: k }, (_, c) => String(c))
  const codes = new Int32Array(rows)
  for (let i = 0; i < rows; i++) {
    const c = scores.prediction[i]!
    codes[i] = Number.isInteger(c) && c >= 0 && c < classes.length ? c : MISSING_CODE
  }
  const columns: Column[] = [{ kind: 'categorical', name: 'prediction', codes, categories: classes }]
  for (let c = 0; c < classes.length; c++) {
    const values = new Float64Array(rows)
    for (let i = 0; i < rows; i++) values[i] = scores.proba[i * classes.length + c]!
    columns.push(numericColumn(`probability_${classes[c]!}`, values))
  }
  return new Frame(columns)
}

/** The config file (if any) with the flags laid over it; a missing model or window is a clear usage error. */
function monitorConfig(options: RunOptions, ctx: CommandContext): MonitorConfig {
  const base: Partial<MonitorConfig> = options.config === undefined ? {} : readMonitorConfig(options.config, ctx.io.env)
  const model = options.model ?? base.model
  const window = options.window !== undefined ? parseWindowSpec(options.window) : base.window
  if (model === undefined) throw new InvalidArgumentError('--model is required (or a --config naming the model).')
  if (window === undefined) throw new InvalidArgumentError('--window is required (e.g. 1h or 5000rows), or a --config with a window.')
  const config: MonitorConfig = { ...base, model, window, rules: options.rules !== undefined ? readRules(options.rules, ctx.io.env) : (base.rules ?? []) }
  if (options.deployment !== undefined) config.deployment = options.deployment
  if (options.version !== undefined) config.version = options.version
  if (options.from !== undefined) config.from = parseTime(options.from, '--from')
  if (options.to !== undefined) config.to = parseTime(options.to, '--to')
  if (options.shareThreshold !== undefined) config.drift = { ...config.drift, shareThreshold: options.shareThreshold }
  if (options.minLabels !== undefined) config.minLabels = options.minLabels
  return config
}

function monitorOptions(config: MonitorConfig, flags: Pick<RunOptions, 'track'>, ctx: CommandContext): MonitorOptions {
  const options: MonitorOptions = { model: config.model, window: config.window, rules: config.rules, logger: stderrLogger(ctx) }
  if (config.deployment !== undefined) options.deployment = config.deployment
  if (config.version !== undefined) options.version = config.version
  if (config.from !== undefined) options.from = config.from
  if (config.to !== undefined) options.to = config.to
  if (config.drift !== undefined) options.drift = config.drift
  if (config.minLabels !== undefined) options.minLabels = config.minLabels
  if (flags.track === false) options.track = false
  return options
}

function printRun(run: MonitorRun, out: Output): void {
  if (out.json) {
    out.printJson(run)
    return
  }
  out.fields([
    ['model', `${run.modelUri} (reference: version ${run.referenceVersion})`],
    ['deployment', run.deployment],
    ['versions seen', run.versions.join(', ') || '-'],
    ['tracking run', run.trackingRunId],
  ])
  out.section('Windows')
  out.table(
    ['window', 'from', 'to', 'rows', 'drift share', 'drifted features', 'labels', 'performance', 'estimated'],
    run.windows.map((w) => [
      w.window.index,
      formatTime(w.window.from),
      formatTime(w.window.to),
      w.window.rows,
      w.drift === undefined ? null : round(w.drift.share),
      w.drift === undefined ? null : w.drift.columns.filter((c) => c.drifted).map((c) => c.column).join(', ') || '-',
      w.labels,
      headline(w.performance),
      headline(w.estimated),
    ]),
    '(no predictions in range)',
  )
  out.section('Alerts')
  out.table(
    ['rule', 'severity', 'metric', 'value', 'threshold', 'window', 'actions'],
    run.alerts.map((a) => [a.rule, a.severity, a.metric, round(a.value), a.threshold, a.window.index, a.actions.map(actionText).join('; ') || '-']),
    '(none fired)',
  )
}

function headline(metrics: Record<string, number> | undefined): string | null {
  if (metrics === undefined) return null
  for (const key of ['roc_auc', 'rmse', 'accuracy']) if (metrics[key] !== undefined) return `${key} ${round(metrics[key])}`
  return null
}

function actionText(action: MonitorRun['alerts'][number]['actions'][number]): string {
  if (action.kind === 'retrain') return `retrain ${action.pipeline}: ${action.emitted ? 'requested' : (action.error ?? 'not emitted')}`
  return `webhook ${action.delivered ? 'delivered' : `failed (${action.error ?? ''})`} after ${action.attempts} attempt(s)`
}

function round(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 10_000) / 10_000 : value
}

function shareValue(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a share between 0 and 1.')
  return n
}

/** Alerts and retries reach the person running the command on stderr; debug detail stays silent. */
function stderrLogger(ctx: CommandContext): Logger {
  const write = (level: string) => (obj: object, msg?: string) => {
    ctx.io.stderr.write(`[${level}] ${msg ?? ''} ${JSON.stringify(obj)}\n`)
  }
  return { debug: () => {}, info: () => {}, warn: write('warn'), error: write('error') }
}

async function withKeel(ctx: CommandContext, options: StoreOptions, fn: (keel: Keel, out: Output) => Promise<void>): Promise<void> {
  const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
  try {
    await fn(keel, new Output(ctx.io, options.json === true))
  } finally {
    await keel.close()
  }
}
