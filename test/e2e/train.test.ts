import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { datasetDigest } from '../../src/data/dataset-digest.js'
import { readDataset } from '../../src/data/read-dataset.js'
import { artifactPathFromUri } from '../../src/artifacts/artifact-path.js'
import { loadTrainedModel, parseTrainingSpec, readTrainingSpec, train } from '../../src/training/index.js'
import type { TrainingSpec, TrainingSpecInput } from '../../src/training/index.js'
import { tempDir } from '../support/temp-dir.js'
import { runCli } from '../support/run-cli.js'
import type { CliResult } from '../support/run-cli.js'

const FIXTURES = new URL('../fixtures/training/', import.meta.url).pathname
const SPEC = join(FIXTURES, 'tiny.yaml')

let dir: { path: string; remove: () => void }
let keel: Keel

beforeEach(async () => {
  dir = tempDir('keel-train-')
  keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { user: 'trainer' })
})

afterEach(async () => {
  await keel.close()
  dir.remove()
})

async function spec(overrides: Partial<TrainingSpecInput> = {}): Promise<TrainingSpec> {
  return { ...(await readTrainingSpec(SPEC)), ...overrides } as TrainingSpec
}

describe('train() on the tiny fixture', () => {
  it('logs params, metrics, the dataset with its digest and the four model artifacts into one run', async () => {
    const stages = new Set<string>()
    const result = await train(await spec(), { keel, progress: (e) => stages.add(e.stage) })
    expect([...stages]).toEqual(['read', 'validate', 'fit', 'evaluate', 'log', 'register'])

    const run = await keel.tracking.getRun(result.runId)
    expect(run.info.status).toBe('FINISHED')
    expect(run.info.runName).toBe('tiny-logistic')
    const params = Object.fromEntries(run.data.params.map((p) => [p.key, p.value]))
    expect(params).toMatchObject({ algorithm: 'logistic', target: 'is_fraud', task: 'classification', 'param.C': '1', features: '4', train_rows: '225', test_rows: '75' })
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]))
    expect(metrics['test_roc_auc']).toBe(result.metrics['roc_auc'])
    expect(metrics['test_example_count']).toBe(75)
    expect(result.metrics['roc_auc']).toBeGreaterThan(0.6)

    // The digest is the content of exactly the columns trained on (id excluded), computed independently here.
    const data = await readDataset(join(FIXTURES, 'tiny.csv'), { schema: { city: 'category' } })
    const expectedDigest = datasetDigest(data.select(['amount', 'hour', 'account_age_days', 'city', 'is_fraud']))
    expect(run.inputs.datasetInputs).toHaveLength(1)
    const input = run.inputs.datasetInputs[0]!
    expect(input.dataset).toMatchObject({ name: 'tiny-fraud', digest: expectedDigest, sourceType: 'local' })
    expect(input.dataset.source).toBe(join(FIXTURES, 'tiny.csv'))
    expect(JSON.parse(input.dataset.profile ?? '{}')).toMatchObject({ rows: 300, columns: 5 })
    expect(input.tags).toContainEqual({ key: 'mlflow.data.context', value: 'training' })

    const files = await keel.artifacts.list(`${artifactPathFromUri(run.info.artifactUri)}/model`)
    expect(files.map((f) => f.path).sort()).toEqual(['data-schema.json', 'explanations', 'keel-model.json', 'model.json', 'monitoring', 'pipeline.json'])

    const version = result.version!
    expect(version.version).toBe('1')
    expect(version.runId).toBe(result.runId)
    expect(version.aliases).toEqual([])
    expect((await keel.resolve('models:/tiny-fraud@champion')).version).toBe('1')
    expect(version.lineage.datasetDigest).toBe(expectedDigest)
    expect(version.lineage.artifactDigest).toMatch(/^[0-9a-f]{64}$/)
    expect(version.lineage.signature?.inputs).toEqual([
      { name: 'amount', type: 'double' },
      { name: 'hour', type: 'long' },
      { name: 'account_age_days', type: 'long' },
      { name: 'city', type: 'string' },
    ])
    expect(version.lineage.inputExample).toEqual({ amount: 77.79, hour: 1, account_age_days: 297, city: 'pune' })
  })

  it('a loaded model predicts exactly as the in-memory one, for a frame and for single JSON rows', async () => {
    const result = await train(await spec(), { keel })
    const loaded = await loadTrainedModel(keel, 'models:/tiny-fraud@champion')
    expect(loaded.manifest).toMatchObject({ algorithm: 'logistic', task: 'classification', target: 'is_fraud', classes: ['0', '1'] })

    const frame = await readDataset(join(FIXTURES, 'tiny.csv'), { schema: { city: 'category' } })
    const expected = result.predictor.predictProbaFrame(frame)
    expect(loaded.predictProba(frame)).toEqual(expected)
    expect(loaded.predict(frame)).toEqual(result.predictor.predictFrame(frame))
    // Not all the same prediction: the comparison above would otherwise prove little.
    expect(new Set(expected).size).toBeGreaterThan(100)

    for (let i = 0; i < 40; i++) {
      const row = JSON.parse(JSON.stringify(frame.row(i))) as Record<string, number | string | null>
      expect(loaded.predictProba(row)).toEqual(expected.subarray(2 * i, 2 * i + 2))
      expect(loaded.predict(row)).toBe(expected[2 * i + 1]! > expected[2 * i]! ? 1 : 0)
    }
    const rows = frame.toRecords(10)
    expect(loaded.predictProba(rows)).toEqual(expected.subarray(0, 20))
    expect(() => loaded.predict({ amount: 1, hour: 2, city: 'oslo' })).toThrow(/account_age_days/)
  })

  it('a failing gate registers the version but leaves the alias where it was, and says why', async () => {
    const first = await train(await spec(), { keel })
    expect(first.aliasMoved).toBe(true)
    const failing = await train(await spec({ gate: { metrics: { roc_auc: { threshold: 0.9999 }, log_loss: { minAbsoluteChange: 0.5 } } } }), { keel })
    expect(failing.version?.version).toBe('2')
    expect(failing.aliasMoved).toBe(false)
    expect(failing.gate?.passed).toBe(false)
    expect(failing.gate?.baselineVersion).toBe('1')
    const reasons = failing.gate!.results.flatMap((r) => r.reasons).join(' ')
    expect(reasons).toMatch(/roc_auc .* is below the threshold 0\.9999/)
    expect(reasons).toMatch(/log_loss/)
    expect((await keel.resolve('models:/tiny-fraud@champion')).version).toBe('1')
    const run = await keel.tracking.getRun(failing.runId)
    expect(run.data.tags).toContainEqual({ key: 'keel.gate.passed', value: 'false' })

    const passing = await train(await spec({ gate: { metrics: { roc_auc: { threshold: 0.5 } } } }), { keel })
    expect(passing.gate?.passed).toBe(true)
    expect((await keel.resolve('models:/tiny-fraud@champion')).version).toBe('3')
  })

  it('cross-validation and a grid search log CV metrics and one nested run per trial', async () => {
    const result = await train(
      await spec({
        register: undefined,
        evaluation: { testFraction: 0.25, cv: { folds: 3 } },
        search: { method: 'grid', space: { C: [0.1, 10] }, metric: 'roc_auc', folds: 2 },
      } as Partial<TrainingSpecInput>),
      { keel },
    )
    expect(result.version).toBeUndefined()
    expect(result.search?.trials).toBe(2)
    expect([0.1, 10]).toContain(result.search?.bestParams['C'])
    const run = await keel.tracking.getRun(result.runId)
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]))
    expect(metrics['cv_roc_auc_mean']).toBe(result.cv?.mean['roc_auc'])
    expect(metrics['cv_roc_auc_std']).toBeGreaterThanOrEqual(0)
    expect(run.data.params).toContainEqual({ key: 'param.C', value: String(result.search?.bestParams['C']) })
    const children = await keel.tracking.searchRuns({ experimentIds: [run.info.experimentId], filter: `tags.mlflow.parentRunId = '${result.runId}'` })
    expect(children.items).toHaveLength(2)
  })
})

