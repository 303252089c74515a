import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { train } from '../training/train.js'
import { servingStore, xgbBinaryExpected, type ServingStore } from '../../test/support/serving-fixture.js'
import { runCli } from '../../test/support/run-cli.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { columnFrequent, columnValueCount } from './profile.js'
import { loadReference, MAX_REFERENCE_SAMPLE_ROWS, sampleRows, saveReference, saveReferenceForVersion } from './reference.js'

describe('reference data of trained versions', () => {
  let dir: { path: string; remove: () => void }
  let keel: Keel
  let csv: string

  beforeEach(async () => {
    dir = tempDir('keel-reference-')
    csv = join(dir.path, 'loans.csv')
    const random = createRandom(4)
    const lines = ['income,city,age,y']
    for (let i = 0; i < 800; i++) {
      const income = 50 + 20 * random.normal()
      const city = ['oslo', 'pune', 'lima'][random.int(3)]!
      const age = i % 17 === 0 ? '' : String(20 + random.int(50))
      lines.push(`${income.toFixed(3)},${city},${age},${income + 10 * random.normal() > 50 ? 'yes' : 'no'}`)
    }
    writeFileSync(csv, `${lines.join('\n')}\n`)
    keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { user: 'tester' })
  })

  afterEach(async () => {
    await keel.close()
    dir.remove()
  })

  it('train() stores the profile and sample of the holdout inputs, outputs and labels with the version', async () => {
    const result = await train(
      {
        experiment: 'reference',
        seed: 7,
        data: { path: csv, schema: { city: 'category' } },
        target: 'y',
        task: 'classification',
        features: { steps: [{ type: 'impute', columns: ['age'], strategy: 'median' }, { type: 'oneHot', columns: ['city'], handleUnknown: 'ignore' }] },
        algorithm: { name: 'logistic' },
        evaluation: { testFraction: 0.25 },
        explain: { enabled: false },
        register: { name: 'loans', alias: 'champion' },
      },
      { keel },
    )
    const reference = await loadReference(keel, 'models:/loans@champion')
    expect(reference).toBeDefined()
    const { profile, sample } = reference!
    const names = ['income', 'city', 'age', 'prediction', 'probability_no', 'probability_yes']
    expect(profile.columns.map((c) => c.name)).toEqual(names)
    expect(sample.names).toEqual(names)
    expect(profile.rows).toBe(200) // the holdout (unseen by the model), not the training split, not the target
    expect(sample.rows).toBe(200)
    // The true labels ride along, split off the sample, and agree with the CSV's target for those rows.
    const labels = reference!.labels!
    expect(labels).toHaveLength(200)
    expect(new Set(labels)).toEqual(new Set(['yes', 'no']))
    const truth = new Map<string, string>()
    for (const line of readFileSync(csv, 'utf8').trim().split('\n').slice(1)) {
      const [income, , , y] = line.split(',')
      truth.set(income!, y!)
    }
    const incomes = sample.numeric('income')
    for (let i = 0; i < sample.rows; i++) expect(labels[i]).toBe(truth.get(incomes[i]!.toFixed(3)))
    const byName = new Map(profile.columns.map((c) => [c.name, c]))
    expect(byName.get('city')!.kind).toBe('categorical')
    expect(byName.get('age')!.missing).toBeGreaterThan(5) // every 17th row: ~12 of the 200 holdout rows
    expect(byName.get('age')!.missing).toBe(sample.numeric('age').filter((v) => Number.isNaN(v)).length)
    // The outputs are the model's: predictions agree with its probabilities, and count every row.
    const predictions = columnFrequent(byName.get('prediction')!)
    expect(predictions.reduce((n, p) => n + p.count, 0)).toBe(200)
    const proba = sample.numeric('probability_yes')
    const predicted = sample.column('prediction')
    if (predicted.kind !== 'categorical') throw new Error('prediction should be categorical')
    for (let i = 0; i < sample.rows; i++) expect(predicted.categories[predicted.codes[i]!]).toBe(proba[i]! > 0.5 ? 'yes' : 'no')
    const direct = result.predictor.predictProbaFrame(sample.select(['income', 'city', 'age']))
    for (let i = 0; i < 20; i++) expect(proba[i]).toBeCloseTo(direct[2 * i + 1]!, 12)
    expect(columnValueCount(byName.get('probability_yes')!)).toBe(200)
    // Also through the run URI, and the files are part of what the version's digest covers.
    expect((await loadReference(keel, `runs:/${result.runId}/model`))?.profile.rows).toBe(200)
    const files = await keel.artifacts.list(`${result.version!.source.replace(/^mlflow-artifacts:\//, '')}/monitoring`)
    expect(files.map((f) => f.path).sort()).toEqual(['reference-profile.json', 'reference-sample.json'])
  })

  it('samples at most 50,000 rows, seeded and in order, and checks its inputs', async () => {
    const rows = 120_000
    const frame = new Frame([numericColumn('i', Float64Array.from({ length: rows }, (_, i) => i))])
    const a = sampleRows(frame, MAX_REFERENCE_SAMPLE_ROWS, 3)
    expect(a.rows).toBe(MAX_REFERENCE_SAMPLE_ROWS)
    expect(Array.from(a.numeric('i'))).toEqual(Array.from(sampleRows(frame, MAX_REFERENCE_SAMPLE_ROWS, 3).numeric('i')))
    const values = a.numeric('i')
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!)
    expect(Array.from(sampleRows(frame, MAX_REFERENCE_SAMPLE_ROWS, 4).numeric('i').subarray(0, 50))).not.toEqual(Array.from(values.subarray(0, 50)))

    const run = await keel.startRun({ experiment: 'reference' })
    const outputs = new Frame([numericColumn('prediction', new Float64Array(rows))])
    const saved = await saveReference(keel, run.id, frame, outputs)
    expect([saved.profiledRows, saved.sampleRows]).toEqual([rows, MAX_REFERENCE_SAMPLE_ROWS])
    expect((await loadReference(keel, `runs:/${run.id}/model`))!.profile.rows).toBe(rows)
    await expect(saveReference(keel, run.id, frame, new Frame([numericColumn('prediction', [1])]))).rejects.toThrow(/120000 rows but the outputs 1/)
    await expect(saveReference(keel, run.id, frame, new Frame([numericColumn('i', new Float64Array(rows))]))).rejects.toThrow(/also an input column/)
    await expect(saveReference(keel, run.id, frame, outputs, { maxSampleRows: 60_000 })).rejects.toThrow(/maxSampleRows/)
    await expect(saveReference(keel, run.id, frame, outputs, { labels: [1, 0] })).rejects.toThrow(/120000 rows but 2 labels/)
    const clash = new Frame([numericColumn('__label', new Float64Array(rows))])
    await expect(saveReference(keel, run.id, clash, outputs)).rejects.toThrow(/'__label' is reserved/)
    // Labels follow their rows through the sampling.
    const labels = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 'a' : i % 3 === 1 ? 'b' : null))
    await saveReference(keel, run.id, frame, outputs, { labels })
    const labelled = (await loadReference(keel, `runs:/${run.id}/model`))!
    expect(labelled.sample.names).toEqual(['i', 'prediction'])
    expect(labelled.profile.columns.map((c) => c.name)).toEqual(['i', 'prediction'])
    const ids = labelled.sample.numeric('i')
    for (let r = 0; r < labelled.sample.rows; r++) expect(labelled.labels![r]).toBe(labels[ids[r]!])
    await run.end()
  })
})

