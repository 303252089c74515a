import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } from 'hyparquet'
import type { FileMetaData } from 'hyparquet'
import { invalidParameter, notFound } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { FrameBuilder } from './frame-builder.js'
import { parquetColumnType, storeParquetValue } from './parquet-reader.js'
import { normaliseSchemaType, selectColumns } from './read-options.js'
import type { ColumnType, ReadProgress, SchemaType } from './read-options.js'

export interface ParquetBatchOptions {
  readonly batchRows: number
  readonly columns?: readonly string[]
  readonly schema?: Readonly<Record<string, SchemaType>>
  readonly onProgress?: (progress: ReadProgress) => void
}

async function openParquet(path: string): Promise<{ file: Awaited<ReturnType<typeof asyncBufferFromFile>>; metadata: FileMetaData }> {
  let file
  try {
    file = await asyncBufferFromFile(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`No file at '${path}'; check the path.`)
    throw error
  }
  try {
    return { file, metadata: await parquetMetadataAsync(file) }
  } catch (error) {
    throw invalidParameter(`'${path}' is not a readable Parquet file (${(error as Error).message}).`)
  }
}

/** The top-level column names of a Parquet file (from its footer only). */
export async function parquetColumns(path: string): Promise<string[]> {
  const { metadata } = await openParquet(path)
  return parquetSchema(metadata).children.map((child) => child.element.name)
}

/**
 * Reads a Parquet file batch by batch: one row group at a time (split into `batchRows` pieces when larger),
 * with the same column types as `readParquet` (from the Parquet schema, `schema` overriding). A file with no
 * rows gives one empty batch.
 */
export async function* parquetBatches(path: string, options: ParquetBatchOptions): AsyncGenerator<Frame> {
  const { file, metadata } = await openParquet(path)
  const top = parquetSchema(metadata).children
  const header = top.map((child) => child.element.name)
  const selected = selectColumns(header, options)
  const names = selected.map((i) => header[i]!)
  const schema = options.schema ?? {}
  const types = selected.map((i, c): ColumnType => {
    const child = top[i]!
    if (child.children.length > 0) throw invalidParameter(`Parquet column '${child.element.name}' is nested (a struct, list or map); it cannot be scored.`)
    const name = names[c]!
    return Object.hasOwn(schema, name) ? normaliseSchemaType(name, schema[name]!) : parquetColumnType(child.element)
  })
  const index = new Map(names.map((n, c) => [n, c]))
  const total = Number(metadata.num_rows)
  let groupStart = 0
  let emitted = false
  for (const group of metadata.row_groups) {
    const groupRows = Number(group.num_rows)
    for (let start = groupStart; start < groupStart + groupRows; start += options.batchRows) {
      const end = Math.min(groupStart + groupRows, start + options.batchRows)
      const builder = new FrameBuilder(names, types, names.map(() => 1), end - start, {})
      await parquetRead({
        file,
        metadata,
        columns: names,
        rowStart: start,
        rowEnd: end,
        onChunk: ({ columnName, columnData, rowStart, rowEnd }) => {
          const c = index.get(columnName)
          if (c === undefined) return
          // Chunks may cover more than the requested rows (whole pages); keep [start, end) only.
          for (let r = Math.max(rowStart, start); r < Math.min(rowEnd, end); r++) storeParquetValue(builder, c, r - start, r, columnData[r - rowStart])
        },
      })
      builder.rows = end - start
      emitted = true
      options.onProgress?.({ bytes: Math.round((file.byteLength * end) / Math.max(total, 1)), totalBytes: file.byteLength, rows: end })
      yield builder.finish()
    }
    groupStart += groupRows
  }
  if (!emitted) {
    const builder = new FrameBuilder(names, types, names.map(() => 1), 0, {})
    yield builder.finish()
  }
}
