import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { Frame, numericColumn } from '../../src/core/frame.js'
import { readDataset } from '../../src/data/read-dataset.js'
import { XgboostPredictor } from '../../src/models/formats/xgboost.js'
import { loadTrainedModel, readTrainingSpec, train } from '../../src/training/index.js'
import { tempDir } from '../support/temp-dir.js'
import { runCli } from '../support/run-cli.js'
import type { CliResult } from '../support/run-cli.js'

const XGB = new URL('../fixtures/xgboost/', import.meta.url).pathname
const TRAINING = new URL('../fixtures/training/', import.meta.url).pathname

interface Expected {
  features: string[]
  inputs: Array<Array<number | null>>
  predictions: number[] | number[][]
}

let dir: { path: string; remove: () => void }
beforeEach(() => {
  dir = tempDir('keel-predict-')
})
afterEach(() => dir.remove())

const cli = (args: string[]): Promise<CliResult> =>
  runCli(args, { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}`, KEEL_USER: 'scorer' })

function readCsvRows(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) }
}

/** Writes the fixture's inputs as CSV with an `id` column first (missing values as empty fields). */
function writeInputs(path: string, expected: Expected, drop: readonly string[] = []): void {
  const keep = expected.features.map((f, j) => [f, j] as const).filter(([f]) => !drop.includes(f))
  const lines = [['id', ...keep.map(([f]) => f)].join(',')]
  expected.inputs.forEach((row, i) => lines.push([`row-${i}`, ...keep.map(([, j]) => (row[j] === null ? '' : String(row[j])))].join(',')))
  writeFileSync(path, `${lines.join('\n')}\n`)
}

async function importXgboost(kind: 'binary' | 'multiclass', name: string): Promise<void> {
  const imported = await cli(['models', 'import', '--name', name, '--format', 'xgboost', join(XGB, `${kind}.model.json`)])
  expect(imported.code, imported.stderr).toBe(0)
  const alias = await cli(['models', 'alias', 'set', name, 'champion', '1'])
  expect(alias.code, alias.stderr).toBe(0)
}

describe('keel predict with an imported XGBoost model', () => {
  it.each([
    ['binary', 1],
    ['multiclass', 1],
    ['binary', 2],
    ['multiclass', 2],
  ] as const)('%s model, %i thread(s): the CSV equals XgboostPredictor in memory and XGBoost to 1e-6', async (kind, threads) => {
    await importXgboost(kind, `xgb-${kind}`)
    const expected = JSON.parse(readFileSync(join(XGB, `${kind}.expected.json`), 'utf8')) as Expected
    const input = join(dir.path, 'input.csv')
    const output = join(dir.path, 'scores.csv')
    writeInputs(input, expected)

    const result = await cli(['predict', '--model', `models:/xgb-${kind}@champion`, '--input', input, '--output', output, '--keep', 'id', '--batch-rows', '7', '--threads', String(threads), '--json'])
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout) as { rows: number; threads: number }
    expect(summary).toMatchObject({ rows: expected.inputs.length, threads })

    const predictor = XgboostPredictor.fromJson(readFileSync(join(XGB, `${kind}.model.json`), 'utf8'))
    const k = predictor.classes!.length
    const frame = new Frame(expected.features.map((f, j) => numericColumn(f, expected.inputs.map((r) => r[j] ?? Number.NaN))))
    const labels = predictor.predict(frame)
    const proba = predictor.predictProba(frame)

    const { header, rows } = readCsvRows(output)
    expect(header).toEqual(['id', 'prediction', ...predictor.classes!.map((c) => `probability_${c}`)])
    expect(rows).toHaveLength(expected.inputs.length)
    rows.forEach((row, i) => {
      expect(row[0]).toBe(`row-${i}`)
      expect(row[1]).toBe(predictor.classes![labels[i]!])
      for (let c = 0; c < k; c++) expect(Number(row[2 + c])).toBe(proba[i * k + c])
      // And XGBoost's own probabilities (binary: P(class 1)).
      const xgb = expected.predictions[i]!
      if (Array.isArray(xgb)) xgb.forEach((p, c) => expect(Math.abs(Number(row[2 + c]) - p)).toBeLessThan(1e-6))
      else expect(Math.abs(Number(row[3]) - xgb)).toBeLessThan(1e-6)
    })
  })

  it('names every missing column and writes nothing', async () => {
    await importXgboost('binary', 'xgb-binary')
    const expected = JSON.parse(readFileSync(join(XGB, 'binary.expected.json'), 'utf8')) as Expected
    const input = join(dir.path, 'input.csv')
    const output = join(dir.path, 'scores.csv')
    writeInputs(input, expected, ['amount', 'score'])
    const result = await cli(['predict', '--model', 'models:/xgb-binary@champion', '--input', input, '--output', output, '--keep', 'account'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("lacks column(s) 'amount', 'score' that the model needs")
    expect(result.stderr).toContain("--keep column(s) 'account'")
    expect(() => readFileSync(output)).toThrow()
  })

  it('refuses an unknown model and an unreadable input', async () => {
    await importXgboost('binary', 'xgb-binary')
    const output = join(dir.path, 'scores.csv')
    const unknown = await cli(['predict', '--model', 'models:/nope@champion', '--input', join(dir.path, 'x.csv'), '--output', output])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/nope/)
    expect(unknown.stderr).toContain('RESOURCE_DOES_NOT_EXIST')
    const missing = await cli(['predict', '--model', 'models:/xgb-binary@champion', '--input', join(dir.path, 'absent.csv'), '--output', output])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`Cannot read --input '${join(dir.path, 'absent.csv')}'`)
  })
})

describe('keel predict with a model trained by keel', () => {
  it('runs the feature pipeline: the CSV equals loadTrainedModel predictions', async () => {
    const keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { user: 'trainer' })
    try {
      await train(await readTrainingSpec(join(TRAINING, 'tiny.yaml')), { keel })
    } finally {
      await keel.close()
    }
    const output = join(dir.path, 'scores.csv')
    const input = join(TRAINING, 'tiny.csv')
    const result = await cli(['predict', '--model', 'models:/tiny-fraud@champion', '--input', input, '--output', output, '--keep', 'id', '--batch-rows', '64'])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toContain('scored    300 rows')

    const reopened = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`)
    try {
      const model = await loadTrainedModel(reopened, 'models:/tiny-fraud@champion')
      const frame = await readDataset(input, { schema: { city: 'category' } })
      const labels = model.predict(frame)
      const proba = model.predictProba(frame)
      const classes = model.manifest.classes!
      const { header, rows } = readCsvRows(output)
      expect(header).toEqual(['id', 'prediction', ...classes.map((c) => `probability_${c}`)])
      expect(rows).toHaveLength(300)
      rows.forEach((row, i) => {
        expect(row[0]).toBe(String(frame.numeric('id')[i]))
        expect(row[1]).toBe(classes[labels[i]!])
        classes.forEach((_, c) => expect(Number(row[2 + c])).toBe(proba[i * classes.length + c]))
      })
    } finally {
      await reopened.close()
    }
  })
})
