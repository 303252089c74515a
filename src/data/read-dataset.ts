import { extname } from 'node:path'
import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { readCsv, type CsvReadOptions } from './csv-reader.js'
import { readJsonLines } from './jsonl-reader.js'
import { readParquet } from './parquet-reader.js'

export type DatasetReadOptions = CsvReadOptions

/** Picks the reader by extension: .csv, .tsv (tab-delimited), .jsonl/.ndjson, .parquet. */
export async function readDataset(path: string, options: DatasetReadOptions = {}): Promise<Frame> {
  const ext = extname(path).toLowerCase()
  const { delimiter, header, ...common } = options
  switch (ext) {
    case '.csv':
      return readCsv(path, options)
    case '.tsv':
    case '.tab':
      return readCsv(path, { ...options, delimiter: delimiter ?? '\t' })
    case '.jsonl':
    case '.ndjson':
      return readJsonLines(path, common)
    case '.parquet':
    case '.pq': {
      const { inferRows: _i, onTypeConflict: _o, detectDates: _d, missing: _m, chunkSize: _c, ...parquet } = common
      return readParquet(path, parquet)
    }
    default:
      throw invalidParameter(`Cannot tell the format of '${path}' from its extension '${ext}'; use .csv, .tsv, .jsonl, .ndjson or .parquet, or call readCsv/readJsonLines/readParquet directly.`)
  }
}
