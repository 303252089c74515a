/**
 * The main job's serving and monitoring step: serve the champion in-process with prediction capture, replay a
 * stream of transactions (one request each, printing throughput and latency as it goes) that drifts part-way (amounts ×3 and distances ×5 in the second half), post the true labels
 * later to the server that answered, run the monitor over two count windows, and end with the alert it raised
 * and the path of its HTML report.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { createServingApp, openDeployment, PredictionCapture, renderHtmlReport, runMonitor } from 'keel'
import type { Keel, RetrainEvent } from 'keel'
import { FEATURES, generateFraudData } from './data.js'
import { replay } from './replay.js'
import type { FraudData } from './data.js'

const PHASE_ROWS = 8_000
const DRIFTED = ['amount', 'distance_km']

/** A copy of `data` as the world looks after the change: bigger amounts, cards used much further from home. */
function drifted(data: FraudData): FraudData {
  const x = data.x.slice()
  const width = FEATURES.length
  const amount = FEATURES.indexOf('amount')
  const distance = FEATURES.indexOf('distance_km')
  for (let i = 0; i < data.rows; i++) {
    x[i * width + amount] = Math.round(x[i * width + amount]! * 300) / 100
    x[i * width + distance] = Math.round(x[i * width + distance]! * 50) / 10
  }
  return { ...data, x }
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = (await res.json()) as Record<string, unknown>
  if (!res.ok) throw new Error(`POST ${url} → ${res.status}: ${JSON.stringify(json)}`)
  return json
}

/** Returns the report's path. */
export async function monitorFraud(keel: Keel, reportDir: string, onRetrain?: (event: RetrainEvent) => void): Promise<string> {
  const t0 = performance.now()
  const deployment = await openDeployment(keel, { name: 'fraud' }, { pollMs: 0 })
  const version = deployment.champion().version
  const capture = new PredictionCapture(keel.predictions, { maxBuffered: 2 * PHASE_ROWS })
  const app = await createServingApp({ deployments: [deployment], capture, monitoring: keel.monitoring })
  try {
    const base = await app.listen(0, '127.0.0.1')
    const phases = [generateFraudData(PHASE_ROWS, 101), drifted(generateFraudData(PHASE_ROWS, 102))]
    const labels: Array<{ prediction_id: string; outcome: string }> = []
    for (const [phase, data] of phases.entries()) {
      const ids = await replay(base, data, { label: phase === 0 ? 'serve' : 'serve drift' })
      ids.forEach((id, r) => labels.push({ prediction_id: id, outcome: String(data.y[r]) }))
      // Count windows cut in (timestamp, id) order: keep the two halves in distinct milliseconds.
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    // The chargebacks come in later: true labels for every transaction, posted to the server that answered.
    for (let start = 0; start < labels.length; start += 5_000) await postJson(`${base}/feedback`, { feedback: labels.slice(start, start + 5_000) })
    console.log(
      `stream     ${labels.length.toLocaleString()} transactions served by fraud v${version} on ${base} (the second half with ${DRIFTED.join(' and ')} drifted), ` +
        `${labels.length.toLocaleString()} delayed labels posted`,
    )
  } finally {
    await app.close()
    await capture.close()
    await deployment.close()
  }

  const run = await runMonitor(keel, {
    model: `models:/fraud/${version}`,
    version,
    window: { kind: 'count', size: PHASE_ROWS },
    drift: { shareThreshold: 0.25 },
    // Rerunning the example within a minute shows the cooldown instead of a second alert.
    rules: [
      {
        name: 'fraud-input-drift',
        metric: 'drift.share',
        comparison: '>=',
        threshold: 0.25,
        severity: 'critical',
        cooldownMs: 60_000,
        // Firing emits a `monitoring.retrain` event for the `retraining` pipeline (examples/fraud/pipelines.ts).
        actions: [{ kind: 'retrain', pipeline: 'retraining' }],
      },
    ],
    ...(onRetrain === undefined ? {} : { onRetrain }),
  })
  for (const w of run.windows) {
    const drifted = w.drift?.columns.filter((c) => c.drifted).map((c) => c.column) ?? []
    const auc = w.performance?.['roc_auc']
    const estimated = w.estimated?.['roc_auc']
    console.log(
      `monitor    window #${w.window.index}: ${w.window.rows.toLocaleString()} rows, drift share ${(w.drift?.share ?? 0).toFixed(3)}` +
        `${drifted.length > 0 ? ` (${drifted.join(', ')})` : ''}, ROC AUC ${auc?.toFixed(4) ?? '—'} realized / ${estimated?.toFixed(4) ?? '—'} estimated`,
    )
  }
  const alert = run.alerts[0] ?? (await keel.monitoring.lastAlert('fraud-input-drift', 'fraud'))
  if (alert === undefined) console.log('alert      none fired')
  else {
    const note = run.alerts.length === 0 ? ' (held by the 1-minute cooldown: this is the last one)' : ''
    console.log(
      `alert      ${alert.severity} ${alert.rule}: ${alert.metric} = ${alert.value.toFixed(3)} ≥ ${alert.threshold} in window #${alert.window.index}, ` +
        `fraud v${alert.version}, ${new Date(alert.firedAt).toISOString()}${note}`,
    )
  }
  mkdirSync(reportDir, { recursive: true })
  const reportPath = join(reportDir, `fraud-v${version}-monitor.html`)
  writeFileSync(reportPath, renderHtmlReport(run))
  console.log(`report     ${relative(process.cwd(), reportPath)} (${((performance.now() - t0) / 1000).toFixed(1)} s for serving, labels and the monitor)`)
  return reportPath
}
