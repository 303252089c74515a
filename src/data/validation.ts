import { invalidParameter, type KeelError } from '../core/errors.js'
import { cellValue, type Column, type Frame, type Row } from '../core/frame.js'
import type { ColumnSchema, DataSchema } from './validation-schema.js'

export { inferSchema, parseDataSchema } from './validation-schema.js'
export type { ColumnSchema, DataSchema, InferSchemaOptions } from './validation-schema.js'

export type ValidationRule = 'missing_column' | 'extra_column' | 'type' | 'min' | 'max' | 'allowed' | 'missing_rate' | 'missing' | 'unique'

export interface Violation {
  column: string
  rule: ValidationRule
  /** Rows (or columns) that break the rule. */
  count: number
  /** Up to 5 distinct offending values. */
  examples: Array<number | string | null>
  message: string
}

export interface ValidationReport {
  valid: boolean
  rows: number
  violations: Violation[]
  missingColumns: string[]
  extraColumns: string[]
}

const EXAMPLES = 5

/** Collects up to 5 distinct examples. */
class Examples {
  readonly values: Array<number | string | null> = []
  private readonly seen = new Set<number | string | null>()
  add(v: number | string | null): void {
    if (this.values.length < EXAMPLES && !this.seen.has(v)) {
      this.seen.add(v)
      this.values.push(v)
    }
  }
}

const shown = (examples: ReadonlyArray<number | string | null>): string => examples.map((e) => (typeof e === 'string' ? `'${e}'` : String(e))).join(', ')

function violation(column: string, rule: ValidationRule, count: number, examples: Array<number | string | null>, message: string): Violation {
  return { column, rule, count, examples, message: examples.length > 0 ? `${message} (e.g. ${shown(examples)})` : message }
}

/** Checks a whole frame; lists every violation, never stops at the first. */
export function validateFrame(frame: Frame, schema: DataSchema): ValidationReport {
  const violations: Violation[] = []
  const declared = new Set(schema.columns.map((c) => c.name))
  const missingColumns: string[] = []
  for (const spec of schema.columns) {
    if (!frame.has(spec.name)) {
      if (spec.required !== false) {
        missingColumns.push(spec.name)
        violations.push(violation(spec.name, 'missing_column', 1, [], `Column '${spec.name}' is required but absent; add it to the data or mark it required: false`))
      }
      continue
    }
    checkColumn(frame.column(spec.name), spec, frame.rows, violations)
  }
  const extraColumns = frame.names.filter((n) => !declared.has(n))
  if (schema.extraColumns === 'error') {
    for (const name of extraColumns) violations.push(violation(name, 'extra_column', 1, [], `Column '${name}' is not in the schema; drop it or add it to the schema`))
  }
  return { valid: violations.length === 0, rows: frame.rows, violations, missingColumns, extraColumns }
}

function checkColumn(column: Column, spec: ColumnSchema, rows: number, out: Violation[]): void {
  const name = spec.name
  let missing = 0
  if (column.kind !== spec.kind) {
    const examples = new Examples()
    let present = 0
    for (let i = 0; i < rows; i++) {
      const v = cellValue(column, i)
      if (v === null) continue
      present++
      examples.add(v)
    }
    out.push(violation(name, 'type', present, examples.values, `Column '${name}' should be ${spec.kind} but is ${column.kind}; fix the source data or read the column as ${spec.kind}`))
    return
  }
  if (column.kind === 'numeric') {
    const type = new Examples()
    const low = new Examples()
    const high = new Examples()
    let typeCount = 0
    let lowCount = 0
    let highCount = 0
    const values = column.values
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (Number.isNaN(v)) {
        missing++
        continue
      }
      if ((spec.dtype === 'int' && !Number.isInteger(v)) || (spec.dtype === 'bool' && v !== 0 && v !== 1)) {
        typeCount++
        type.add(v)
      }
      if (spec.min !== undefined && v < spec.min) {
        lowCount++
        low.add(v)
      }
      if (spec.max !== undefined && v > spec.max) {
        highCount++
        high.add(v)
      }
    }
    if (typeCount > 0) out.push(violation(name, 'type', typeCount, type.values, `Column '${name}' should hold ${spec.dtype === 'int' ? 'integers' : '0/1 values'} but ${typeCount} values are not`))
    if (lowCount > 0) out.push(violation(name, 'min', lowCount, low.values, `Column '${name}' has ${lowCount} values below the minimum ${spec.min!}`))
    if (highCount > 0) out.push(violation(name, 'max', highCount, high.values, `Column '${name}' has ${highCount} values above the maximum ${spec.max!}`))
    if (spec.unique === true) checkUnique(name, values.length, (i) => (Number.isNaN(values[i]!) ? null : values[i]!), out)
  } else {
    const { codes, categories } = column
    const allowed = spec.allowed === undefined ? undefined : new Set(spec.allowed)
    const bad = new Uint8Array(categories.length)
    if (allowed !== undefined) for (let c = 0; c < categories.length; c++) bad[c] = allowed.has(categories[c]!) ? 0 : 1
    const examples = new Examples()
    let badCount = 0
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!
      if (c < 0) missing++
      else if (bad[c] === 1) {
        badCount++
        examples.add(categories[c]!)
      }
    }
    if (badCount > 0) out.push(violation(name, 'allowed', badCount, examples.values, `Column '${name}' has ${badCount} values outside its allowed categories; fix them or add them to 'allowed'`))
    if (spec.unique === true) checkUnique(name, codes.length, (i) => (codes[i]! < 0 ? null : codes[i]!), out, (k) => categories[k as number]!)
  }
  const rate = rows === 0 ? 0 : missing / rows
  if (spec.maxMissingRate !== undefined && rate > spec.maxMissingRate) {
    out.push(
      violation(name, 'missing_rate', missing, [], `Column '${name}' is ${(rate * 100).toFixed(2)}% missing (${missing} of ${rows} rows), above the limit of ${(spec.maxMissingRate * 100).toFixed(2)}%; impute or fix the source, or raise maxMissingRate`),
    )
  }
}

