import { invalidParameter } from '../core/errors.js'

/** How a column is read. `category` stores dictionary codes; the others are float64 (datetime: epoch ms). */
export type ColumnType = 'float' | 'int' | 'bool' | 'datetime' | 'category'
/** Accepted in `schema` overrides: the column types plus a few aliases. */
export type SchemaType = ColumnType | 'categorical' | 'string' | 'numeric'

export interface ReadProgress {
  /** Bytes read from the source so far. */
  readonly bytes: number
  /** The source's size when known (files), else undefined. */
  readonly totalBytes: number | undefined
  readonly rows: number
}

export interface ReadOptions {
  /** Per-column type overrides, e.g. `{ amount: 'float', country: 'category', ts: 'datetime' }`. */
  readonly schema?: Readonly<Record<string, SchemaType>>
  /** Read only these columns, in this order. */
  readonly columns?: readonly string[]
  /** Text that means "missing" (exact match). Default {@link DEFAULT_MISSING}. */
  readonly missing?: readonly string[]
  /** Rows used to decide the column types. Default 10,000. */
  readonly inferRows?: number
  /**
   * What happens when a column inferred as numeric (or datetime) meets a value that is not: `'error'`
   * (default) throws naming the column, row and value; `'categorical'` turns the column into a categorical
   * one (earlier values become their canonical text, e.g. `1.50` → `1.5`).
   */
  readonly onTypeConflict?: 'error' | 'categorical'
  /** Detect ISO 8601 date columns during inference (default true). Overrides always apply. */
  readonly detectDates?: boolean
  readonly onProgress?: (progress: ReadProgress) => void
}

export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']
export const DEFAULT_INFER_ROWS = 10_000

export function normaliseSchemaType(column: string, type: SchemaType): ColumnType {
  switch (type) {
    case 'float':
    case 'numeric':
      return 'float'
    case 'int':
    case 'bool':
    case 'datetime':
    case 'category':
      return type
    case 'categorical':
    case 'string':
      return 'category'
    default:
      throw invalidParameter(
        `schema.${column} is '${String(type)}'; use one of float, int, bool, datetime, category.`,
      )
  }
}

export function checkReadOptions(options: ReadOptions): void {
  const inferRows = options.inferRows
  if (inferRows !== undefined && (!Number.isInteger(inferRows) || inferRows < 1)) {
    throw invalidParameter(`inferRows must be a positive integer, got ${String(inferRows)}.`)
  }
  const policy = options.onTypeConflict
  if (policy !== undefined && policy !== 'error' && policy !== 'categorical') {
    throw invalidParameter(`onTypeConflict must be 'error' or 'categorical', got '${String(policy)}'.`)
  }
  for (const [name, type] of Object.entries(options.schema ?? {})) normaliseSchemaType(name, type)
}

/** Checks that every name in `columns` and `schema` exists; returns the file positions to read. */
export function selectColumns(header: readonly string[], options: ReadOptions): number[] {
  const position = new Map(header.map((name, i) => [name, i]))
  const available = (): string => `${header.slice(0, 30).join(', ')}${header.length > 30 ? ', …' : ''}`
  for (const name of Object.keys(options.schema ?? {})) {
    if (!position.has(name)) throw invalidParameter(`schema names column '${name}', which the data set does not have. Columns: ${available()}.`)
  }
  if (options.columns === undefined) return header.map((_, i) => i)
  if (options.columns.length === 0) throw invalidParameter('columns is empty; list at least one column or leave it out to read all.')
  const seen = new Set<string>()
  return options.columns.map((name) => {
    const at = position.get(name)
    if (at === undefined) throw invalidParameter(`columns names '${name}', which the data set does not have. Columns: ${available()}.`)
    if (seen.has(name)) throw invalidParameter(`columns lists '${name}' twice.`)
    seen.add(name)
    return at
  })
}