describe('bad specs name the field and the fix', () => {
  const base = (): Record<string, unknown> => parseYaml(readFileSync(SPEC, 'utf8')) as Record<string, unknown>

  it.each([
    ['a missing algorithm name', (s: Record<string, unknown>) => (s['algorithm'] = { params: {} }), /algorithm\.name is required/],
    ['a test fraction out of range', (s: Record<string, unknown>) => (s['evaluation'] = { testFraction: 2 }), /evaluation\.testFraction/],
    ['a misspelt field', (s: Record<string, unknown>) => (s['algoritm'] = {}), /unknown field 'algoritm'/],
    ['an unknown task', (s: Record<string, unknown>) => (s['task'] = 'clustering'), /task must be one of "classification", "regression"; got "clustering"/],
    ['a gate without register', (s: Record<string, unknown>) => {
      delete s['register']
      s['gate'] = { metrics: { roc_auc: { threshold: 0.5 } } }
    }, /gate needs register/],
  ])('%s', (_name, mutate, message) => {
    const doc = base()
    mutate(doc)
    expect(() => parseTrainingSpec(doc)).toThrow(message)
  })

  it('a target or feature not in the data, and a bad algorithm param, fail before a run starts', async () => {
    const good = await spec()
    await expect(train({ ...good, target: 'label' }, { keel })).rejects.toThrow(/target 'label' is not a column .*Columns: id, amount/)
    await expect(train({ ...good, features: { ...good.features, exclude: ['nope'] } }, { keel })).rejects.toThrow(/features\.exclude names 'nope'/)
    await expect(train({ ...good, algorithm: { name: 'logistic', params: { C: -1 } } }, { keel })).rejects.toThrow(/'C'/)
    await expect(train({ ...good, algorithm: { name: 'catboost', params: {} } }, { keel })).rejects.toThrow(/Unknown algorithm 'catboost'/)
    // Imported formats are loadable but not trainable, and say how to bring such a model in.
    await expect(train({ ...good, algorithm: { name: 'xgboost', params: {} } }, { keel })).rejects.toThrow(/keel models import --format xgboost/)
    const runs = await keel.tracking.searchRuns({ experimentIds: ['0', '1'] })
    expect(runs.items).toHaveLength(0)
  })
})

