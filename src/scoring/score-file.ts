import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { rename, rm } from 'node:fs/promises'
import { invalidParameter, isKeelError, notFound } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { cellValue } from '../core/frame.js'
import { openBatches } from '../data/batch-reader.js'
import type { BatchSource } from '../data/batch-reader.js'
import type { ReadProgress, SchemaType } from '../data/read-options.js'
import type { ScoringModel, Scores } from './scoring-model.js'

export const DEFAULT_BATCH_ROWS = 65_536

export interface ScoreFileOptions {
  input: string
  output: string
  /** Input columns copied to the output before the predictions (ids). */
  keep?: readonly string[]
  /** Rows read, scored and written per batch (default 65,536). Memory grows with it, not with the file. */
  batchRows?: number
  /** After each batch: rows scored so far, and the input bytes consumed of its size. */
  onProgress?: (progress: ReadProgress) => void
  /**
   * Called once, after the first batch is read and checked and before it is scored, with the input's
   * estimated row count (e.g. to start worker threads only for big inputs).
   */
  beforeScoring?: (estimatedRows: number) => Promise<void>
}

export interface ScoreFileResult {
  rows: number
  batches: number
  columns: string[]
  /** Time spent reading and parsing the input. */
  readMs: number
  /** Time spent scoring and formatting (writing overlaps both). */
  scoreMs: number
}

/**
 * Scores a CSV / TSV / Parquet / JSON Lines file into a CSV, batch by batch in input order: the kept columns,
 * `prediction` (the class label for classifiers) and `probability_<class>` per class. Memory holds about one
 * batch whatever the input's size. The CSV is written to `<output>.partial` and renamed to `output` only when
 * every row is written, so a failed run never leaves a file that looks complete.
 */
export async function scoreFile(model: ScoringModel, options: ScoreFileOptions): Promise<ScoreFileResult> {
  const keep = [...(options.keep ?? [])]
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS
  if (!Number.isInteger(batchRows) || batchRows < 1) throw invalidParameter(`--batch-rows must be a positive integer, got ${batchRows}.`)
  const needed = [...new Set([...keep, ...model.inputs])]
  const schema: Record<string, SchemaType> = {}
  for (const [name, type] of Object.entries(model.schema)) if (needed.includes(name)) schema[name] = type
  let latest: ReadProgress = { bytes: 0, totalBytes: undefined, rows: 0 }
  const source = await openInput(options.input, { batchRows, columns: needed, schema, onProgress: (p) => (latest = p) }, needed, model, keep)

  const partial = `${options.output}.partial`
  const out = createWriteStream(partial)
  const failed = new Promise<never>((_, reject) => out.once('error', (e) => reject(invalidParameter(`Cannot write --output '${options.output}': ${e.message}`))))
  failed.catch(() => undefined)
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await Promise.race([once(out, 'drain'), failed])
  }
  let columns: string[] = []
  let rows = 0
  let batches = 0
  let readMs = 0
  let scoreMs = 0
  let complete = false
  try {
    const iterator = source.batches()
    let t = performance.now()
    let next = iterator.next()
    for (;;) {
      const item = await readStep(next, options.input)
      readMs += performance.now() - t
      if (item.done === true) break
      const batch = item.value
      const consumed = latest
      if (batches === 0) {
        const estimate = consumed.totalBytes !== undefined && consumed.bytes > 0 ? Math.round((batch.rows * consumed.totalBytes) / consumed.bytes) : batch.rows
        await options.beforeScoring?.(estimate)
      }
      t = performance.now()
      // Read ahead: the next batch parses while worker threads score this one.
      next = iterator.next()
      next.catch(() => undefined)
      const scores = await model.score(batch)
      if (batches === 0) {
        columns = [...keep, ...outputColumns(model, scores)]
        await write(`${columns.map(csvField).join(',')}\n`)
      }
      const text = formatBatch(batch, keep, model, scores)
      scoreMs += performance.now() - t
      await write(text)
      rows += batch.rows
      batches++
      options.onProgress?.({ bytes: consumed.bytes, totalBytes: consumed.totalBytes, rows })
      t = performance.now()
    }
    out.end()
    await Promise.race([once(out, 'finish'), failed])
    await rename(partial, options.output)
    complete = true
  } finally {
    out.destroy()
    if (!complete) await rm(partial, { force: true })
  }
  return { rows, batches, columns, readMs, scoreMs }
}

async function openInput(path: string, options: Parameters<typeof openBatches>[1], needed: readonly string[], model: ScoringModel, keep: readonly string[]): Promise<BatchSource> {
  let header: BatchSource
  try {
    const { columns: _all, ...everyColumn } = options
    header = await openBatches(path, everyColumn)
  } catch (error) {
    throw asInputError(error, path)
  }
  const present = new Set(header.columns)
  const absent = needed.filter((c) => !present.has(c))
  // JSON Lines name their columns row by row: only the first row's keys are known here.
  if (absent.length > 0 && !/\.(jsonl|ndjson)$/i.test(path)) throw missingColumns(path, absent, model, keep)
  return openBatches(path, options)
}

async function readStep(next: Promise<IteratorResult<Frame>>, path: string): Promise<IteratorResult<Frame>> {
  try {
    return await next
  } catch (error) {
    throw asInputError(error, path)
  }
}

function asInputError(error: unknown, path: string): Error {
  if (isKeelError(error)) {
    const { column, row, value } = error.details
    if (typeof column === 'string' && typeof row === 'number' && typeof value === 'string' && /is declared '(float|int)'/.test(error.message)) {
      return invalidParameter(
        `The input '${path}' has the value '${value}' in column '${column}' at data row ${row}, which is not a number; the model reads '${column}' as a number (leave a missing value empty). Fix or drop that row.`,
        { file: path, column, row, value },
      )
    }
    if (error.code === 'RESOURCE_DOES_NOT_EXIST') return notFound(`Cannot read --input '${path}': there is no such file; check the path.`)
    return error
  }
  return invalidParameter(`Cannot read --input '${path}': ${(error as Error).message}`, { cause: error })
}

function missingColumns(input: string, absent: readonly string[], model: ScoringModel, keep: readonly string[]): Error {
  const forModel = absent.filter((c) => model.inputs.includes(c))
  const forKeep = absent.filter((c) => !model.inputs.includes(c) && keep.includes(c))
  const parts: string[] = []
  if (forModel.length > 0) parts.push(`lacks column(s) ${forModel.map((c) => `'${c}'`).join(', ')} that the model needs (it reads: ${model.inputs.join(', ')})`)
  if (forKeep.length > 0) parts.push(`lacks --keep column(s) ${forKeep.map((c) => `'${c}'`).join(', ')}`)
  return invalidParameter(`The input '${input}' ${parts.join(' and ')}. Add the column(s) to the file, or score it with the model that matches it.`)
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
