import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { renderHtmlReport } from '../../monitoring/report/html-report.js'
import { runMonitor } from '../../monitoring/monitor.js'
import type { MonitorOptions } from '../../monitoring/monitor.js'
import { loadScoringModel } from '../../scoring/scoring-model.js'
import { scoreFile } from '../../scoring/score-file.js'
import type { StepKind, StepValue } from '../types.js'
import { badInput, datasetInput, fileDigest, fileUri, localPath, logToStepRun, modelInput, objectInput } from './step-values.js'

/**
 * `keel.batch-score`: `scoreFile` over a dataset with a model; `output` is the CSV path, or `{ path, keep?: [id
 * columns], batchRows? }`. Outputs the scores file by reference (path + sha256). scoreFile writes `<path>.partial`
 * and renames, so a crashed attempt never leaves a file that looks complete.
 */
export const batchScoreStep: StepKind = {
  name: 'keel.batch-score',
  version: '1',
  inputs: { model: 'model', dataset: 'dataset', output: 'json' },
  outputs: { scores: 'artifact', rows: 'number' },
  async run(context) {
    const model = modelInput(context, 'model')
    const dataset = datasetInput(context, 'dataset')
    const raw = context.inputs['output']
    const spec: Record<string, StepValue> = typeof raw === 'string' ? { path: raw } : objectInput(context, 'output')
    if (typeof spec['path'] !== 'string') throw badInput(context, 'output', 'needs a path (a string, or { path, keep?, batchRows? }).')
    const keep = Array.isArray(spec['keep']) ? spec['keep'].filter((c): c is string => typeof c === 'string') : []
    const output = localPath(spec['path'])
    await mkdir(dirname(output), { recursive: true })
    const scoring = await loadScoringModel(context.keel, model.uri)
    try {
      const result = await scoreFile(scoring, {
        input: localPath(dataset.uri),
        output,
        keep,
        ...(typeof spec['batchRows'] === 'number' ? { batchRows: spec['batchRows'] } : {}),
      })
      await logToStepRun(context, { metrics: { rows: result.rows, read_ms: result.readMs, score_ms: result.scoreMs } })
      return { scores: { uri: fileUri(output), digest: await fileDigest(output) }, rows: result.rows }
    } finally {
      await scoring.close()
    }
  },
}

/** The MonitorOptions a pipeline can give as JSON (functions and stores are the step's own). */
const MONITOR_FIELDS = ['model', 'deployment', 'version', 'arm', 'window', 'from', 'to', 'drift', 'minLabels', 'rules', 'keepIncomplete', 'maxWindows', 'pageSize', 'experiment'] as const

/**
 * `keel.monitor-report`: `runMonitor` over a deployment's captured predictions, then its HTML report written to
 * `output`. Outputs the report by reference, the alerts fired, the last window's drift share and `retrain`
 * (whether an alert fired: a `when` for a retraining branch).
 */
export const monitorReportStep: StepKind = {
  name: 'keel.monitor-report',
  version: '1',
  inputs: { options: 'json', output: 'string' },
  outputs: { report: 'artifact', alerts: 'json', driftShare: 'number', retrain: 'boolean' },
  async run(context) {
    const given = objectInput(context, 'options')
    for (const key of Object.keys(given)) {
      if (!(MONITOR_FIELDS as readonly string[]).includes(key)) throw badInput(context, 'options', `has '${key}', which a pipeline cannot set; use ${MONITOR_FIELDS.join(', ')}.`)
    }
    if (typeof given['model'] !== 'string' || given['window'] === undefined) throw badInput(context, 'options', 'needs model (a model URI or name) and window (e.g. { kind: "count", size: 8000 }).')
    const options = { ...given, logger: context.log } as unknown as MonitorOptions
    const run = await runMonitor(context.keel, options)
    const output = localPath(String(context.inputs['output']))
    await mkdir(dirname(output), { recursive: true })
    await writeFile(`${output}.partial`, renderHtmlReport(run))
    await rename(`${output}.partial`, output)
    const last = run.windows.at(-1)
    const driftShare = last?.drift?.share ?? 0
    const alerts: StepValue = run.alerts.map((a) => ({ rule: a.rule, severity: a.severity, metric: a.metric, value: a.value, threshold: a.threshold, version: a.version, firedAt: a.firedAt }))
    await logToStepRun(context, {
      metrics: { windows: run.windows.length, alerts: run.alerts.length, drift_share: driftShare },
      ...(run.trackingRunId === undefined ? {} : { tags: { 'keel.monitor.run_id': run.trackingRunId } }),
    })
    return { report: { uri: fileUri(output), digest: await fileDigest(output) }, alerts, driftShare, retrain: run.alerts.length > 0 }
  },
}
