/**
 * keel's main job, first cut: make a deterministic fraud data set, train a baseline model while tracking the
 * run (params, a metric history, the dataset and its digest, the model artifact), register the model with its
 * lineage and point the `champion` alias at it. Runs on the embedded store (SQLite + files under ./.keel).
 *
 *   npm run example              # or: KEEL_STORE=http://127.0.0.1:5000 npm run example
 */
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Keel } from 'keel'
import { fitLogistic, predictProba, rocAuc } from './baseline-model.js'
import { FEATURES, generateFraudData, toCsv } from './data.js'

const storeUri = process.env['KEEL_STORE'] ?? 'sqlite:.keel/keel.db'
const rows = Number(process.env['FRAUD_ROWS'] ?? 50_000)
const params = { epochs: 200, learningRate: 0.5, l2: 0.001, seed: 42, rows }

const started = performance.now()
const data = generateFraudData(rows, params.seed)
const csv = toCsv(data)
const digest = createHash('sha256').update(csv).digest('hex')
const dataDir = resolve('.keel/data')
mkdirSync(dataDir, { recursive: true })
const dataPath = join(dataDir, 'fraud.csv')
writeFileSync(dataPath, csv)
console.log(`data      ${rows.toLocaleString()} transactions, ${(data.y.reduce((a, b) => a + b, 0) / rows * 100).toFixed(2)}% fraud, digest ${digest.slice(0, 12)}`)

// 80/20 split by position: the generator is i.i.d., so this is a fair holdout.
const trainRows = Math.floor(rows * 0.8)
const width = FEATURES.length
const xTrain = data.x.subarray(0, trainRows * width)
const yTrain = data.y.subarray(0, trainRows)
const xTest = data.x.subarray(trainRows * width)
const yTest = data.y.subarray(trainRows)

const keel = await Keel.open(storeUri)
try {
  await keel.setExperiment('fraud-detection')
  const run = await keel.startRun({ runName: 'baseline-logistic', tags: { team: 'risk', 'mlflow.source.name': 'examples/fraud/main.ts' } })
  await run.logParams({ algorithm: 'logistic-regression', epochs: params.epochs, learning_rate: params.learningRate, l2: params.l2, seed: params.seed })
  await run.logDataset({ name: 'fraud-synthetic', digest, source: dataPath, sourceType: 'local' }, 'training')

  const model = fitLogistic(xTrain, yTrain, FEATURES, {
    epochs: params.epochs,
    learningRate: params.learningRate,
    l2: params.l2,
    onEpoch: (epoch, loss) => run.logMetric('train_log_loss', loss, epoch),
  })
  const auc = rocAuc(predictProba(model, xTest, yTest.length), yTest)
  run.logMetrics({ test_roc_auc: auc, test_rows: yTest.length })

  const modelJson = JSON.stringify(model)
  await run.logArtifact({ name: 'model.json', content: modelJson }, 'model')
  await run.end('FINISHED')

  const version = await keel.registerModel({
    name: 'fraud',
    runId: run.id,
    artifactPath: 'model',
    lineage: {
      artifactDigest: createHash('sha256').update(modelJson).digest('hex'),
      datasetDigest: digest,
      signature: {
        inputs: FEATURES.map((name) => ({ name, type: 'double' })),
        outputs: [{ name: 'fraud_probability', type: 'double' }],
      },
      inputExample: Object.fromEntries(FEATURES.map((name, j) => [name, data.x[j]])),
    },
    tags: { algorithm: 'logistic-regression' },
  })
  await keel.setAlias('fraud', 'champion', version.version)
  const champion = await keel.resolve('models:/fraud@champion')

  console.log(`run       ${run.id} (test ROC AUC ${auc.toFixed(4)}, ${params.epochs} loss points)`)
  console.log(`model     fraud version ${champion.version} is now @champion (source ${champion.source})`)
  console.log(`done in   ${((performance.now() - started) / 1000).toFixed(1)} s, store ${storeUri}`)
  console.log('\nWhere to look next:')
  console.log(`  npx keel runs show ${run.id}`)
  console.log(`  npx keel runs metric-history ${run.id} train_log_loss`)
  console.log('  npx keel models version fraud ' + champion.version + '      # lineage: run, dataset digest, code, environment')
  console.log('  npx keel models alias history fraud')
  console.log('  npx keel server --port 5000              # MLflow clients: MLFLOW_TRACKING_URI=http://127.0.0.1:5000')
} finally {
  await keel.close()
}
