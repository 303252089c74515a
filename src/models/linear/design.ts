import { invalidParameter } from '../../core/errors.js'
import type { Frame, Row } from '../../core/frame.js'

/**
 * Reading a Frame into what the linear solvers use: one Float64Array per feature (the frame's own arrays, no
 * copy), a dense target, and sample weights. Every check names the column and the fix.
 */
export interface Design {
  features: string[]
  columns: Float64Array[]
  rows: number
}

/** Features = every column except the target and the weight column; all must be numeric and finite. */
export function readDesign(frame: Frame, target: string, weightColumn: string | null, algorithm: string): Design {
  if (!frame.has(target)) {
    throw invalidParameter(`Target column '${target}' is not in the data. Columns: ${frame.names.slice(0, 20).join(', ')}.`)
  }
  if (weightColumn !== null && !frame.has(weightColumn)) {
    throw invalidParameter(`${algorithm} param 'weightColumn' names '${weightColumn}', which is not in the data.`)
  }
  const features = frame.names.filter((n) => n !== target && n !== weightColumn)
  if (features.length === 0) throw invalidParameter(`The data has no feature columns besides the target '${target}'.`)
  if (frame.rows === 0) throw invalidParameter(`The training data has no rows.`)
  return { features, columns: readFeatureColumns(frame, features, algorithm), rows: frame.rows }
}

/** The feature columns in `features` order, checked: numeric, no NaN/Infinity. */
export function readFeatureColumns(frame: Frame, features: readonly string[], algorithm: string): Float64Array[] {
  const columns: Float64Array[] = []
  for (const name of features) {
    if (!frame.has(name)) {
      throw invalidParameter(
        `The model was trained on column '${name}', which is missing from the input. It expects the features ${features.join(', ')}.`,
      )
    }
    const column = frame.column(name)
    if (column.kind !== 'numeric') {
      throw invalidParameter(`Column '${name}' is categorical; ${algorithm} needs numeric features: encode it first (one-hot, ordinal or target encoding).`)
    }
    const values = column.values
    // v − v is 0 for finite v and NaN for NaN/±Infinity: one branch-free pass in the common, clean case.
    let probe = 0
    for (let i = 0; i < values.length; i++) probe += values[i]! - values[i]!
    if (probe === 0) {
      columns.push(values)
      continue
    }
    let missing = 0
    let infinite = 0
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (v !== v) missing++
      else if (v === Infinity || v === -Infinity) infinite++
    }
    if (missing === values.length) {
      throw invalidParameter(`Column '${name}' is entirely missing; drop it from the features.`)
    }
    if (missing > 0) {
      throw invalidParameter(`Column '${name}' has ${missing} missing values (NaN); ${algorithm} cannot use them: add an imputer (mean, median, most frequent or constant) to the feature pipeline.`)
    }
    if (infinite > 0) {
      throw invalidParameter(`Column '${name}' has ${infinite} infinite values; clip or transform it (e.g. a clip step) before ${algorithm}.`)
    }
    columns.push(values)
  }
  return columns
}

/** Sample weights from `weightColumn` (finite, ≥ 0, not all zero), or all ones. */
export function readWeights(frame: Frame, weightColumn: string | null): Float64Array {
  if (weightColumn === null) return new Float64Array(frame.rows).fill(1)
  const values = frame.numeric(weightColumn)
  let total = 0
  for (let i = 0; i < values.length; i++) {
    const w = values[i]!
    if (!(w >= 0) || w === Infinity) {
      throw invalidParameter(`Weight column '${weightColumn}' has the value ${w} at row ${i}; sample weights must be finite and >= 0.`)
    }
    total += w
  }
  if (total === 0) throw invalidParameter(`Weight column '${weightColumn}' is all zeros; at least one row needs a positive weight.`)
  return Float64Array.from(values)
}

/** A regression target: numeric, finite. */
export function readRegressionTarget(frame: Frame, target: string): Float64Array {
  const column = frame.column(target)
  if (column.kind !== 'numeric') {
    throw invalidParameter(`Target column '${target}' is categorical; regression needs a numeric target (or use task 'classification').`)
  }
  const values = column.values
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (!Number.isFinite(v)) {
      throw invalidParameter(`Target column '${target}' has ${Number.isNaN(v) ? 'a missing value (NaN)' : v} at row ${i}; drop those rows or fill the target before training.`)
    }
  }
  return values
}

export interface ClassTarget {
  classes: string[]
  /** Index into `classes` per row. */
  labels: Int32Array
}

/** A classification target: classes are the sorted distinct values as strings (numeric targets sort numerically). */
export function readClassTarget(frame: Frame, target: string): ClassTarget {
  const column = frame.column(target)
  const labels = new Int32Array(frame.rows)
  let classes: string[]
  if (column.kind === 'numeric') {
    const values = column.values
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!
      if (!Number.isFinite(v)) {
        throw invalidParameter(`Target column '${target}' has ${Number.isNaN(v) ? 'a missing value (NaN)' : v} at row ${i}; drop those rows or fill the target before training.`)
      }
    }
    // Targets have few distinct values: collect them with a Set rather than sorting every row.
    const seen = new Set<number>()
    for (let i = 0; i < values.length; i++) seen.add(values[i]! === 0 ? 0 : values[i]!) // -0 and 0 are one class
    const lookup = Float64Array.from(seen).sort()
    for (let i = 0; i < values.length; i++) labels[i] = binarySearch(lookup, values[i]!)
    classes = Array.from(lookup, (v) => String(v))
  } else {
    const present = new Uint8Array(column.categories.length)
    for (let i = 0; i < column.codes.length; i++) {
      const code = column.codes[i]!
      if (code < 0) throw invalidParameter(`Target column '${target}' has a missing value at row ${i}; drop those rows or fill the target before training.`)
      present[code] = 1
    }
    // Code-unit order, as numpy sorts strings, so class order matches scikit-learn's.
    classes = column.categories.filter((_, c) => present[c] === 1).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    const byCategory = new Int32Array(column.categories.length).fill(-1)
    classes.forEach((name, k) => (byCategory[column.categories.indexOf(name)] = k))
    for (let i = 0; i < column.codes.length; i++) labels[i] = byCategory[column.codes[i]!]!
  }
  if (classes.length < 2) {
    throw invalidParameter(`Target column '${target}' has only one class (${JSON.stringify(classes[0] ?? null)}); classification needs at least two classes.`)
  }
  return { classes, labels }
}

function binarySearch(sorted: Float64Array, value: number): number {
  let lo = 0
  let hi = sorted.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** One feature of a JSON row as a number; missing or non-numeric is an error naming the column. */
export function rowValue(row: Row, name: string): number {
  const v = row[name]
  if (typeof v === 'number') {
    if (Number.isFinite(v)) return v
    throw invalidParameter(`Feature '${name}' is ${v}; the model needs a finite number (impute or clip it first).`)
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v === null || v === undefined) {
    throw invalidParameter(`Feature '${name}' is missing from the row; the model needs every feature it was trained on (add an imputer to the pipeline for missing values).`)
  }
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw invalidParameter(`Feature '${name}' must be a number, got '${v}'.`)
  return n
}
