/**
 * keel's main job: make a deterministic fraud data set, train a champion (gradient-boosted trees) and a
 * challenger (logistic regression on standardised features) through keel's training API — each one tracked
 * run with params, metrics, the dataset digest, the feature pipeline, the model and its global feature
 * importances — register both with lineage, point the `champion` and `challenger` aliases at them, explain
 * one held-out transaction with exact TreeSHAP, and score a file of new transactions with `keel predict`.
 * Runs on the embedded store (SQLite + files under ./.keel).
 *
 *   npm run example              # or: KEEL_STORE=http://127.0.0.1:5000 npm run example
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { explainRows, Keel, loadGlobalImportance, train } from 'keel'
import type { RetrainEvent, TrainingProgress, TrainingSpecInput } from 'keel'
import { generateFraudData, toCsv, transaction } from './data.js'
import { monitorFraud } from './monitor.js'
import { retrainOnAlert } from './pipelines.js'

const storeUri = process.env['KEEL_STORE'] ?? 'sqlite:.keel/keel.db'
const rows = Number(process.env['FRAUD_ROWS'] ?? 50_000)
const keelBin = fileURLToPath(new URL('../../bin/keel.js', import.meta.url))
const started = performance.now()
const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(1)} s`

const data = generateFraudData(rows, 42)
const dataDir = resolve('.keel/data')
mkdirSync(dataDir, { recursive: true })
const dataPath = join(dataDir, 'fraud.csv')
writeFileSync(dataPath, toCsv(data))
console.log(`data       ${rows.toLocaleString()} transactions, ${((data.y.reduce((a, b) => a + b, 0) / rows) * 100).toFixed(2)}% fraud → ${dataPath}`)

/** What both models share: the data, the target, the holdout, the model name. */
const common = {
  experiment: 'fraud-detection',
  seed: 42,
  data: { path: dataPath, name: 'fraud-synthetic' },
  target: 'is_fraud',
  task: 'classification',
  evaluation: { testFraction: 0.2, stratified: true },
  tags: { team: 'risk' },
} satisfies Partial<TrainingSpecInput>

// Trees need no scaling: the champion reads the raw columns.
const champion: TrainingSpecInput = {
  ...common,
  runName: 'champion-gbdt',
  algorithm: { name: 'gbdt', params: { nRounds: 100, maxLeaves: 31, learningRate: 0.1 } },
  register: { name: 'fraud', alias: 'champion' },
}

const challenger: TrainingSpecInput = {
  ...common,
  runName: 'challenger-logistic',
  features: { steps: [{ type: 'standardScale', columns: { kind: 'numeric' } }] },
  algorithm: { name: 'logistic', params: { C: 1, maxIter: 200 } },
  register: { name: 'fraud', alias: 'challenger' },
}

const progress = (label: string) => (e: TrainingProgress): void => {
  if (e.stage !== 'read' && e.stage !== 'fit') return
  if (e.done === undefined) console.log(`${label.padEnd(11)}${e.stage}: ${e.message}`)
}

