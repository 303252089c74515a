/**
 * The fraud model as pipelines of keel's built-in steps:
 *
 *   training:    ingest → validate → split → fit → evaluate → gate → register → promote
 *   retraining:  the same on fresh labelled data, started by the monitor's drift alert (`monitoring.retrain`);
 *                the gate compares the new model with the champion *on that fresh data*, and `promote` runs only
 *                when the new model beats it.
 *
 * Both are plain objects; `keel pipeline run training --file examples/fraud/pipelines.ts --param data=…` finds
 * them by name (every exported `{ name, steps }`), and the main job runs `retraining` in-process.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { builtInSteps, definePipeline, LocalExecutor, PipelineEngine, StepRegistry, stepTable } from 'keel'
import type { Keel, PipelineRunRecord, RetrainEvent, StepRunRecord } from 'keel'
import { FEATURES, generateFraudData, toCsv } from './data.js'
import type { FraudData } from './data.js'

type PipelineSpec = Parameters<typeof definePipeline>[0]

/** What the data must look like before a model is trained on it. */
export const FRAUD_SCHEMA = {
  format: 'keel-data-schema',
  formatVersion: 1,
  extraColumns: 'error',
  columns: [
    ...FEATURES.map((name) => ({ name, kind: 'numeric', dtype: 'float', min: 0, maxMissingRate: 0 })),
    { name: 'is_fraud', kind: 'numeric', dtype: 'int', min: 0, max: 1, maxMissingRate: 0 },
  ],
}

/** The champion's recipe (main.ts): gradient-boosted trees on the raw columns. Registration is the pipeline's job. */
export const FRAUD_TRAINING_SPEC = {
  experiment: 'fraud-detection',
  runName: 'pipeline-gbdt',
  seed: 42,
  target: 'is_fraud',
  task: 'classification',
  algorithm: { name: 'gbdt', params: { nRounds: 100, maxLeaves: 31, learningRate: 0.1 } },
  evaluation: { testFraction: 0.2, stratified: true },
  explain: { enabled: false },
  tags: { team: 'risk' },
}

/** Beat the champion on ROC AUC and PR AUC (the ranking that matters at 1-2 % fraud) by 0.001 on the same rows. */
export const FRAUD_GATE = {
  roc_auc: { threshold: 0.7, minAbsoluteChange: 0.001 },
  pr_auc: { minAbsoluteChange: 0.001 },
}

function fraudPipeline(name: string, triggers: PipelineSpec['triggers']): PipelineSpec {
  return {
    name,
    params: {
      data: 'string',
      schema: { type: 'json', default: FRAUD_SCHEMA },
      spec: { type: 'json', default: FRAUD_TRAINING_SPEC },
      thresholds: { type: 'json', default: FRAUD_GATE },
      model: { type: 'string', default: 'fraud' },
      alias: { type: 'string', default: 'champion' },
      baseline: { type: 'string', default: 'models:/fraud@champion' },
    },
    steps: [
      { name: 'ingest', kind: 'keel.ingest', inputs: { path: 'params.data' }, retries: 3, backoffMs: 200 },
      { name: 'validate', kind: 'keel.validate', inputs: { dataset: 'ingest.dataset', schema: 'params.schema' } },
      { name: 'split', kind: 'keel.split', inputs: { dataset: 'validate.dataset', options: { value: { testFraction: 0.25, seed: 42, stratify: 'is_fraud' } } } },
      { name: 'fit', kind: 'keel.fit', inputs: { dataset: 'split.train', spec: 'params.spec' }, pool: 'train' },
      { name: 'evaluate', kind: 'keel.evaluate', inputs: { model: 'fit.model', dataset: 'split.test' } },
      // The champion moves between runs: a gate (or a promote) must never be answered from the cache.
      { name: 'gate', kind: 'keel.gate', inputs: { metrics: 'evaluate.metrics', dataset: 'split.test', baseline: 'params.baseline', thresholds: 'params.thresholds' }, cache: false },
      { name: 'register', kind: 'keel.register', inputs: { model: 'fit.model', name: 'params.model' } },
      { name: 'promote', kind: 'keel.promote', inputs: { name: 'params.model', version: 'register.version', alias: 'params.alias', gate: 'gate.gate' }, when: { input: 'gate' }, cache: false },
    ],
    ...(triggers === undefined ? {} : { triggers }),
  }
}

export const training: PipelineSpec = fraudPipeline('training', undefined)
export const retraining: PipelineSpec = fraudPipeline('retraining', [{ event: 'monitoring.retrain' }])

/** The world after the change the monitor saw: bigger amounts, cards used much further from home (as monitor.ts). */
export function driftedFraudData(rows: number, seed: number): FraudData {
  const data = generateFraudData(rows, seed)
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

export interface RetrainResult {
  run: PipelineRunRecord
  steps: StepRunRecord[]
  promoted: boolean
  table: string
}

/**
 * What `onRetrain` does with a `monitoring.retrain` event: writes the fresh labelled transactions (the chargebacks
 * that came in after the drift) and runs `retraining` on them in this process.
 */
export async function retrainOnAlert(keel: Keel, event: RetrainEvent, options: { dataDir: string; rows?: number }): Promise<RetrainResult> {
  mkdirSync(options.dataDir, { recursive: true })
  const data = join(options.dataDir, `fresh-after-alert-v${event.version}.csv`)
  writeFileSync(data, toCsv(driftedFraudData(options.rows ?? 50_000, 202)))
  const registry = builtInSteps(new StepRegistry())
  const definition = definePipeline(retraining, registry)
  const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry), { pools: { train: 1 } })
  try {
    const run = await engine.run(definition, { data, model: event.model })
    const steps = await keel.pipelines.getSteps(run.id)
    const promote = steps.find((s) => s.step === 'promote')
    const promoted = promote?.status === 'succeeded' && promote.outputs?.['promoted'] === true
    return { run, steps, promoted, table: stepTable(steps, definition.steps.map((s) => s.name)) }
  } finally {
    await engine.close()
  }
}
