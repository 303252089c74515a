import { invalidParameter } from './errors.js'

/**
 * A columnar table: numbers in Float64Arrays (NaN marks a missing value), categories dictionary-encoded
 * in Int32Arrays (-1 marks a missing value). No per-row objects: algorithms read whole columns.
 */
export type NumericDType = 'float' | 'int' | 'bool' | 'datetime'

export interface NumericColumn {
  readonly kind: 'numeric'
  readonly name: string
  /** How the values were read; all are stored as float64 (datetime as epoch milliseconds). */
  readonly dtype: NumericDType
  readonly values: Float64Array
}

export interface CategoricalColumn {
  readonly kind: 'categorical'
  readonly name: string
  /** Index into `categories`, or -1 when missing. */
  readonly codes: Int32Array
  readonly categories: readonly string[]
}

export type Column = NumericColumn | CategoricalColumn

/** One row as JSON gives it (serving, examples); missing is `null` or absent. */
export type RowValue = number | string | boolean | null | undefined
export type Row = Readonly<Record<string, RowValue>>

export const MISSING_CODE = -1

export function numericColumn(name: string, values: Float64Array | readonly number[], dtype: NumericDType = 'float'): NumericColumn {
  return { kind: 'numeric', name, dtype, values: values instanceof Float64Array ? values : Float64Array.from(values) }
}

/** Encodes strings (null/undefined/'' are missing) with categories in first-seen order unless given. */
export function categoricalColumn(
  name: string,
  values: ReadonlyArray<string | null | undefined>,
  categories?: readonly string[],
): CategoricalColumn {
  const index = new Map<string, number>()
  const dictionary: string[] = []
  for (const c of categories ?? []) {
    index.set(c, dictionary.length)
    dictionary.push(c)
  }
  const codes = new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined || v === '') {
      codes[i] = MISSING_CODE
      continue
    }
    let code = index.get(v)
    if (code === undefined) {
      if (categories !== undefined) {
        throw invalidParameter(`Column '${name}' has the value '${v}', which is not one of its categories (${categories.slice(0, 10).join(', ')}).`)
      }
      code = dictionary.length
      index.set(v, code)
      dictionary.push(v)
    }
    codes[i] = code
  }
  return { kind: 'categorical', name, codes, categories: dictionary }
}

export function columnLength(column: Column): number {
  return column.kind === 'numeric' ? column.values.length : column.codes.length
}

export function isMissing(column: Column, row: number): boolean {
  return column.kind === 'numeric' ? Number.isNaN(column.values[row]!) : column.codes[row] === MISSING_CODE
}

/** The value of one cell as JSON would carry it. */
export function cellValue(column: Column, row: number): number | string | null {
  if (column.kind === 'numeric') {
    const v = column.values[row]!
    return Number.isNaN(v) ? null : v
  }
  const code = column.codes[row]!
  return code === MISSING_CODE ? null : column.categories[code]!
}

export class Frame {
  readonly rows: number
  readonly columns: readonly Column[]
  private readonly byName: Map<string, Column>

  constructor(columns: readonly Column[]) {
    this.columns = columns
    this.byName = new Map()
    this.rows = columns.length === 0 ? 0 : columnLength(columns[0]!)
    for (const column of columns) {
      if (this.byName.has(column.name)) throw invalidParameter(`Column '${column.name}' appears twice; column names must be unique.`)
      if (columnLength(column) !== this.rows) {
        throw invalidParameter(`Column '${column.name}' has ${columnLength(column)} rows but '${columns[0]!.name}' has ${this.rows}.`)
      }
      this.byName.set(column.name, column)
    }
  }

  get names(): string[] {
    return this.columns.map((c) => c.name)
  }

  has(name: string): boolean {
    return this.byName.has(name)
  }

  column(name: string): Column {
    const column = this.byName.get(name)
    if (column === undefined) {
      throw invalidParameter(`No column '${name}'. Columns: ${this.names.slice(0, 20).join(', ')}${this.columns.length > 20 ? ', …' : ''}.`)
    }
    return column
  }

