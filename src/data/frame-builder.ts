import { invalidParameter } from '../core/errors.js'
import { Frame, type Column } from '../core/frame.js'
import { normaliseSchemaType, type ColumnType, type ReadOptions } from './read-options.js'

export const T_FLOAT = 0
export const T_INT = 1
export const T_BOOL = 2
export const T_DATETIME = 3
export const T_CATEGORY = 4
const TYPE_NAMES: readonly ColumnType[] = ['float', 'int', 'bool', 'datetime', 'category']
const TYPE_CODES: Readonly<Record<ColumnType, number>> = { float: T_FLOAT, int: T_INT, bool: T_BOOL, datetime: T_DATETIME, category: T_CATEGORY }

/** What the first rows showed about one column (counts of values that are *not* of each kind). */
export class TypeEvidence {
  present = 0
  notNumber = 0
  notInteger = 0
  notBool = 0
  notDate = 0

  /** Type suggested by the evidence; `undefined` when the column had no values at all. */
  decide(detectDates: boolean): ColumnType | undefined {
    if (this.present === 0) return undefined
    if (this.notBool === 0) return 'bool'
    if (this.notNumber === 0) return this.notInteger === 0 ? 'int' : 'float'
    if (detectDates && this.notDate === 0) return 'datetime'
    return 'category'
  }
}

export function isBoolText(buf: Uint8Array, s: number, e: number): number {
  // 1 for true, 0 for false, -1 otherwise; any letter case.
  const n = e - s
  if (n === 4 && (buf[s]! | 32) === 116 && (buf[s + 1]! | 32) === 114 && (buf[s + 2]! | 32) === 117 && (buf[s + 3]! | 32) === 101) return 1
  if (n === 5 && (buf[s]! | 32) === 102 && (buf[s + 1]! | 32) === 97 && (buf[s + 2]! | 32) === 108 && (buf[s + 3]! | 32) === 115 && (buf[s + 4]! | 32) === 101) return 0
  return -1
}

/**
 * Growable typed columns shared by the readers. All columns have the same row count, so capacity is
 * shared; the readers size it from the file size so that growth (a copy) is rare.
 */
export class FrameBuilder {
  readonly names: readonly string[]
  readonly types: Int8Array
  /** 1 when the type came from a schema override (never converted), 2 when inferred from no values. */
  readonly origin: Uint8Array
  readonly values: Array<Float64Array | null>
  readonly codes: Array<Int32Array | null>
  readonly dictionaries: Array<Map<string, number>>
  readonly categories: string[][]
  capacity: number
  rows = 0
  private readonly policy: 'error' | 'categorical'
  private readonly inferRows: number

  constructor(names: readonly string[], types: readonly ColumnType[], origin: readonly number[], capacity: number, options: ReadOptions) {
    this.names = names
    this.types = Int8Array.from(types.map((t) => TYPE_CODES[t]))
    this.origin = Uint8Array.from(origin)
    this.capacity = Math.max(16, Math.ceil(capacity))
    this.values = types.map((t) => (t === 'category' ? null : new Float64Array(this.capacity)))
    this.codes = types.map((t) => (t === 'category' ? new Int32Array(this.capacity) : null))
    this.dictionaries = names.map(() => new Map())
    this.categories = names.map(() => [])
    this.policy = options.onTypeConflict ?? 'error'
    this.inferRows = options.inferRows ?? 10_000
  }

  /** Decides column types from evidence and overrides. */
  static plan(names: readonly string[], evidence: readonly TypeEvidence[], options: ReadOptions): { types: ColumnType[]; origin: number[] } {
    const types: ColumnType[] = []
    const origin: number[] = []
    const schema = options.schema ?? {}
    names.forEach((name, i) => {
      const override = Object.hasOwn(schema, name) ? schema[name] : undefined
      if (override !== undefined) {
        types.push(normaliseSchemaType(name, override))
        origin.push(1)
        return
      }
      const decided = evidence[i]!.decide(options.detectDates ?? true)
      types.push(decided ?? 'float')
      origin.push(decided === undefined ? 2 : 0)
    })
    return { types, origin }
  }

  typeOf(c: number): ColumnType {
    return TYPE_NAMES[this.types[c]!]!
  }

