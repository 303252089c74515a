import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { open } from 'node:fs/promises'
import { extname } from 'node:path'
import { invalidParameter, isKeelError } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { cellValue } from '../core/frame.js'
import { readDataset } from '../data/read-dataset.js'
import type { ReadProgress, SchemaType } from '../data/read-options.js'
import type { ScoringModel, Scores } from './scoring-model.js'

export const DEFAULT_BATCH_ROWS = 65_536

export interface ScoreFileOptions {
  input: string
  output: string
  /** Input columns copied to the output before the predictions (ids). */
  keep?: readonly string[]
  /** Rows scored and written per batch (default 65,536). */
  batchRows?: number
  onProgress?: (stage: 'reading' | 'scoring', progress: ReadProgress) => void
  /** Called once the input is read and checked, before scoring (e.g. to start worker threads for big inputs). */
  beforeScoring?: (rows: number) => Promise<void>
}

export interface ScoreFileResult {
  rows: number
  columns: string[]
  readMs: number
  scoreMs: number
}

/**
 * Scores a CSV / Parquet / JSON Lines file into a CSV: the kept columns, `prediction` (the class label for
 * classifiers) and `probability_<class>` per class. keel's readers return whole frames, so the file is read
 * once (only the needed columns, for CSV) and then scored and written batch by batch, with backpressure.
 */
export async function scoreFile(model: ScoringModel, options: ScoreFileOptions): Promise<ScoreFileResult> {
  const keep = [...(options.keep ?? [])]
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS
  if (!Number.isInteger(batchRows) || batchRows < 1) throw invalidParameter(`--batch-rows must be a positive integer, got ${batchRows}.`)
  const needed = [...new Set([...keep, ...model.inputs])]
  const started = performance.now()
  const frame = await readInput(options.input, needed, model.schema, options.onProgress)
  const absent = needed.filter((c) => !frame.has(c))
  if (absent.length > 0) throw missingColumns(options.input, absent, model, keep)
  const readMs = performance.now() - started
  await options.beforeScoring?.(frame.rows)

  const scoring = performance.now()
  const out = createWriteStream(options.output)
  const failed = new Promise<never>((_, reject) => out.once('error', (e) => reject(invalidParameter(`Cannot write --output '${options.output}': ${e.message}`))))
  failed.catch(() => undefined)
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed])
  }
  let columns: string[] = []
  try {
    for (let start = 0; start < frame.rows || start === 0; start += batchRows) {
      const batch = frame.slice(start, Math.min(frame.rows, start + batchRows))
      const scores = await model.score(batch)
      if (start === 0) {
        columns = [...keep, ...outputColumns(model, scores)]
        await write(`${columns.map(csvField).join(',')}\n`)
      }
      await write(formatBatch(batch, keep, model, scores))
      options.onProgress?.('scoring', { bytes: start + batch.rows, totalBytes: frame.rows, rows: start + batch.rows })
      if (frame.rows === 0) break
    }
    out.end()
    await Promise.race([once(out, 'finish'), failed])
  } finally {
    out.destroy()
  }
  return { rows: frame.rows, columns, readMs, scoreMs: performance.now() - scoring }
}

async function readInput(path: string, needed: readonly string[], modelSchema: Readonly<Record<string, SchemaType>>, onProgress: ScoreFileOptions['onProgress']): Promise<Frame> {
  const isCsv = extname(path).toLowerCase() === '.csv'
  const schema: Record<string, SchemaType> = {}
  try {
    let columns: readonly string[] | undefined
    if (isCsv) {
      // Check the header first so every missing column is named at once, then read only what is needed.
      const header = await readCsvHeader(path)
      const present = new Set(header)
      if (needed.every((c) => present.has(c))) columns = needed
    }
    for (const [name, type] of Object.entries(modelSchema)) if (columns === undefined || columns.includes(name)) schema[name] = type
    return await readDataset(path, {
      ...(columns === undefined ? {} : { columns, schema }),
      ...(onProgress === undefined ? {} : { onProgress: (p: ReadProgress) => onProgress('reading', p) }),
    })
  } catch (error) {
    if (isKeelError(error)) throw error
    throw invalidParameter(`Cannot read --input '${path}': ${(error as Error).message}`, { cause: error })
  }
}

/** The first line of a CSV file, split on commas (quoted names unquoted). */
async function readCsvHeader(path: string): Promise<string[]> {
  const file = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(1 << 16)
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
    const text = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '')
    const line = text.split(/\r?\n/, 1)[0] ?? ''
    return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"'))
  } finally {
    await file.close()
  }
}

function missingColumns(input: string, absent: readonly string[], model: ScoringModel, keep: readonly string[]): Error {
  const forModel = absent.filter((c) => model.inputs.includes(c))
  const forKeep = absent.filter((c) => !model.inputs.includes(c) && keep.includes(c))
  const parts: string[] = []
  if (forModel.length > 0) parts.push(`lacks column(s) ${forModel.map((c) => `'${c}'`).join(', ')} that the model needs (it reads: ${model.inputs.join(', ')})`)
  if (forKeep.length > 0) parts.push(`lacks --keep column(s) ${forKeep.map((c) => `'${c}'`).join(', ')}`)
  return invalidParameter(`The input '${input}' ${parts.join(' and ')}.`)
}

function outputColumns(model: ScoringModel, scores: Scores): string[] {
  if (scores.width !== undefined && scores.width > 1) return Array.from({ length: scores.width }, (_, i) => `output_${i}`)
  const classes = model.classes
  if (scores.proba !== undefined && classes !== undefined) return ['prediction', ...classes.map((c) => `probability_${c}`)]
  return ['prediction']
}

function formatBatch(batch: Frame, keep: readonly string[], model: ScoringModel, scores: Scores): string {
  const kept = keep.map((name) => batch.column(name))
  const width = scores.width ?? 1
  const classes = model.classes
  const proba = scores.proba
  const k = classes?.length ?? 0
  const labels = classes?.map(csvField)
  const lines: string[] = new Array<string>(batch.rows)
  for (let i = 0; i < batch.rows; i++) {
    let line = ''
    for (const column of kept) line += `${csvCell(cellValue(column, i))},`
    if (width > 1) {
      for (let j = 0; j < width; j++) line += (j === 0 ? '' : ',') + num(scores.prediction[i * width + j]!)
    } else if (proba !== undefined && labels !== undefined) {
      const p = scores.prediction[i]!
      line += labels[p] ?? num(p)
      for (let c = 0; c < k; c++) line += `,${num(proba[i * k + c]!)}`
    } else {
      line += num(scores.prediction[i]!)
    }
    lines[i] = line
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

function num(v: number): string {
  return Number.isNaN(v) ? '' : String(v)
}

function csvCell(v: number | string | null): string {
  if (v === null) return ''
  return typeof v === 'number' ? num(v) : csvField(v)
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