  /** The values of a numeric column; a categorical one is an error naming the column. */
  numeric(name: string): Float64Array {
    const column = this.column(name)
    if (column.kind !== 'numeric') {
      throw invalidParameter(`Column '${name}' is categorical; encode it first (one-hot, ordinal or target encoding).`)
    }
    return column.values
  }

  select(names: readonly string[]): Frame {
    return new Frame(names.map((n) => this.column(n)))
  }

  drop(names: readonly string[]): Frame {
    const dropped = new Set(names)
    for (const n of names) this.column(n)
    return new Frame(this.columns.filter((c) => !dropped.has(c.name)))
  }

  withColumn(column: Column): Frame {
    const rest = this.columns.filter((c) => c.name !== column.name)
    const at = this.columns.findIndex((c) => c.name === column.name)
    if (at < 0) return new Frame([...rest, column])
    const next = [...this.columns]
    next[at] = column
    return new Frame(next)
  }

  /** The rows at `indices`, in that order (indices may repeat: bootstrap samples). */
  take(indices: Int32Array | Uint32Array | readonly number[]): Frame {
    const n = indices.length
    return new Frame(
      this.columns.map((column): Column => {
        if (column.kind === 'numeric') {
          const values = new Float64Array(n)
          for (let i = 0; i < n; i++) values[i] = column.values[indices[i]!]!
          return { kind: 'numeric', name: column.name, dtype: column.dtype, values }
        }
        const codes = new Int32Array(n)
        for (let i = 0; i < n; i++) codes[i] = column.codes[indices[i]!]!
        return { kind: 'categorical', name: column.name, codes, categories: column.categories }
      }),
    )
  }

  slice(start: number, end = this.rows): Frame {
    return new Frame(
      this.columns.map((column): Column =>
        column.kind === 'numeric'
          ? { ...column, values: column.values.subarray(start, end) }
          : { ...column, codes: column.codes.subarray(start, end) },
      ),
    )
  }

  row(index: number): Record<string, number | string | null> {
    const out: Record<string, number | string | null> = {}
    for (const column of this.columns) out[column.name] = cellValue(column, index)
    return out
  }

  toRecords(limit = this.rows): Array<Record<string, number | string | null>> {
    const out = []
    for (let i = 0; i < Math.min(limit, this.rows); i++) out.push(this.row(i))
    return out
  }

  /**
   * Builds a frame from JSON-like rows. Columns whose present values are all numbers (or booleans) are
   * numeric; anything else is categorical. Pass `like` to reuse another frame's column kinds and categories
   * (a category not seen there stays as a new category so callers can report it).
   */
  static fromRecords(records: readonly Row[], like?: Frame): Frame {
    const names = like?.names ?? [...new Set(records.flatMap((r) => Object.keys(r)))]
    return new Frame(
      names.map((name): Column => {
        const template = like?.has(name) === true ? like.column(name) : undefined
        const raw = records.map((r) => r[name])
        const numeric = template === undefined ? raw.every((v) => v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') : template.kind === 'numeric'
        if (numeric) {
          const values = new Float64Array(raw.length)
          for (let i = 0; i < raw.length; i++) {
            const v = raw[i]
            values[i] = v === null || v === undefined ? Number.NaN : typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? v : toNumber(v, name)
          }
          return { kind: 'numeric', name, dtype: template?.kind === 'numeric' ? template.dtype : 'float', values }
        }
        const strings = raw.map((v) => (v === null || v === undefined ? null : String(v)))
        if (template?.kind === 'categorical') {
          const extended = [...template.categories]
          const known = new Set(extended)
          for (const s of strings) if (s !== null && s !== '' && !known.has(s)) {
            known.add(s)
            extended.push(s)
          }
          return categoricalColumn(name, strings, extended)
        }
        return categoricalColumn(name, strings)
      }),
    )
  }
}

function toNumber(value: string, column: string): number {
  const n = Number(value)
  if (value.trim() === '' || Number.isNaN(n)) throw invalidParameter(`Column '${column}' expects a number, got '${value}'.`)
  return n
}
