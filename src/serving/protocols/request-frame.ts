import { KeelError, invalidParameter } from '../../core/errors.js'
import { categoricalColumn, Frame, numericColumn } from '../../core/frame.js'
import type { Column } from '../../core/frame.js'
import type { ColumnSpec } from '../../registry/types.js'

/**
 * Request bodies (JSON rows, columns, tensors, CSV) → a `Frame` checked against the served version's inputs.
 * Built for the request path: one typed array per column, filled in place, no per-cell closures. Errors name
 * the column, the 1-based row and the value, so a caller can fix the request. Columns the model does not
 * read are ignored (as MLflow does) and reported through `RequestColumns.ignored`.
 */

export type FieldKind = 'number' | 'integer' | 'boolean' | 'datetime' | 'string' | 'tensor'

export interface InputField {
  readonly name: string
  readonly kind: FieldKind
  /** MLflow's ColSpec type as the signature gives it (`double`, `string`, `tensor<float32>[batch,8]`). */
  readonly type: string
  readonly required: boolean
  /** Values per row: 1, or a tensor's fixed row width. */
  readonly width: number
  /** Index of the field's first flat slot (tensor elements are consecutive slots). */
  readonly firstSlot: number
}

/** A version's inputs compiled once: fields in signature order and their flat slots. */
export interface InputSchema {
  readonly fields: readonly InputField[]
  readonly byName: ReadonlyMap<string, InputField>
  /** Total flat width (the columns of a row given as a list, or of an OIP `[n, width]` matrix). */
  readonly width: number
  /** Frame column name per flat slot (a tensor `features` of width 8 gives `features_0` … `features_7`). */
  readonly slotNames: readonly string[]
  readonly slotField: readonly InputField[]
}

const KIND_OF_TYPE: Readonly<Record<string, FieldKind>> = {
  double: 'number',
  float: 'number',
  long: 'integer',
  integer: 'integer',
  boolean: 'boolean',
  datetime: 'datetime',
  string: 'string',
}

const TENSOR = /^tensor<([a-z0-9]+)>\[([^\]]*)\]$/

export function compileInputs(specs: readonly ColumnSpec[]): InputSchema {
  const fields: InputField[] = []
  const byName = new Map<string, InputField>()
  const slotNames: string[] = []
  const slotField: InputField[] = []
  for (const spec of specs) {
    let kind: FieldKind | undefined = Object.hasOwn(KIND_OF_TYPE, spec.type) ? KIND_OF_TYPE[spec.type] : undefined
    let width = 1
    const tensor = TENSOR.exec(spec.type)
    if (tensor !== null) {
      // A tabular tensor is [batch, n]; its n elements per row become n numeric frame columns in order.
      const dims = tensor[2]!.split(',')
      const n = dims.length === 2 ? Number(dims[1]) : dims.length === 1 ? 1 : Number.NaN
      if (!Number.isInteger(n) || n < 1) {
        throw invalidParameter(`Input '${spec.name}' is ${spec.type}; keel serves tensors of shape [batch, n] with a fixed n only.`)
      }
      kind = n === 1 && dims.length === 1 ? 'number' : 'tensor'
      width = kind === 'tensor' ? n : 1
    }
    // Unknown ColSpec types (binary, …) are read as numbers; the scorer decides what it accepts.
    const field: InputField = { name: spec.name, kind: kind ?? 'number', type: spec.type, required: spec.required !== false, width, firstSlot: slotNames.length }
    fields.push(field)
    byName.set(spec.name, field)
    for (let j = 0; j < width; j++) {
      slotNames.push(kind === 'tensor' ? `${spec.name}_${j}` : spec.name)
      slotField.push(field)
    }
  }
  return { fields, byName, width: slotNames.length, slotNames, slotField }
}

/** The oversize-request error (413) every protocol uses. */
export function tooManyRows(rows: number, maxRows: number): KeelError {
  return new KeelError('PAYLOAD_TOO_LARGE', `The request has ${rows} rows; this server accepts at most ${maxRows} per request. Split it.`, {
    details: { rows, max_rows: maxRows },
  })
}

/** Shows a caller's value in an error message, short; never walks deep or large values (a caller may nest 100,000 lists). */
export function show(value: unknown): string {
  const text = preview(value, 0)
  return text.length > 40 ? `${text.slice(0, 37)}...` : text
}

function preview(value: unknown, depth: number): string {
  if (value === undefined) return 'nothing'
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? JSON.stringify(value.length > 40 ? value.slice(0, 40) : value) : String(value)
  if (depth > 2) return Array.isArray(value) ? '[...]' : '{...}'
  if (Array.isArray(value)) {
    const items = value.slice(0, 4).map((v) => preview(v, depth + 1))
    return `[${items.join(',')}${value.length > 4 ? ',...' : ''}]`
  }
  const keys = Object.keys(value).slice(0, 3)
  return `{${keys.map((k) => `${JSON.stringify(k.slice(0, 20))}:${preview((value as Record<string, unknown>)[k], depth + 1)}`).join(',')}${keys.length === 3 ? ',...' : ''}}`
}

