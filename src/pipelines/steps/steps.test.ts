import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/support/temp-dir.js'
import { Keel } from '../../client/keel.js'
import { isKeelError } from '../../core/errors.js'
import { silentLogger } from '../../core/logger.js'
import { datasetDigest } from '../../data/dataset-digest.js'
import { readDataset } from '../../data/read-dataset.js'
import type { StepContext, StepKind, StepValue } from '../types.js'
import { batchScoreStep, builtInSteps, BUILT_IN_STEPS, evaluateStep, fitStep, gateStep, ingestStep, monitorReportStep, PIPELINE_STEP_TAG, promoteStep, registerStep, splitStep, validateStep } from './index.js'

/** A labelled binary data set where x1 carries most of the signal: small enough to train in well under a second. */
function writeData(path: string, rows: number, seed: number, shift = 0): void {
  let s = seed
  const random = (): number => ((s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)
  const lines = ['id,x1,x2,label']
  for (let i = 0; i < rows; i++) {
    const label = random() < 0.3 ? 1 : 0
    const x1 = (label === 1 ? 1.5 : 0) + random() * 2 + shift
    const x2 = random() * 3
    lines.push(`r${i},${x1.toFixed(4)},${x2.toFixed(4)},${label}`)
  }
  writeFileSync(path, lines.join('\n') + '\n')
}

const SPEC = { target: 'label', algorithm: { name: 'logistic', params: { C: 1, maxIter: 100 } }, features: { exclude: ['id'] }, evaluation: { testFraction: 0.2 }, explain: { enabled: false } }

let dir: ReturnType<typeof tempDir>
let keel: Keel
let pipelineRun: string

beforeEach(async () => {
  dir = tempDir('keel-steps-')
  keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`)
  pipelineRun = `run${Math.random().toString(16).slice(2)}`
})

afterEach(async () => {
  await keel.close()
  dir.remove()
})

/** Runs a kind the way an executor does, with its own nested tracking run. */
async function runStep(kind: StepKind, inputs: Record<string, StepValue>, step = kind.name.replace('keel.', ''), runId = pipelineRun): Promise<Record<string, StepValue>> {
  const tracking = await keel.startRun({ experiment: 'steps-test', runName: step })
  await tracking.end()
  const context: StepContext = {
    pipeline: 'test',
    runId,
    step,
    attempt: 1,
    inputs,
    keel,
    trackingRunId: tracking.id,
    signal: new AbortController().signal,
    log: silentLogger,
    map: async (items, fn) => Promise.all(items.map((item, i) => fn(item, i))),
  }
  return kind.run(context)
}

async function failure(promise: Promise<unknown>): Promise<{ message: string; retryable: boolean }> {
  try {
    await promise
  } catch (error) {
    return { message: (error as Error).message, retryable: isKeelError(error) ? error.retryable : false }
  }
  throw new Error('expected the step to fail')
}

describe('builtInSteps', () => {
  it('registers the ten kinds once, with declared inputs and outputs', () => {
    const names: string[] = []
    const registry = { register: (kind: StepKind) => names.push(kind.name), has: (name: string) => names.includes(name) }
    builtInSteps(registry)
    builtInSteps(registry)
    expect(names).toEqual(['keel.ingest', 'keel.validate', 'keel.split', 'keel.fit', 'keel.evaluate', 'keel.gate', 'keel.register', 'keel.promote', 'keel.batch-score', 'keel.monitor-report'])
    for (const kind of BUILT_IN_STEPS) expect(Object.keys(kind.outputs).length).toBeGreaterThan(0)
  })
})

describe('keel.ingest / keel.validate / keel.split', () => {
  it('ingest returns a file reference whose digest is the content digest, and the step run records it', async () => {
    const path = join(dir.path, 'data.csv')
    writeData(path, 200, 1)
    const { dataset } = await runStep(ingestStep, { path })
    const ref = dataset as { uri: string; digest: string; rows: number; columns: string[] }
    expect(ref.uri).toBe(`file://${path}`)
    expect(ref.digest).toBe(datasetDigest(await readDataset(path)))
    expect(ref.rows).toBe(200)
    expect(ref.columns).toEqual(['id', 'x1', 'x2', 'label'])
    writeData(path, 200, 2)
    const again = (await runStep(ingestStep, { path: `file://${path}` }))['dataset'] as { digest: string }
    expect(again.digest).not.toBe(ref.digest)
  })

  it('ingest of a missing file fails retryably (it may still be being written)', async () => {
    const f = await failure(runStep(ingestStep, { path: join(dir.path, 'nope.csv') }))
    expect(f.message).toMatch(/no file at/)
    expect(f.retryable).toBe(true)
  })

  it('validate passes the dataset on, and fails not retryably listing violations', async () => {
    const path = join(dir.path, 'data.csv')
    writeData(path, 100, 3)
    const { dataset } = await runStep(ingestStep, { path })
    const schema = (x1Max: number) => ({
      format: 'keel-data-schema',
      formatVersion: 1,
      extraColumns: 'allow',
      columns: [{ name: 'x1', kind: 'numeric', dtype: 'float', min: -10, max: x1Max }, { name: 'label', kind: 'numeric', dtype: 'int', min: 0, max: 1 }],
    })
    const ok = await runStep(validateStep, { dataset: dataset!, schema: schema(100) })
    expect(ok['dataset']).toEqual(dataset)
    expect((ok['report'] as { valid: boolean }).valid).toBe(true)
    const schemaPath = join(dir.path, 'schema.json')
    writeFileSync(schemaPath, JSON.stringify(schema(0.5)))
    const f = await failure(runStep(validateStep, { dataset: dataset!, schema: schemaPath }))
    expect(f.retryable).toBe(false)
    expect(f.message).toMatch(/breaks its schema/)
    expect(f.message).toMatch(/x1/)
  })

  it('split writes deterministic train/test files that partition the rows', async () => {
    const path = join(dir.path, 'data.csv')
    writeData(path, 300, 4)
    const { dataset } = await runStep(ingestStep, { path })
    const first = await runStep(splitStep, { dataset: dataset!, options: { testFraction: 0.25, seed: 7, stratify: 'label' } })
    const train = first['train'] as { uri: string; digest: string; rows: number }
    const test = first['test'] as { uri: string; digest: string; rows: number }
    expect(train.rows + test.rows).toBe(300)
    expect(test.rows).toBe(75)
    const second = await runStep(splitStep, { dataset: dataset!, options: { seed: 7, testFraction: 0.25, stratify: 'label' } })
    expect(second).toEqual(first)
    // The reference digest is the digest of what is on disk.
    expect(train.digest).toBe(datasetDigest(await readDataset(new URL(train.uri).pathname)))
    const f = await failure(runStep(splitStep, { dataset: dataset!, options: { seed: 1 } }))
    expect(f.message).toMatch(/testFraction/)
  })
})