describe('reference data of imported versions', () => {
  let store: ServingStore
  let keel: Keel

  beforeEach(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri, { user: 'tester' })
  })

  afterEach(async () => {
    await keel.close()
    store.remove()
  })

  it('is absent until saveReferenceForVersion logs it beside that version', async () => {
    expect(await loadReference(keel, 'models:/fraud@champion')).toBeUndefined()
    const expected = xgbBinaryExpected()
    const inputs = new Frame(
      expected.features.map((name, j) => numericColumn(name, expected.inputs.map((row) => row[j] ?? Number.NaN))),
    )
    const outputs = new Frame([
      categoricalColumn('prediction', expected.probabilities.map((p) => (p > 0.5 ? '1' : '0'))),
      numericColumn('probability_1', expected.probabilities),
    ])
    await saveReferenceForVersion(keel, 'models:/fraud/1', inputs, outputs, { labels: expected.probabilities.map((p) => (p > 0.5 ? 1 : 0)) })
    const reference = await loadReference(keel, 'models:/fraud@champion')
    expect(reference?.labels).toEqual(expected.probabilities.map((p) => (p > 0.5 ? '1' : '0')))
    expect(reference?.sample.names).toEqual([...expected.features, 'prediction', 'probability_1'])
    expect(reference?.profile.rows).toBe(expected.inputs.length)
    expect(Array.from(reference!.sample.numeric('probability_1'))).toEqual(expected.probabilities)
    // Version 2 has its own run: still nothing there.
    expect(await loadReference(keel, 'models:/fraud/2')).toBeUndefined()
  })

  it('keel monitor reference scores a labelled file with the imported model and stores it with the labels', async () => {
    const expected = xgbBinaryExpected()
    const csv = join(store.dir, 'holdout.csv')
    const labels = expected.probabilities.map((p, i) => (i % 4 === 0 ? (p > 0.5 ? 'no' : 'yes') : p > 0.5 ? 'yes' : 'no'))
    const lines = [[...expected.features, 'y'].join(','), ...expected.inputs.map((row, i) => [...row.map((v) => (v === null ? '' : String(v))), labels[i]].join(','))]
    writeFileSync(csv, `${lines.join('\n')}\n`)
    const env = { KEEL_STORE: store.storeUri }
    const missing = await runCli(['monitor', 'reference', 'models:/fraud/2', '--data', csv, '--label', 'outcome'], env)
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/no column 'outcome'/)
    const result = await runCli(['monitor', 'reference', 'models:/fraud/2', '--data', csv, '--label', 'y', '--json'], env)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toMatchObject({ model: 'models:/fraud/2', rows: expected.inputs.length, labelled: true })
    const reference = await loadReference(keel, 'models:/fraud@challenger')
    expect(reference?.sample.names).toEqual([...expected.features, 'prediction', 'probability_0', 'probability_1'])
    const proba = reference!.sample.numeric('probability_1')
    expected.probabilities.forEach((p, i) => expect(proba[i]).toBeCloseTo(p, 5))
    expect(reference?.labels).toEqual(labels)
  })
})
