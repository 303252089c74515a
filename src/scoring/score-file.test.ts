import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { once } from 'node:events'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import { createRandom } from '../core/random.js'
import { XgboostPredictor } from '../models/formats/xgboost.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { scoreFile } from './score-file.js'
import type { ScoringModel } from './scoring-model.js'
import { xgboostScores } from './xgboost-scores.js'

const FIXTURES = new URL('../../test/fixtures/xgboost/', import.meta.url).pathname

/** The binary fixture as a ScoringModel scored on this thread (what loadScoringModel builds, without a store). */
function binaryModel(): ScoringModel {
  const predictor = XgboostPredictor.fromJson(readFileSync(`${FIXTURES}binary.model.json`, 'utf8'))
  return {
    kind: predictor.kind,
    task: predictor.task,
    classes: predictor.classes,
    inputs: predictor.features,
    schema: Object.fromEntries(predictor.features.map((f) => [f, 'float' as const])),
    score: (frame) => Promise.resolve(xgboostScores(predictor, predictor.predictMargin(frame), frame.rows)),
    useThreads: () => Promise.resolve(1),
    close: () => Promise.resolve(),
  }
}

const FEATURES = ['age', 'amount', 'balance', 'score', 'tenure', 'velocity']

/** `rows` rows: an id (with commas and quotes now and then), the features, about 3 % missing. */
async function writeCsv(path: string, rows: number, seed = 5): Promise<void> {
  const random = createRandom(seed)
  const out = createWriteStream(path)
  out.write(`id,${FEATURES.join(',')}\n`)
  for (let i = 0; i < rows; i++) {
    const id = i % 997 === 0 ? `"row ${i}, ""quoted""\nline"` : `r${i}`
    const values = FEATURES.map(() => (random.next() < 0.03 ? '' : ((random.next() - 0.3) * 300).toFixed(3)))
    if (!out.write(`${id},${values.join(',')}\n`)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

let dir: { path: string; remove: () => void }
beforeEach(() => {
  dir = tempDir('keel-score-file-')
})
afterEach(() => dir.remove())

describe('scoreFile streaming', () => {
  it('scores 250,000 rows in batches of 10,000 exactly as in one batch, in bounded memory', async () => {
    const input = join(dir.path, 'big.csv')
    await writeCsv(input, 250_000)
    const model = binaryModel()
    const whole = await scoreFile(model, { input, output: join(dir.path, 'whole.csv'), keep: ['id'], batchRows: 1_000_000 })
    expect(whole).toMatchObject({ rows: 250_000, batches: 1 })

    const base = process.memoryUsage().heapUsed
    let peak = 0
    const seen: number[] = []
    const streamed = await scoreFile(model, {
      input,
      output: join(dir.path, 'streamed.csv'),
      keep: ['id'],
      batchRows: 10_000,
      onProgress: (p) => {
        seen.push(p.rows)
        peak = Math.max(peak, process.memoryUsage().heapUsed - base)
      },
    })
    expect(streamed).toMatchObject({ rows: 250_000, batches: 25, columns: ['id', 'prediction', 'probability_0', 'probability_1'] })
    expect(seen).toHaveLength(25)
    expect(seen.at(-1)).toBe(250_000)
    const a = readFileSync(join(dir.path, 'whole.csv'), 'utf8')
    const b = readFileSync(join(dir.path, 'streamed.csv'), 'utf8')
    expect(b.length).toBeGreaterThan(250_000 * 20)
    expect(b === a).toBe(true)
    expect(b).toContain('"row 997, ""quoted""\nline",')
    // One batch of 10,000 rows is well under 10 MB in memory; the whole input scored at once is far more.
    expect(peak).toBeLessThan(48 * 1024 * 1024)
    expect(existsSync(join(dir.path, 'streamed.csv.partial'))).toBe(false)
  }, 60_000)

  it('streams JSON Lines and Parquet to the same CSV as the CSV input', async () => {
    const rows = 2_500
    const csv = join(dir.path, 'in.csv')
    await writeCsv(csv, rows, 9)
    const text = readFileSync(csv, 'utf8')
    // Parse back the generated rows (ids here never contain commas: every 997th row is quoted, skip-safe).
    const model = binaryModel()
    const records: Array<Record<string, number | null>> = []
    const random = createRandom(9)
    for (let i = 0; i < rows; i++) {
      const r: Record<string, number | null> = {}
      for (const f of FEATURES) r[f] = random.next() < 0.03 ? null : Number(((random.next() - 0.3) * 300).toFixed(3))
      records.push(r)
    }
    expect(text.split('\n').length).toBeGreaterThan(rows)
    const jsonl = join(dir.path, 'in.jsonl')
    writeFileSync(jsonl, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`)
    const parquet = join(dir.path, 'in.parquet')
    const columnData = FEATURES.map((f) => ({ name: f, data: records.map((r) => r[f] ?? null), type: 'DOUBLE' as const }))
    writeFileSync(parquet, Buffer.from(parquetWriteBuffer({ columnData, rowGroupSize: 700 })))
    const outputs: string[] = []
    for (const input of [csv, jsonl, parquet]) {
      const output = join(dir.path, `${outputs.length}.csv`)
      const result = await scoreFile(model, { input, output, batchRows: 300 })
      expect(result.rows).toBe(rows)
      outputs.push(readFileSync(output, 'utf8'))
    }
    expect(outputs[1]).toBe(outputs[0])
    expect(outputs[2]).toBe(outputs[0])
  })
})

describe('scoreFile bad input', () => {
  async function failure(input: string, batchRows = 100): Promise<{ message: string; output: string }> {
    const output = join(dir.path, 'out.csv')
    try {
      await scoreFile(binaryModel(), { input, output, keep: ['id'], batchRows })
    } catch (error) {
      expect(isKeelError(error)).toBe(true)
      expect(existsSync(output)).toBe(false)
      expect(existsSync(`${output}.partial`)).toBe(false)
      return { message: (error as Error).message, output }
    }
    throw new Error('scoreFile should have failed')
  }

  it('names a missing feature column and says how to fix it', async () => {
    const input = join(dir.path, 'in.csv')
    writeFileSync(input, 'id,age,amount,balance,score,tenure\nr1,1,2,3,4,5\n')
    const { message } = await failure(input)
    expect(message).toContain("lacks column(s) 'velocity' that the model needs")
    expect(message).toContain('Add the column(s)')
  })

  it('names the column, row and value of a non-numeric value in a later batch, and leaves no output', async () => {
    const input = join(dir.path, 'in.csv')
    await writeCsv(input, 1_000)
    const lines = readFileSync(input, 'utf8').split('\n')
    // Row r749 is data row 750 (row r0's quoted id spans two lines): its amount becomes text.
    const at = lines.findIndex((l) => l.startsWith('r749,'))
    const row = lines[at]!.split(',')
    row[2] = 'twelve'
    lines[at] = row.join(',')
    writeFileSync(input, lines.join('\n'))
    const { message } = await failure(input)
    expect(message).toContain("'twelve' in column 'amount' at data row 750")
    expect(message).toContain('not a number')
  })

  it('refuses an empty file, a header-only file scores to a header-only CSV', async () => {
    const empty = join(dir.path, 'empty.csv')
    writeFileSync(empty, '')
    expect((await failure(empty)).message).toMatch(/empty\.csv' is empty/)
    const headerOnly = join(dir.path, 'header.csv')
    writeFileSync(headerOnly, `id,${FEATURES.join(',')}\n`)
    const output = join(dir.path, 'header-out.csv')
    const result = await scoreFile(binaryModel(), { input: headerOnly, output, keep: ['id'] })
    expect(result.rows).toBe(0)
    expect(readFileSync(output, 'utf8')).toBe('id,prediction,probability_0,probability_1\n')
  })

  it('refuses an unknown extension, naming the formats', async () => {
    const input = join(dir.path, 'in.xlsx')
    writeFileSync(input, 'x')
    const { message } = await failure(input)
    expect(message).toContain("extension '.xlsx'")
    expect(message).toContain('.csv, .tsv, .jsonl, .ndjson or .parquet')
  })
})
