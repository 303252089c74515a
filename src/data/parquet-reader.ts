import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema, type SchemaElement } from 'hyparquet'
import { invalidParameter, notFound } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { FrameBuilder, T_CATEGORY } from './frame-builder.js'
import { parseDateTimeString } from './parse-datetime.js'
import { checkReadOptions, normaliseSchemaType, selectColumns, type ColumnType, type ReadOptions } from './read-options.js'

export type ParquetReadOptions = Omit<ReadOptions, 'inferRows' | 'onTypeConflict' | 'detectDates' | 'missing'>

/**
 * Reads a Parquet file with hyparquet, one column chunk at a time, into a Frame. Types come from the
 * Parquet schema: BOOLEAN → bool, integer types → int, FLOAT/DOUBLE/DECIMAL → float, DATE/TIMESTAMP/INT96 →
 * datetime (epoch ms), strings (UTF8/STRING/ENUM/JSON and unannotated BYTE_ARRAY) → categorical; nulls are
 * missing. `schema` overrides convert (e.g. an int column read as 'category'). Nested columns are rejected.
 */
export async function readParquet(path: string, options: ParquetReadOptions = {}): Promise<Frame> {
  checkReadOptions(options)
  let file
  try {
    file = await asyncBufferFromFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No file at '${path}'; check the path.`)
    throw error
  }
  let metadata
  try {
    metadata = await parquetMetadataAsync(file)
  } catch (error) {
    throw invalidParameter(`'${path}' is not a readable Parquet file (${(error as Error).message}).`)
  }
  const top = parquetSchema(metadata).children
  const header = top.map((child) => child.element.name)
  const selected = selectColumns(header, options)
  const names = selected.map((i) => header[i]!)
  const fileTypes = selected.map((i) => {
    const child = top[i]!
    if (child.children.length > 0) {
      throw invalidParameter(`Parquet column '${child.element.name}' is nested (a struct, list or map); select flat columns with the columns option.`)
    }
    return parquetColumnType(child.element)
  })
  const schema = options.schema ?? {}
  const types = names.map((name, c) => (Object.hasOwn(schema, name) ? normaliseSchemaType(name, schema[name]!) : fileTypes[c]!))
  const rows = Number(metadata.num_rows)
  const builder = new FrameBuilder(names, types, names.map(() => 1), rows, options)
  const index = new Map(names.map((n, c) => [n, c]))
  let done = 0
  await parquetRead({
    file,
    metadata,
    columns: names,
    onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
      const c = index.get(columnName)
      if (c === undefined) return
      const end = Math.min(rowEnd, rows)
      for (let r = rowStart; r < end; r++) storeParquetValue(builder, c, r, r, columnData[r - rowStart])
      if (c === names.length - 1 && end > done) {
        done = end
        options.onProgress?.({ bytes: Math.round((file.byteLength * done) / Math.max(rows, 1)), totalBytes: file.byteLength, rows: done })
      }
    },
  })
  builder.rows = rows
  return builder.finish()
}

/** Parquet physical/logical types to keel column types (also used by the batch reader, parquet-batches.ts). */
export function parquetColumnType(element: SchemaElement): ColumnType {
  const logical = element.logical_type?.type
  const converted = element.converted_type
  if (logical === 'TIMESTAMP' || logical === 'DATE' || converted === 'DATE' || converted === 'TIMESTAMP_MILLIS' || converted === 'TIMESTAMP_MICROS' || element.type === 'INT96') {
    return 'datetime'
  }
  if (logical === 'STRING' || logical === 'ENUM' || logical === 'JSON' || converted === 'UTF8' || converted === 'ENUM' || converted === 'JSON') return 'category'
  if (converted === 'DECIMAL' || logical === 'DECIMAL') return 'float'
  switch (element.type) {
    case 'BOOLEAN':
      return 'bool'
    case 'INT32':
    case 'INT64':
      return 'int'
    case 'FLOAT':
    case 'DOUBLE':
      return 'float'
    case 'BYTE_ARRAY':
      return 'category'
    default:
      throw invalidParameter(`Parquet column '${element.name}' has type ${String(element.type)}, which keel cannot read; drop it with the columns option.`)
  }
}

/** Writes one Parquet value into row `r` of the builder; `fileRow` (0-based, in the whole file) names it in errors. */
export function storeParquetValue(b: FrameBuilder, c: number, r: number, fileRow: number, v: unknown): void {
  const categorical = b.types[c] === T_CATEGORY
  if (v === null || v === undefined) {
    if (categorical) b.codes[c]![r] = -1
    else b.values[c]![r] = Number.NaN
    return
  }
  if (categorical) {
    b.codes[c]![r] = b.code(c, v instanceof Date ? v.toISOString() : String(v))
    return
  }
  let x: number
  if (typeof v === 'number') x = v
  else if (typeof v === 'bigint') x = Number(v)
  else if (typeof v === 'boolean') x = v ? 1 : 0
  else if (v instanceof Date) x = v.getTime()
  else if (typeof v === 'string') x = b.typeOf(c) === 'datetime' ? parseDateTimeString(v) : v.trim() === '' ? Number.NaN : Number(v)
  else x = Number.NaN
  if (Number.isNaN(x) && typeof v !== 'number') {
    throw invalidParameter(
      `Parquet column '${b.names[c]!}' row ${fileRow + 1} has the value '${String(v).slice(0, 60)}', which is not a ${b.typeOf(c)}; fix the data, or read the column as 'category'.`,
      { column: b.names[c]!, row: fileRow + 1 },
    )
  }
  b.values[c]![r] = x
}
