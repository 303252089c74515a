/**
 * keel's main job: make a deterministic fraud data set, train a champion (logistic regression on standardised
 * features) and a challenger (random forest) through keel's training API — each one tracked run with params,
 * metrics, the dataset digest, the feature pipeline and the model — register both with lineage, point the
 * `champion` and `challenger` aliases at them, then load the champion back and score one JSON transaction.
 * Runs on the embedded store (SQLite + files under ./.keel).
 *
 *   npm run example              # or: KEEL_STORE=http://127.0.0.1:5000 npm run example
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Keel, loadTrainedModel, train } from 'keel'
import type { TrainingProgress, TrainingSpecInput } from 'keel'
import { generateFraudData, toCsv } from './data.js'

const storeUri = process.env['KEEL_STORE'] ?? 'sqlite:.keel/keel.db'
const rows = Number(process.env['FRAUD_ROWS'] ?? 50_000)
const started = performance.now()

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

const champion: TrainingSpecInput = {
  ...common,
  runName: 'champion-logistic',
  features: { steps: [{ type: 'standardScale', columns: { kind: 'numeric' } }] },
  algorithm: { name: 'logistic', params: { C: 1, maxIter: 200 } },
  register: { name: 'fraud', alias: 'champion' },
}

const challenger: TrainingSpecInput = {
  ...common,
  runName: 'challenger-forest',
  algorithm: { name: 'random-forest', params: { nTrees: 100, maxDepth: 12, minSamplesLeaf: 5 } },
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
        `→ fraud version ${result.version?.version} @${label} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    )
    results.push(result)
  }

  // Serving reads the registry, not the run: load whatever @champion points at and score one raw transaction.
  const model = await loadTrainedModel(keel, 'models:/fraud@champion')
  const transaction = { amount: 240.5, hour: 2, merchant_age_days: 45, foreign: 1, card_present: 0, tx_last_hour: 2, distance_km: 85, account_age_days: 310 }
  const [, fraudProbability] = model.predictProba(transaction)
  console.log(`score      ${JSON.stringify(transaction)} → P(fraud) ${fraudProbability?.toFixed(4)} (models:/fraud@champion, ${model.manifest.algorithm})`)
  console.log(`done in    ${((performance.now() - started) / 1000).toFixed(1)} s, store ${storeUri}`)

  const championRun = results[0]!.runId
  console.log('\nWhere to look next:')
  console.log(`  npx keel runs show ${championRun}                      # params, metrics, dataset digest, model/ artifacts`)
  console.log(`  npx keel runs search --experiment fraud-detection --order-by 'metrics.test_roc_auc DESC'`)
  console.log(`  npx keel models version fraud ${results[0]!.version?.version}      # lineage: signature, input example, dataset digest, environment`)
  console.log('  npx keel models alias history fraud')
  console.log('  npx keel train --config examples/fraud/candidate.yaml   # a gated challenger from a YAML spec (docs/training.md)')
  console.log('  npx keel server --port 5000                 # MLflow clients: MLFLOW_TRACKING_URI=http://127.0.0.1:5000')
} finally {
  await keel.close()
}