describe('keel.fit → evaluate → gate → register → promote', () => {
  async function fitted(rows = 400, seed = 5): Promise<{ dataset: StepValue; test: StepValue; fit: Record<string, StepValue> }> {
    const path = join(dir.path, `data-${seed}.csv`)
    writeData(path, rows, seed)
    const { dataset } = await runStep(ingestStep, { path })
    const split = await runStep(splitStep, { dataset: dataset!, options: { testFraction: 0.25, seed: 1, stratify: 'label' } })
    const fit = await runStep(fitStep, { dataset: split['train']!, spec: SPEC })
    return { dataset: dataset!, test: split['test']!, fit }
  }

  it('fit trains in a run nested under the step run and returns a model reference with its artifact digest', async () => {
    const { fit } = await fitted()
    const model = fit['model'] as { uri: string; digest: string }
    expect(model.uri).toBe(`runs:/${String(fit['runId'])}/model`)
    expect(model.digest).toMatch(/^[0-9a-f]{64}$/)
    expect((fit['metrics'] as Record<string, number>)['roc_auc']).toBeGreaterThan(0.7)
    const run = await keel.tracking.getRun(String(fit['runId']))
    const parent = run.data.tags.find((t) => t.key === 'mlflow.parentRunId')?.value
    expect((await keel.tracking.getRun(parent!)).info.runName).toBe('fit')
    const refused = await failure(runStep(fitStep, { dataset: { uri: 'file:///x.csv', digest: 'd' }, spec: { ...SPEC, register: { name: 'x' } } }))
    expect(refused.message).toMatch(/keel.register/)
  })

  it('evaluate, gate without a champion, register idempotently, promote when the gate passed', async () => {
    const { test, fit } = await fitted()
    const { metrics } = await runStep(evaluateStep, { model: fit['model']!, dataset: test })
    expect((metrics as Record<string, number>)['roc_auc']).toBeGreaterThan(0.7)

    const thresholds = { roc_auc: { threshold: 0.6, minAbsoluteChange: 0.001 } }
    const first = (await runStep(gateStep, { metrics: metrics!, dataset: test, baseline: 'models:/m@champion', thresholds }))['gate'] as Record<string, StepValue>
    expect(first['passed']).toBe(true)
    expect(first['baselineVersion']).toBe(null)
    expect(String(first['reasons'])).toMatch(/no baseline/)

    const registered = await runStep(registerStep, { model: fit['model']!, name: 'm' }, 'register')
    const again = await runStep(registerStep, { model: fit['model']!, name: 'm' }, 'register')
    expect(again).toEqual(registered)
    const versions = await keel.registry.searchModelVersions({ filter: "name = 'm'" })
    expect(versions.items).toHaveLength(1)
    expect(versions.items[0]!.tags).toContainEqual({ key: PIPELINE_STEP_TAG, value: `${pipelineRun}:register` })
    // Another pipeline run registers its own version.
    const other = await runStep(registerStep, { model: fit['model']!, name: 'm' }, 'register', 'another-run')
    expect(other['version']).toBe('2')

    const promoted = await runStep(promoteStep, { name: 'm', version: String(registered['version']), alias: 'champion', gate: first })
    expect(promoted).toEqual({ promoted: true, previous: null, version: '1' })
    expect((await keel.resolve('models:/m@champion')).version).toBe('1')

    // Now there is a champion: the same model does not beat it by 0.001 on the same data.
    const second = (await runStep(gateStep, { metrics: metrics!, dataset: test, baseline: 'models:/m@champion', thresholds }))['gate'] as Record<string, StepValue>
    expect(second['passed']).toBe(false)
    expect(second['baselineVersion']).toBe('1')
    expect((second['baselineMetrics'] as Record<string, number>)['roc_auc']).toBeCloseTo((metrics as Record<string, number>)['roc_auc']!, 12)
    expect(String(second['reasons'])).toMatch(/roc_auc improved by 0 over the baseline/)
    const held = await runStep(promoteStep, { name: 'm', version: '2', alias: 'champion', gate: second })
    expect(held).toEqual({ promoted: false, previous: '1', version: '2' })
    expect((await keel.resolve('models:/m@champion')).version).toBe('1')
  })

  it('gate refuses thresholds that check nothing', async () => {
    const f = await failure(runStep(gateStep, { metrics: {}, dataset: { uri: 'file:///x', digest: 'd' }, baseline: 'models:/m@champion', thresholds: { roc_auc: {} } }))
    expect(f.message).toMatch(/sets no check/)
    expect(f.retryable).toBe(false)
  })

  it('batch-score writes the scores file and returns it by reference', async () => {
    const { test, fit } = await fitted(300, 6)
    const output = join(dir.path, 'out', 'scores.csv')
    const result = await runStep(batchScoreStep, { model: fit['model']!, dataset: test, output: { path: output, keep: ['id'] } })
    expect(result['rows']).toBe(75)
    const lines = readFileSync(output, 'utf8').trim().split('\n')
    expect(lines[0]).toBe('id,prediction,probability_0,probability_1')
    expect(lines).toHaveLength(76)
    expect((result['scores'] as { uri: string }).uri).toBe(`file://${output}`)
  })
})