const CSV_MISSING = new Set(['', 'NA', 'NaN', 'nan', 'null', 'NULL', 'N/A', 'n/a'])

/** One request's columns being filled; `build()` returns the Frame. */
export class RequestColumns {
  readonly rows: number
  /** Request columns the model does not read (ignored). */
  readonly ignored: string[] = []
  private readonly numbers: Array<Float64Array | undefined>
  private readonly strings: Array<Array<string | null> | undefined>
  private readonly seen: Uint8Array

  constructor(
    readonly schema: InputSchema,
    rows: number,
    maxRows: number,
    /** CSV cells are text: numbers are parsed, and pandas' missing markers (`NA`, `NaN`, empty) are missing. */
    private readonly text = false,
  ) {
    if (!Number.isInteger(rows) || rows < 0) throw invalidParameter(`The row count must be a non-negative integer, got ${show(rows)}.`)
    if (rows === 0) throw invalidParameter('The request has no rows; send at least one.')
    if (rows > maxRows) throw tooManyRows(rows, maxRows)
    this.rows = rows
    const slots = schema.width
    this.numbers = new Array<Float64Array | undefined>(slots)
    this.strings = new Array<Array<string | null> | undefined>(slots)
    for (let s = 0; s < slots; s++) {
      if (schema.slotField[s]!.kind === 'string') this.strings[s] = new Array<string | null>(rows).fill(null)
      else this.numbers[s] = new Float64Array(rows).fill(Number.NaN)
    }
    this.seen = new Uint8Array(schema.fields.length)
  }

  /** The field a request column name refers to; undefined (and remembered as ignored) when the model does not read it. */
  field(name: string): InputField | undefined {
    const field = this.schema.byName.get(name)
    if (field === undefined) {
      if (this.ignored.length < 100 && !this.ignored.includes(name)) this.ignored.push(name)
      return undefined
    }
    this.seen[this.schema.fields.indexOf(field)] = 1
    return field
  }

  /** Marks a field present without going through `field()` (positional layouts). */
  markAll(): void {
    this.seen.fill(1)
  }

  /** One row's value of a field; a tensor field takes an array of its width. */
  set(field: InputField, row: number, value: unknown): void {
    if (field.kind !== 'tensor') {
      this.setSlot(field.firstSlot, row, value)
      return
    }
    if (value === null || value === undefined) return
    if (!Array.isArray(value) || value.length !== field.width) {
      throw invalidParameter(`Column '${field.name}' expects a list of ${field.width} numbers per row, row ${row + 1} has ${show(value)}.`)
    }
    for (let j = 0; j < field.width; j++) this.setSlot(field.firstSlot + j, row, value[j])
  }

  /** One flat slot's value (a column, or one element of a tensor row). */
  setSlot(slot: number, row: number, value: unknown): void {
    const field = this.schema.slotField[slot]!
    if (field.kind === 'string') {
      const column = this.strings[slot]!
      if (typeof value === 'string') column[row] = this.text && value === '' ? null : value
      else if (value === null || value === undefined) column[row] = null
      else throw cellError(field, row, value, 'a string')
      return
    }
    const column = this.numbers[slot]!
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw cellError(field, row, value, 'a finite number')
      if (field.kind === 'integer' && !Number.isInteger(value)) throw cellError(field, row, value, 'an integer')
      column[row] = value
    } else if (value === null || value === undefined) {
      column[row] = Number.NaN
    } else if (typeof value === 'boolean') {
      if (field.kind !== 'boolean') throw cellError(field, row, value, expected(field))
      column[row] = value ? 1 : 0
    } else if (typeof value === 'string') {
      column[row] = this.parseText(field, row, value)
    } else {
      throw cellError(field, row, value, expected(field))
    }
  }

  private parseText(field: InputField, row: number, value: string): number {
    if (field.kind === 'datetime') {
      const ms = Date.parse(value)
      if (Number.isNaN(ms)) throw cellError(field, row, value, 'an ISO 8601 date-time or epoch milliseconds')
      return ms
    }
    // JSON carries numbers as numbers; only CSV cells are text to parse.
    if (!this.text) {
      const hint = value === 'NaN' || value === 'nan' ? '; send null for a missing value' : ''
      throw cellError(field, row, value, expected(field), hint)
    }
    if (CSV_MISSING.has(value.trim())) return Number.NaN
    if (field.kind === 'boolean') {
      const lower = value.trim().toLowerCase()
      if (lower === 'true') return 1
      if (lower === 'false') return 0
    }
    const n = Number(value)
    if (!Number.isFinite(n) || value.trim() === '') throw cellError(field, row, value, field.kind === 'number' ? 'a finite number' : expected(field))
    if (field.kind === 'integer' && !Number.isInteger(n)) throw cellError(field, row, value, 'an integer')
    return n
  }

  build(): Frame {
    const { fields, slotNames } = this.schema
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f]!
      if (this.seen[f] === 0 && field.required) {
        throw invalidParameter(
          `The request has no column '${field.name}', which the model requires (${field.type}). Columns: ${fields.map((c) => c.name).join(', ')}.`,
          { column: field.name },
        )
      }
    }
    const columns: Column[] = new Array<Column>(slotNames.length)
    for (let s = 0; s < slotNames.length; s++) {
      const numbers = this.numbers[s]
      const field = this.schema.slotField[s]!
      columns[s] =
        numbers !== undefined
          ? numericColumn(slotNames[s]!, numbers, field.kind === 'boolean' ? 'bool' : field.kind === 'datetime' ? 'datetime' : field.kind === 'integer' ? 'int' : 'float')
          : categoricalColumn(slotNames[s]!, this.strings[s]!)
    }
    return new Frame(columns)
  }
}