describe('keel train --config', () => {
  const cli = (args: string[]): Promise<CliResult> => runCli(args, { KEEL_STORE: `sqlite:${join(dir.path, 'cli.db')}` })

  it('trains from a YAML file, prints progress on stderr and a JSON summary on stdout', async () => {
    copyFileSync(join(FIXTURES, 'tiny.csv'), join(dir.path, 'tiny.csv'))
    copyFileSync(SPEC, join(dir.path, 'tiny.yaml'))
    const result = await cli(['train', '--config', join(dir.path, 'tiny.yaml'), '--json'])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/fit/)
    const summary = JSON.parse(result.stdout) as { runId: string; metrics: Record<string, number>; version: string; alias: string; aliasMoved: boolean }
    expect(summary).toMatchObject({ version: '1', alias: 'champion', aliasMoved: true })
    expect(summary.metrics['roc_auc']).toBeGreaterThan(0.6)

    const text = await cli(['train', '--config', join(dir.path, 'tiny.yaml')])
    expect(text.code).toBe(0)
    expect(text.stdout).toMatch(/run\s+[0-9a-f]{32}/)
    expect(text.stdout).toMatch(/tiny-fraud version 2, @champion → 2/)
  })

  it('a bad spec exits 1 with the field named', async () => {
    writeFileSync(join(dir.path, 'bad.json'), JSON.stringify({ data: { path: 'x.csv' }, target: 'y', algorithm: { name: 'logistic', parms: {} } }))
    const result = await cli(['train', '--config', join(dir.path, 'bad.json')])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/algorithm: unknown field 'parms'/)
    expect(result.stdout).toBe('')
  })
})