describe('keel.monitor-report', () => {
  it('monitors captured predictions of a fitted model, writes the HTML report and says when to retrain', async () => {
    const path = join(dir.path, 'train.csv')
    writeData(path, 400, 21)
    const { dataset } = await runStep(ingestStep, { path })
    const fit = await runStep(fitStep, { dataset: dataset!, spec: SPEC })
    const { version } = await runStep(registerStep, { model: fit['model']!, name: 'm' })
    await keel.setAlias('m', 'champion', String(version))
    // Served traffic: 300 rows like training, then 300 with x1 and x2 shifted far out of the reference.
    const records = Array.from({ length: 600 }, (_, i) => {
      const shift = i < 300 ? 0 : 6
      const x1 = ((i * 37) % 100) / 40 + shift
      const x2 = ((i * 53) % 100) / 33 + shift
      return {
        id: `p${String(i).padStart(4, '0')}`,
        deployment: 'm',
        model: 'm',
        version: String(version),
        arm: 'champion' as const,
        timestamp: 1_700_000_000_000 + i * 1000,
        inputs: { x1, x2 },
        outputs: { prediction: '0', probability_0: 0.8, probability_1: 0.2 },
      }
    })
    await keel.predictions.appendPredictions(records)
    const output = join(dir.path, 'reports', 'm.html')
    const rules = [{ name: 'drift', metric: 'drift.share', comparison: '>=', threshold: 0.5, severity: 'critical', cooldownMs: 0, actions: [] }]
    const result = await runStep(monitorReportStep, { options: { model: 'models:/m@champion', window: { kind: 'count', size: 300 }, rules }, output })
    expect(readFileSync(output, 'utf8')).toMatch(/<html/i)
    expect((result['report'] as { uri: string; digest: string }).digest).toMatch(/^[0-9a-f]{64}$/)
    expect(result['driftShare']).toBe(1)
    expect(result['retrain']).toBe(true)
    expect(result['alerts']).toEqual([expect.objectContaining({ rule: 'drift', metric: 'drift.share', version: String(version) })])
  })

  it('refuses options a pipeline cannot set, naming the allowed ones', async () => {
    const f = await failure(runStep(monitorReportStep, { options: { model: 'models:/m@champion', window: { kind: 'count', size: 10 }, onRetrain: 'x' }, output: join(dir.path, 'r.html') }))
    expect(f.message).toMatch(/'onRetrain', which a pipeline cannot set/)
    const g = await failure(runStep(monitorReportStep, { options: { model: 'models:/m@champion' }, output: join(dir.path, 'r.html') }))
    expect(g.message).toMatch(/needs model .* and window/)
  })
})
