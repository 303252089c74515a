import { open, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import { Readable } from 'node:stream'
import { invalidParameter, isKeelError, KeelError, notFound } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { readCsv } from './csv-reader.js'
import { readJsonLines } from './jsonl-reader.js'
import { parquetBatches, parquetColumns } from './parquet-batches.js'
import type { ReadProgress, SchemaType } from './read-options.js'

export interface BatchReadOptions {
  /** Rows per batch (Parquet: per row group, split further when a group is larger). */
  readonly batchRows: number
  /** Read only these columns, in this order. */
  readonly columns?: readonly string[]
  /**
   * Types of some columns. Columns not listed take the types the first batch shows, and every later batch is
   * read with those, so all batches agree (as one whole-file read would).
   */
  readonly schema?: Readonly<Record<string, SchemaType>>
  /** Bytes per read from the file (default 1 MiB). */
  readonly chunkSize?: number
  readonly onProgress?: (progress: ReadProgress) => void
}

/** A data file opened for batch reading: its column names (known before any row is read) and its batches. */
export interface BatchSource {
  readonly columns: readonly string[]
  batches(): AsyncGenerator<Frame>
}

/**
 * Opens a CSV / TSV / JSON Lines / Parquet file for reading in batches of rows, in order, holding about one
 * batch in memory whatever the file's size. Text formats are split into rows on record boundaries (CSV
 * quotes honoured) and each batch is parsed by the whole-file reader, so values read exactly as
 * `readDataset` reads them; errors name the row (or line) in the whole file. A file with a header and no rows
 * gives one empty batch.
 */
export async function openBatches(path: string, options: BatchReadOptions): Promise<BatchSource> {
  if (!Number.isInteger(options.batchRows) || options.batchRows < 1) throw invalidParameter(`batchRows must be a positive integer, got ${options.batchRows}.`)
  const ext = extname(path).toLowerCase()
  const format = ext === '.csv' ? 'csv' : ext === '.tsv' || ext === '.tab' ? 'tsv' : ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : ext === '.parquet' || ext === '.pq' ? 'parquet' : undefined
  if (format === undefined) {
    throw invalidParameter(`Cannot tell the format of '${path}' from its extension '${ext}'; use .csv, .tsv, .jsonl, .ndjson or .parquet.`)
  }
  let size: number
  try {
    const info = await stat(path)
    if (!info.isFile()) throw invalidParameter(`'${path}' is not a file; pass the path of a data file.`)
    size = info.size
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No file at '${path}'; check the path.`)
    throw error
  }
  if (size === 0) throw invalidParameter(`'${path}' is empty; it needs ${format === 'jsonl' ? 'JSON lines' : format === 'parquet' ? 'Parquet data' : 'a header row and data rows'}.`)
  if (format === 'parquet') {
    const columns = await parquetColumns(path)
    return { columns, batches: () => parquetBatches(path, options) }
  }
  const delimiter = format === 'tsv' ? 9 : 44
  if (format === 'jsonl') {
    const columns = await jsonlColumns(path)
    return { columns, batches: () => textBatches(path, size, options, 'jsonl', delimiter) }
  }
  const header = await firstRecord(path, options.chunkSize)
  const columns = splitHeader(header, delimiter)
  return { columns, batches: () => textBatches(path, size, options, 'csv', delimiter) }
}

/** Column names of a JSON Lines file: the keys of its first object (the reader adds later keys as it meets them). */
async function jsonlColumns(path: string): Promise<string[]> {
  const line = (await firstRecord(path, undefined)).toString('utf8').trim()
  try {
    const row = JSON.parse(line) as unknown
    return typeof row === 'object' && row !== null && !Array.isArray(row) ? Object.keys(row) : []
  } catch {
    return []
  }
}

async function firstRecord(path: string, chunkSize: number | undefined): Promise<Buffer> {
  for await (const { bytes } of records(path, chunkSize ?? 1 << 16, 1, true)) return bytes
  return Buffer.alloc(0)
}

function splitHeader(line: Buffer, delimiter: number): string[] {
  const text = line.toString('utf8').replace(/^\uFEFF/, '').replace(/\r?\n$/, '')
  return text.split(String.fromCharCode(delimiter)).map((f) => f.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"'))
}

async function* textBatches(path: string, size: number, options: BatchReadOptions, kind: 'csv' | 'jsonl', delimiter: number): AsyncGenerator<Frame> {
  let header: Buffer | undefined
  let schema: Record<string, SchemaType> | undefined = options.schema === undefined ? undefined : { ...options.schema }
  let rowsBefore = 0
  let linesBefore = kind === 'csv' ? 1 : 0
  let emitted = false
  const quoted = kind === 'csv'
  for await (const { bytes, records: n, consumed } of records(path, options.chunkSize ?? 1 << 20, options.batchRows, quoted, kind === 'csv')) {
    if (kind === 'csv' && header === undefined) {
      header = bytes
      continue
    }
    const body = header === undefined ? bytes : Buffer.concat([header, bytes])
    let frame: Frame
    try {
      const common = {
        ...(options.columns === undefined ? {} : { columns: options.columns }),
        ...(schema === undefined ? {} : { schema }),
      }
      frame = kind === 'csv' ? await readCsv(Readable.from([body]), { ...common, delimiter: String.fromCharCode(delimiter) }) : await readJsonLines(Readable.from([body]), common)
    } catch (error) {
      throw shiftRows(error, path, rowsBefore, linesBefore)
    }
    if (frame.rows === 0 && kind === 'jsonl' && n > 0) {
      linesBefore += n
      continue
    }
    // Later batches read with the first batch's types, so a column cannot change type between batches.
    schema ??= {}
    for (const name of frame.names) schema[name] ??= typeOfColumn(frame, name)
    rowsBefore += frame.rows
    linesBefore += n
    emitted = true
    options.onProgress?.({ bytes: consumed, totalBytes: size, rows: rowsBefore })
    yield frame
  }
  if (!emitted) {
    if (header === undefined) throw invalidParameter(`'${path}' has no ${kind === 'csv' ? 'header row' : 'JSON object'}; it needs data to score.`)
    yield await readCsv(Readable.from([header]), { ...(options.columns === undefined ? {} : { columns: options.columns }), delimiter: String.fromCharCode(delimiter) })
  }
}

function typeOfColumn(frame: Frame, name: string): SchemaType {
  const column = frame.column(name)
  if (column.kind === 'categorical') return 'category'
  // An int column may meet a fraction in a later batch; its values are float64 either way.
  return column.dtype === 'int' ? 'float' : column.dtype
}

/** Rewrites a batch's row / line number into the whole file's and names the file. */
function shiftRows(error: unknown, path: string, rowsBefore: number, linesBefore: number): unknown {
  if (!isKeelError(error)) return error
  const message = error.message
    .replace(/data row (\d+)/g, (_, r: string) => `data row ${Number(r) + rowsBefore}`)
    .replace(/line (\d+)/g, (_, l: string) => `line ${Number(l) + linesBefore}`)
  const details = { ...error.details, file: path, ...(typeof error.details['row'] === 'number' ? { row: (error.details['row'] as number) + rowsBefore } : {}) }
  return new KeelError(error.code, `'${path}': ${message}`, { details, cause: error })
}

interface RecordRun {
  /** Whole records (each ending in a newline, except perhaps the file's last). */
  bytes: Buffer
  records: number
  /** Bytes of the file consumed so far. */
  consumed: number
}

/**
 * Yields the file as runs of `perRun` records (a first run of one record, the header, when `headerFirst`).
 * A record ends at a newline outside double quotes when `quoted` (CSV), else at any newline (JSON Lines).
 */
async function* records(path: string, chunkSize: number, perRun: number, quoted: boolean, headerFirst = false): AsyncGenerator<RecordRun> {
  const handle = await open(path, 'r')
  try {
    let pieces: Buffer[] = []
    let count = 0
    let target = headerFirst ? 1 : perRun
    let inQuote = false
    let consumed = 0
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize)
      const { bytesRead } = await handle.read(chunk, 0, chunkSize, null)
      if (bytesRead === 0) break
      const buf = chunk.subarray(0, bytesRead)
      let from = 0
      let i = 0
      const plain = !quoted || (!inQuote && buf.indexOf(34) === -1)
      while (i < bytesRead) {
        let nl: number
        if (plain) {
          nl = buf.indexOf(10, i)
          if (nl === -1) break
        } else {
          nl = -1
          for (let j = i; j < bytesRead; j++) {
            const b = buf[j]!
            if (b === 34) inQuote = !inQuote
            else if (b === 10 && !inQuote) {
              nl = j
              break
            }
          }
          if (nl === -1) {
            i = bytesRead
            break
          }
        }
        i = nl + 1
        count++
        if (count === target) {
          pieces.push(buf.subarray(from, i))
          from = i
          yield { bytes: Buffer.concat(pieces), records: count, consumed: consumed + i }
          pieces = []
          count = 0
          target = perRun
        }
      }
      if (from < bytesRead) pieces.push(buf.subarray(from, bytesRead))
      consumed += bytesRead
    }
    const rest = Buffer.concat(pieces)
    // A last record without a final newline still counts; blank trailing bytes do not.
    if (rest.length > 0 && rest.toString('utf8').trim() !== '') yield { bytes: rest, records: count + (rest[rest.length - 1] === 10 ? 0 : 1), consumed }
  } finally {
    await handle.close()
  }
}