function checkUnique(name: string, rows: number, key: (i: number) => number | null, out: Violation[], label: (k: number) => number | string = (k) => k): void {
  const seen = new Set<number>()
  const examples = new Examples()
  let duplicates = 0
  for (let i = 0; i < rows; i++) {
    const k = key(i)
    if (k === null) continue
    if (seen.has(k)) {
      duplicates++
      examples.add(label(k))
    } else seen.add(k)
  }
  if (duplicates > 0) out.push(violation(name, 'unique', duplicates, examples.values, `Column '${name}' should be unique but ${duplicates} rows repeat an earlier value`))
}

/** Checks one JSON row for serving: presence, type, range, categories; a missing value where none is allowed. */
export function validateRow(row: Row, schema: DataSchema): Violation[] {
  const out: Violation[] = []
  for (const spec of schema.columns) {
    const name = spec.name
    const raw = row[name]
    if (raw === undefined) {
      if (spec.required !== false) out.push(violation(name, 'missing_column', 1, [], `The row has no column '${name}'; send it (null for a missing value)`))
      continue
    }
    if (raw === null || raw === '') {
      if (spec.maxMissingRate === 0) out.push(violation(name, 'missing', 1, [null], `Column '${name}' may not be missing`))
      continue
    }
    if (spec.kind === 'categorical') {
      const v = String(raw)
      if (spec.allowed !== undefined && !spec.allowed.includes(v)) out.push(violation(name, 'allowed', 1, [v], `Column '${name}' has a value outside its allowed categories`))
      continue
    }
    const v = typeof raw === 'boolean' ? (raw ? 1 : 0) : typeof raw === 'number' ? raw : raw.trim() === '' ? Number.NaN : Number(raw)
    if (Number.isNaN(v)) {
      out.push(violation(name, 'type', 1, [String(raw)], `Column '${name}' should be a number`))
      continue
    }
    if ((spec.dtype === 'int' && !Number.isInteger(v)) || (spec.dtype === 'bool' && v !== 0 && v !== 1)) {
      out.push(violation(name, 'type', 1, [v], `Column '${name}' should hold ${spec.dtype === 'int' ? 'integers' : '0/1 values'}`))
    }
    if (spec.min !== undefined && v < spec.min) out.push(violation(name, 'min', 1, [v], `Column '${name}' is below the minimum ${spec.min}`))
    if (spec.max !== undefined && v > spec.max) out.push(violation(name, 'max', 1, [v], `Column '${name}' is above the maximum ${spec.max}`))
  }
  if (schema.extraColumns === 'error') {
    const declared = new Set(schema.columns.map((c) => c.name))
    for (const name of Object.keys(row)) if (!declared.has(name)) out.push(violation(name, 'extra_column', 1, [], `Column '${name}' is not in the schema`))
  }
  return out
}

const SUMMARISED = 10

/** Throws a KeelError (INVALID_PARAMETER_VALUE) summarising the violations, to fail a pipeline step. */
export function assertValid(report: ValidationReport | readonly Violation[]): void {
  const violations = 'violations' in report ? report.violations : report
  if (violations.length === 0) return
  const lines = violations.slice(0, SUMMARISED).map((v) => `${v.message}.`)
  const more = violations.length > SUMMARISED ? ` …and ${violations.length - SUMMARISED} more.` : ''
  const error: KeelError = invalidParameter(`Data validation failed with ${violations.length} violation${violations.length === 1 ? '' : 's'}: ${lines.join(' ')}${more}`, {
    violations: violations.map((v) => ({ ...v })),
  })
  throw error
}