  /** Makes room for one more row. `projected` is the reader's estimate of the final row count, if any. */
  grow(projected?: number): void {
    const next = Math.max(this.capacity + 1024, projected !== undefined && projected > this.capacity ? Math.ceil(projected) : Math.ceil(this.capacity * 2))
    for (let c = 0; c < this.names.length; c++) {
      const v = this.values[c]
      if (v) {
        const grown = new Float64Array(next)
        grown.set(v.subarray(0, this.rows))
        this.values[c] = grown
      }
      const k = this.codes[c]
      if (k) {
        const grown = new Int32Array(next)
        grown.set(k.subarray(0, this.rows))
        this.codes[c] = grown
      }
    }
    this.capacity = next
  }

  code(c: number, text: string): number {
    const dictionary = this.dictionaries[c]!
    let code = dictionary.get(text)
    if (code === undefined) {
      code = dictionary.size
      dictionary.set(text, code)
      this.categories[c]!.push(text)
    }
    return code
  }

  /**
   * A value that does not fit column c's type at `row`: converts the column to categorical when allowed
   * (the caller then stores `text` as a category) or throws a message naming the column, row, value and fix.
   */
  conflict(c: number, row: number, text: string): void {
    const name = this.names[c]!
    const type = this.typeOf(c)
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text
    if (this.origin[c] === 1) {
      throw invalidParameter(`Column '${name}' is declared '${type}' in schema, but data row ${row + 1} has the value '${shown}', which is not a ${type}. Fix the data or declare it 'category'.`, { column: name, row: row + 1, value: shown })
    }
    if (this.origin[c] !== 2 && this.policy === 'error') {
      throw invalidParameter(
        `Column '${name}' looked like ${type} in the first ${this.inferRows.toLocaleString('en-US')} rows, but data row ${row + 1} has the value '${shown}'. ` +
          `Read it as categorical with schema: { '${name}': 'category' } (or onTypeConflict: 'categorical'), or fix the value.`,
        { column: name, row: row + 1, value: shown },
      )
    }
    this.toCategorical(c, row)
  }

  /** Re-encodes rows [0, upTo) of a numeric column as text categories. */
  toCategorical(c: number, upTo: number): void {
    const values = this.values[c]!
    const type = this.types[c]
    const codes = new Int32Array(this.capacity)
    for (let r = 0; r < upTo; r++) {
      const v = values[r]!
      if (Number.isNaN(v)) codes[r] = -1
      else codes[r] = this.code(c, type === T_BOOL ? (v === 1 ? 'true' : 'false') : type === T_DATETIME ? new Date(v).toISOString() : String(v))
    }
    this.values[c] = null
    this.codes[c] = codes
    this.types[c] = T_CATEGORY
  }

  /** The frame. Columns keep their buffer when the unused tail is under 10 %, else are copied to size. */
  finish(): Frame {
    const rows = this.rows
    const columns: Column[] = []
    for (let c = 0; c < this.names.length; c++) {
      const name = this.names[c]!
      const trim = this.capacity - rows > rows * 0.1
      const v = this.values[c]
      if (v) {
        const t = this.types[c]!
        const dtype = t === T_INT ? 'int' : t === T_BOOL ? 'bool' : t === T_DATETIME ? 'datetime' : 'float'
        columns.push({ kind: 'numeric', name, dtype, values: trim ? v.slice(0, rows) : v.subarray(0, rows) })
        this.values[c] = null
      } else {
        const k = this.codes[c]!
        columns.push({ kind: 'categorical', name, codes: trim ? k.slice(0, rows) : k.subarray(0, rows), categories: this.categories[c]! })
        this.codes[c] = null
      }
    }
    return new Frame(columns)
  }
}

/** Header names made unique and non-empty the way pandas does (`x`, `x.1`; `Unnamed: 3`). */
export function uniqueNames(raw: readonly string[]): string[] {
  const seen = new Set<string>()
  return raw.map((name, i) => {
    let candidate = name === '' ? `Unnamed: ${i}` : name
    for (let k = 1; seen.has(candidate) && k < 1_000_000; k++) candidate = `${name}.${k}`
    seen.add(candidate)
    return candidate
  })
}