const keel = await Keel.open(storeUri)
try {
  const results = []
  for (const [label, spec] of [['champion', champion], ['challenger', challenger]] as const) {
    const t0 = performance.now()
    const result = await train(spec, { keel, progress: progress(label) })
    const m = result.metrics
    console.log(
      `${label.padEnd(11)}run ${result.runId}: ROC AUC ${m['roc_auc']?.toFixed(4)}, PR AUC ${m['pr_auc']?.toFixed(4)}, log loss ${m['log_loss']?.toFixed(4)} ` +
        `→ fraud version ${result.version?.version} @${label} (${seconds(t0)})`,
    )
    results.push(result)
  }

  // What the version carries: the importances train() computed over the holdout and stored in model/.
  const importance = await loadGlobalImportance(keel, 'models:/fraud@champion')
  const top = importance.features.slice(0, 5).map((f) => `${f.feature} ${f.importance.toFixed(3)}`)
  console.log(`importance ${top.join(', ')} (${importance.unit}, ${importance.rows.toLocaleString()} holdout rows)`)

  // New transactions the model never saw (another seed), as a service would receive them.
  const fresh = generateFraudData(5_000, 7)
  const fraudIndex = Math.max(0, fresh.y.findIndex((y) => y === 1))
  const tx = transaction(fresh, fraudIndex)
  const [explained] = (await explainRows(keel, 'models:/fraud@champion', [tx])).rows
  const e = explained![0]!
  const top3 = e.contributions.slice(0, 3).map((c) => `${c.feature}=${tx[c.feature]} ${c.value >= 0 ? '+' : ''}${c.value.toFixed(3)}`)
  const contributed = e.contributions.reduce((s, c) => s + c.value, 0)
  console.log(`explain    tx-${fraudIndex + 1} (actually fraud): log-odds ${e.sum.toFixed(3)} = base ${e.baseValue.toFixed(3)} + contributions ${contributed.toFixed(3)}; top: ${top3.join(', ')}`)
  console.log(
    `           sum check: |base + Σ − model log-odds| = ${Math.abs(e.sum - e.modelValue).toExponential(1)}, P(fraud) ${(1 / (1 + Math.exp(-e.modelValue))).toFixed(4)}`,
  )

  // Batch scoring through the real CLI, as a scheduled job would run it.
  const holdoutPath = join(dataDir, 'holdout.csv')
  const scoresPath = join(dataDir, 'holdout-scores.csv')
  writeFileSync(holdoutPath, toCsv(fresh, { unlabelled: true }))
  const t1 = performance.now()
  const predictArgs = ['predict', '--model', 'models:/fraud@champion', '--input', holdoutPath, '--output', scoresPath, '--keep', 'id', '--store', storeUri, '--json']
  let printed: string
  try {
    printed = execFileSync(process.execPath, [keelBin, ...predictArgs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim()
    throw new Error(`keel ${predictArgs.join(' ')} failed${stderr === '' ? '' : `: ${stderr}`}`)
  }
  const scored = JSON.parse(printed) as { rows: number; output: string; columns: string[] }
  console.log(`predict    ${scored.rows.toLocaleString()} held-out rows scored by keel predict → ${relative(process.cwd(), scored.output)} (${scored.columns.join(', ')}; ${seconds(t1)})`)
  // Production: serve, drift part-way, delayed labels, the monitor's alert and its HTML report.
  let retrainEvent: RetrainEvent | undefined
  const reportPath = await monitorFraud(keel, resolve('.keel/reports'), (event) => {
    retrainEvent = event
  })

  // The drift alert's retrain action emitted a `monitoring.retrain` event: it starts the `retraining` pipeline
  // (examples/fraud/pipelines.ts) on fresh labelled data, which promotes the new version only if it beats the
  // champion on that data.
  let retrainRun: string | undefined
  if (retrainEvent === undefined) {
    console.log('retrain    no retrain event this time (the alert is inside its cooldown)')
  } else {
    const t2 = performance.now()
    const retrain = await retrainOnAlert(keel, retrainEvent, { dataDir })
    retrainRun = retrain.run.id
    const gate = retrain.steps.find((s) => s.step === 'gate')?.outputs?.['gate'] as { passed?: boolean; reasons?: string[] } | undefined
    console.log(`retrain    ${retrainEvent.type} → pipeline '${retrainEvent.pipeline}' run ${retrain.run.id}: ${retrain.run.status} (${seconds(t2)})`)
    console.log(retrain.table.split('\n').map((line) => `           ${line}`).join('\n'))
    const version = retrain.steps.find((s) => s.step === 'register')?.outputs?.['version']
    console.log(
      retrain.promoted
        ? `           promoted: fraud v${String(version)} is @champion (beat the old one on the fresh data)`
        : `           not promoted: @champion stays (${(gate?.reasons ?? [retrain.run.error ?? 'the run did not finish']).join(' ')})`,
    )
  }
  console.log(`done in    ${seconds(started)}, store ${storeUri}`)

  const championRun = results[0]!.runId
  console.log('\nWhere to look next:')
  console.log(`  npx keel runs show ${championRun}                      # params, metrics, dataset digest, model/ artifacts`)
  console.log(`  npx keel runs search --experiment fraud-detection --order-by 'metrics.test_roc_auc DESC'`)
  console.log(`  npx keel models version fraud ${results[0]!.version?.version}      # lineage: signature, input example, dataset digest, environment`)
  console.log('  npx keel models explain models:/fraud@champion   # the stored feature importances as a bar chart')
  console.log('  npx keel models alias history fraud')
  if (retrainRun !== undefined) console.log(`  npx keel pipeline show ${retrainRun}   # the retraining run: each step's status, attempts, timing, cache verdict`)
  console.log('  npx keel pipeline run training --file examples/fraud/pipelines.ts --param data=.keel/data/fraud.csv   # the training pipeline (docs/pipelines.md)')
  console.log(`  open ${relative(process.cwd(), reportPath)}   # the monitoring report: drift per feature, performance, the alert`)
  console.log(`  npx keel predict --model models:/fraud@challenger --input ${relative(process.cwd(), holdoutPath)} --output challenger-scores.csv --keep id`)
  console.log('  npx keel train --config examples/fraud/candidate.yaml   # a gated candidate from a YAML spec (docs/training.md)')
  console.log('  npx keel server --port 5000                 # MLflow clients: MLFLOW_TRACKING_URI=http://127.0.0.1:5000')
} finally {
  await keel.close()
}