function expected(field: InputField): string {
  switch (field.kind) {
    case 'boolean':
      return 'true or false'
    case 'integer':
      return 'an integer'
    case 'datetime':
      return 'an ISO 8601 date-time or epoch milliseconds'
    case 'string':
      return 'a string'
    default:
      return 'a number'
  }
}

function cellError(field: InputField, row: number, value: unknown, what: string, hint = ''): KeelError {
  return invalidParameter(`Column '${field.name}' expects ${what}, row ${row + 1} has ${show(value)}${hint}.`, { column: field.name, row: row + 1 })
}

function notArray(what: string, value: unknown): KeelError {
  return invalidParameter(`${what} must be a list, got ${show(value)}.`)
}

/** `[{col: value, …}, …]` (MLflow `dataframe_records`, `instances` of records). */
export function frameFromRecords(schema: InputSchema, records: readonly unknown[], maxRows: number, what: string): RequestColumns {
  const out = new RequestColumns(schema, records.length, maxRows)
  const fields = new Array<InputField | undefined>()
  const names: string[] = []
  for (let r = 0; r < records.length; r++) {
    const record = records[r]
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw invalidParameter(`${what}[${r}] must be an object of column → value, got ${show(record)}.`)
    }
    const keys = Object.keys(record)
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!
      // Rows usually share their keys: resolve each name once.
      let at = names.indexOf(key)
      if (at < 0) {
        if (names.length > 10_000) throw invalidParameter(`${what} has more than 10,000 distinct column names.`)
        at = names.length
        names.push(key)
        fields.push(out.field(key))
      }
      const field = fields[at]
      if (field !== undefined) out.set(field, r, (record as Record<string, unknown>)[key])
    }
  }
  return out
}

/** Rows as lists in signature order (MLflow `instances`/`inputs` lists, `dataframe_split` without columns). */
export function frameFromLists(schema: InputSchema, rows: readonly unknown[], maxRows: number, what: string): RequestColumns {
  const out = new RequestColumns(schema, rows.length, maxRows)
  const single = schema.fields.length === 1 ? schema.fields[0]! : undefined
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]
    // One scalar input: a list of scalars is one value per row.
    if (!Array.isArray(row)) {
      if (single !== undefined && single.kind !== 'tensor') {
        out.setSlot(0, r, row)
        continue
      }
      throw invalidParameter(`${what}[${r}] must be a list of ${schema.width} values in the model's input order (${schema.fields.map((f) => f.name).join(', ')}), got ${show(row)}.`)
    }
    if (row.length !== schema.width) {
      throw invalidParameter(`${what}[${r}] has ${row.length} values; the model takes ${schema.width} (${schema.fields.map((f) => f.name).join(', ')}).`)
    }
    for (let s = 0; s < row.length; s++) out.setSlot(s, r, row[s])
  }
  out.markAll()
  return out
}

