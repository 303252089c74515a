import { invalidParameter } from '../core/errors.js'
import type { Frame, NumericDType } from '../core/frame.js'

/** What one column must look like. JSON-serialisable: stored with the dataset and the model version. */
export interface ColumnSchema {
  name: string
  kind: 'numeric' | 'categorical'
  /** Numeric columns: how values read ('int' and 'bool' are checked: integers, 0/1). Categorical: 'string'. */
  dtype: NumericDType | 'string'
  min?: number
  max?: number
  /** Categorical: the categories allowed. */
  allowed?: string[]
  /** Largest fraction (0–1) of missing values allowed; 0 = no missing value. */
  maxMissingRate?: number
  unique?: boolean
  /** Whether the column must be present (default true). */
  required?: boolean
}

export interface DataSchema {
  format: 'keel-data-schema'
  formatVersion: 1
  columns: ColumnSchema[]
  /** Columns not in the schema: 'allow' (listed in the report only) or 'error' (a violation). */
  extraColumns: 'allow' | 'error'
}

export interface InferSchemaOptions {
  /**
   * Headroom over the observed missing rate: the limit is max(rate + headroom, 2 × rate), capped at 1. A column
   * with no missing value at all gets limit `headroom` too, so that a rare missing value does not fail the data.
   * Default 0.05.
   */
  missingHeadroom?: number
  /** Categorical columns with more distinct values than this get no `allowed` list (free text, ids). Default 100. */
  maxCategories?: number
  /** Mark categorical and integer columns whose values are all present and distinct as `unique`. Default true. */
  inferUnique?: boolean
  extraColumns?: 'allow' | 'error'
  /** Per-column fields that replace the inferred ones (e.g. wider ranges, `required: false`). */
  overrides?: Record<string, Partial<Omit<ColumnSchema, 'name'>>>
}

/**
 * A schema as the data shows it: ranges and categories as seen, a missing-rate limit with headroom (see
 * `missingHeadroom`), uniqueness where every value is distinct. Review it and widen it where the future may differ.
 */
export function inferSchema(frame: Frame, options: InferSchemaOptions = {}): DataSchema {
  const headroom = options.missingHeadroom ?? 0.05
  if (!(headroom >= 0 && headroom <= 1)) throw invalidParameter(`missingHeadroom must lie within [0, 1], got ${headroom}.`)
  const maxCategories = options.maxCategories ?? 100
  const columns = frame.columns.map((column): ColumnSchema => {
    let missing = 0
    let schema: ColumnSchema
    if (column.kind === 'numeric') {
      let min = Number.POSITIVE_INFINITY
      let max = Number.NEGATIVE_INFINITY
      const values = column.values
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!
        if (Number.isNaN(v)) missing++
        else {
          if (v < min) min = v
          if (v > max) max = v
        }
      }
      schema = { name: column.name, kind: 'numeric', dtype: column.dtype, required: true }
      // ±Infinity cannot travel in JSON; a column that reaches it gets no bound on that side.
      if (Number.isFinite(min)) schema.min = min
      if (Number.isFinite(max)) schema.max = max
      const integral = column.dtype === 'int' || column.dtype === 'bool'
      if (options.inferUnique !== false && integral && missing === 0 && frame.rows > 1 && new Set(values).size === frame.rows) schema.unique = true
    } else {
      const counts = new Int32Array(column.categories.length)
      for (let i = 0; i < column.codes.length; i++) {
        const c = column.codes[i]!
        if (c < 0) missing++
        else counts[c]!++
      }
      const seen = column.categories.filter((_, c) => counts[c]! > 0)
      schema = { name: column.name, kind: 'categorical', dtype: 'string', required: true }
      const distinct = missing === 0 && frame.rows > 1 && seen.length === frame.rows
      if (options.inferUnique !== false && distinct) schema.unique = true
      else if (seen.length <= maxCategories) schema.allowed = seen
    }
    const rate = frame.rows === 0 ? 0 : missing / frame.rows
    schema.maxMissingRate = Math.min(1, Math.max(rate + headroom, 2 * rate))
    const override = options.overrides?.[column.name]
    return override === undefined ? schema : { ...schema, ...override, name: column.name }
  })
  const unknown = Object.keys(options.overrides ?? {}).filter((n) => !frame.has(n))
  if (unknown.length > 0) throw invalidParameter(`Schema overrides name ${unknown.map((n) => `'${n}'`).join(', ')}, which the data does not have.`)
  return { format: 'keel-data-schema', formatVersion: 1, columns, extraColumns: options.extraColumns ?? 'allow' }
}

const DTYPES = ['float', 'int', 'bool', 'datetime', 'string']

/** Checks a stored schema (JSON) and returns it typed; every error names the column and field. */
export function parseDataSchema(json: unknown): DataSchema {
  let parsed = json
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json)
    } catch (error) {
      throw invalidParameter(`The data schema is not valid JSON: ${(error as Error).message}.`)
    }
  }
  const doc = parsed as Partial<DataSchema> | null
  if (doc === null || typeof doc !== 'object' || doc.format !== 'keel-data-schema' || doc.formatVersion !== 1 || !Array.isArray(doc.columns)) {
    throw invalidParameter(`Not a keel data schema: expected { format: 'keel-data-schema', formatVersion: 1, columns: [...] }.`)
  }
  const names = new Set<string>()
  for (const [i, c] of doc.columns.entries()) {
    const where = `Schema column ${typeof c?.name === 'string' ? `'${c.name}'` : i + 1}`
    if (typeof c?.name !== 'string' || c.name === '') throw invalidParameter(`${where}: 'name' must be a non-empty string.`)
    if (names.has(c.name)) throw invalidParameter(`${where} appears twice.`)
    names.add(c.name)
    if (c.kind !== 'numeric' && c.kind !== 'categorical') throw invalidParameter(`${where}: 'kind' must be 'numeric' or 'categorical'.`)
    if (!DTYPES.includes(c.dtype) || (c.kind === 'categorical') !== (c.dtype === 'string')) {
      throw invalidParameter(`${where}: 'dtype' must be 'string' for a categorical column, else one of float, int, bool, datetime.`)
    }
    for (const f of ['min', 'max', 'maxMissingRate'] as const) {
      if (c[f] !== undefined && (typeof c[f] !== 'number' || !Number.isFinite(c[f]))) throw invalidParameter(`${where}: '${f}' must be a finite number.`)
    }
    if (c.maxMissingRate !== undefined && (c.maxMissingRate < 0 || c.maxMissingRate > 1)) throw invalidParameter(`${where}: 'maxMissingRate' must lie within [0, 1].`)
    if (c.allowed !== undefined && (!Array.isArray(c.allowed) || !c.allowed.every((a) => typeof a === 'string'))) throw invalidParameter(`${where}: 'allowed' must be a list of strings.`)
    for (const f of ['unique', 'required'] as const) if (c[f] !== undefined && typeof c[f] !== 'boolean') throw invalidParameter(`${where}: '${f}' must be true or false.`)
  }
  const extra = doc.extraColumns ?? 'allow'
  if (extra !== 'allow' && extra !== 'error') throw invalidParameter(`Schema 'extraColumns' must be 'allow' or 'error'.`)
  return { format: 'keel-data-schema', formatVersion: 1, columns: doc.columns, extraColumns: extra }
}