/** `{columns: [...], data: [[...], ...]}` (MLflow `dataframe_split`); `columns` absent means signature order. */
export function frameFromSplit(schema: InputSchema, split: unknown, maxRows: number): RequestColumns {
  if (split === null || typeof split !== 'object' || Array.isArray(split)) {
    throw invalidParameter(`dataframe_split must be an object {"columns": [...], "data": [[...], ...]}, got ${show(split)}.`)
  }
  const { columns, data } = split as { columns?: unknown; data?: unknown }
  if (!Array.isArray(data)) throw notArray('dataframe_split.data', data)
  if (columns === undefined || columns === null) return frameFromLists(schema, data, maxRows, 'dataframe_split.data')
  if (!Array.isArray(columns)) throw notArray('dataframe_split.columns', columns)
  if (data.length > maxRows) throw tooManyRows(data.length, maxRows)
  const out = new RequestColumns(schema, data.length, maxRows)
  const fields = new Array<InputField | undefined>(columns.length)
  const distinct = new Set<string>()
  for (let c = 0; c < columns.length; c++) {
    const name = columns[c]
    if (typeof name !== 'string') throw invalidParameter(`dataframe_split.columns[${c}] must be a column name (a string), got ${show(name)}.`)
    if (distinct.has(name)) throw invalidParameter(`dataframe_split.columns names '${name}' twice; column names must be unique.`)
    distinct.add(name)
    fields[c] = out.field(name)
  }
  for (let r = 0; r < data.length; r++) {
    const row = data[r]
    if (!Array.isArray(row)) throw invalidParameter(`dataframe_split.data[${r}] must be a list of ${columns.length} values, got ${show(row)}.`)
    if (row.length !== columns.length) {
      throw invalidParameter(`dataframe_split.data[${r}] has ${row.length} values but columns names ${columns.length}.`)
    }
    for (let c = 0; c < row.length; c++) {
      const field = fields[c]
      if (field !== undefined) out.set(field, r, row[c])
    }
  }
  return out
}

/** `{col: [values...], ...}` (MLflow `inputs` as a dict of columns). */
export function frameFromColumnDict(schema: InputSchema, dict: Record<string, unknown>, maxRows: number, what: string): RequestColumns {
  const keys = Object.keys(dict)
  let rows = -1
  for (const key of keys) {
    const values = dict[key]
    if (!Array.isArray(values)) throw notArray(`${what}.${key}`, values)
    if (rows < 0) rows = values.length
    else if (values.length !== rows) throw invalidParameter(`${what}.${key} has ${values.length} values but ${what}.${keys[0]!} has ${rows}; columns must have equal lengths.`)
  }
  if (rows < 0) throw invalidParameter(`${what} has no columns; send {"column": [values, ...], ...}.`)
  const out = new RequestColumns(schema, rows, maxRows)
  for (const key of keys) {
    const field = out.field(key)
    if (field === undefined) continue
    const values = dict[key] as unknown[]
    for (let r = 0; r < rows; r++) out.set(field, r, values[r])
  }
  return out
}

/** A CSV body with a header row (RFC 4180 quoting). */
export function frameFromCsv(schema: InputSchema, text: string, maxRows: number): RequestColumns {
  const records = parseCsv(text, maxRows + 1)
  const header = records[0]
  if (header === undefined || (header.length === 1 && header[0] === '')) throw invalidParameter('The CSV body is empty; send a header row of column names, then one line per row.')
  const rows = records.length - 1
  if (rows > maxRows) throw tooManyRows(rows, maxRows)
  const out = new RequestColumns(schema, rows, maxRows, true)
  const fields = header.map((name) => out.field(name.trim()))
  for (let r = 0; r < rows; r++) {
    const line = records[r + 1]!
    if (line.length !== header.length) throw invalidParameter(`CSV row ${r + 1} has ${line.length} cells but the header has ${header.length}.`)
    for (let c = 0; c < line.length; c++) {
      const field = fields[c]
      if (field === undefined) continue
      if (field.kind === 'tensor') throw invalidParameter(`Column '${field.name}' is a tensor (${field.type}); send it as JSON, not CSV.`)
      out.setSlot(field.firstSlot, r, line[c])
    }
  }
  return out
}

/** Splits CSV text into records of cells; stops counting past `maxRecords` (+1) so a huge body fails fast. */
export function parseCsv(text: string, maxRecords: number): string[][] {
  const records: string[][] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let i = 0
  const n = text.length
  while (i < n) {
    const ch = text.charCodeAt(i)
    if (quoted) {
      if (ch === 34) {
        if (text.charCodeAt(i + 1) === 34) {
          cell += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      cell += text[i]
      i++
      continue
    }
    if (ch === 34 && cell === '') {
      quoted = true
    } else if (ch === 44) {
      cells.push(cell)
      cell = ''
    } else if (ch === 10 || ch === 13) {
      if (ch === 13 && text.charCodeAt(i + 1) === 10) i++
      cells.push(cell)
      // Blank lines carry no row.
      if (cells.length > 1 || cells[0] !== '') records.push(cells)
      if (records.length > maxRecords) return records
      cells = []
      cell = ''
    } else {
      cell += text[i]
    }
    i++
  }
  if (quoted) throw invalidParameter('The CSV body ends inside a quoted cell; close the quote.')
  if (cell !== '' || cells.length > 0) {
    cells.push(cell)
    records.push(cells)
  }
  return records
}
