import { invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import type { Task } from '../predictor.js'
import type { GbdtClassWeight } from './params.js'

export interface EncodedTarget {
  /** Class index for classifiers, the value for regression. */
  y: Float64Array
  classes?: string[]
}

/** Feature columns as float64 (NaN = missing, which boosting handles); categorical columns must be encoded first. */
export function featureColumns(frame: Frame, features: readonly string[], training: boolean): Float64Array[] {
  if (features.length === 0) throw invalidParameter('The training frame has no feature columns besides the target (and weight column).')
  return features.map((name) => {
    if (!frame.has(name)) throw invalidParameter(`The validation frame lacks feature '${name}' that the training frame has.`)
    const column = frame.column(name)
    if (column.kind !== 'numeric') {
      throw invalidParameter(`Feature '${name}' is categorical; encode it first (one-hot, ordinal or target encoding) or drop it.`)
    }
    if (training) {
      let missing = 0
      for (let i = 0; i < column.values.length; i++) if (Number.isNaN(column.values[i]!)) missing++
      if (missing === column.values.length) throw invalidParameter(`Feature '${name}' is missing in every row; drop the column.`)
    }
    return column.values
  })
}

/**
 * Encodes the target: class indices sorted as scikit-learn sorts labels (numbers numerically, strings by code
 * unit), or finite regression values. `classes` given (validation data) must contain every label seen.
 */
export function encodeTarget(frame: Frame, target: string, task: Task, classes?: readonly string[]): EncodedTarget {
  const column = frame.column(target)
  const n = frame.rows
  const y = new Float64Array(n)
  if (task === 'regression') {
    if (column.kind !== 'numeric') throw invalidParameter(`Target '${target}' is categorical; use task 'classification' or encode it as numbers.`)
    for (let i = 0; i < n; i++) {
      const v = column.values[i]!
      if (!Number.isFinite(v)) throw invalidParameter(`Target '${target}' has ${v} at row ${i}; drop or fill rows whose target is missing or infinite.`)
      y[i] = v
    }
    return { y }
  }
  const labelOf = (i: number): string => {
    if (column.kind === 'numeric') {
      const v = column.values[i]!
      if (!Number.isFinite(v)) throw invalidParameter(`Target '${target}' has ${v} at row ${i}; drop or fill rows whose target is missing or infinite.`)
      return String(v)
    }
    const c = column.codes[i]!
    if (c < 0) throw invalidParameter(`Target '${target}' is missing at row ${i}; drop or fill rows whose target is missing.`)
    return column.categories[c]!
  }
  let labels: string[]
  if (classes !== undefined) labels = [...classes]
  else {
    const seen = new Set<string>()
    for (let i = 0; i < n; i++) seen.add(labelOf(i))
    labels = [...seen]
    if (column.kind === 'numeric') labels.sort((a, b) => Number(a) - Number(b))
    else labels.sort()
    if (labels.length < 2) throw invalidParameter(`Target '${target}' has only one class ('${labels[0]}'); a classifier needs at least two.`)
  }
  const index = new Map(labels.map((l, k) => [l, k]))
  for (let i = 0; i < n; i++) {
    const k = index.get(labelOf(i))
    if (k === undefined) throw invalidParameter(`Target '${target}' has class '${labelOf(i)}' at row ${i} in the validation frame, which the training frame lacks.`)
    y[i] = k
  }
  return { y, classes: labels }
}

/** Row weights: the weight column (finite, ≥ 0) times the class weight. */
export function rowWeights(frame: Frame, weightColumn: string | null, classWeight: GbdtClassWeight, enc: EncodedTarget): Float64Array {
  const n = frame.rows
  const w = new Float64Array(n).fill(1)
  if (weightColumn !== null) {
    if (!frame.has(weightColumn)) throw invalidParameter(`Param 'weightColumn' names '${weightColumn}', which is not a column of the frame.`)
    const v = frame.numeric(weightColumn)
    for (let i = 0; i < n; i++) {
      if (!(Number.isFinite(v[i]!) && v[i]! >= 0)) throw invalidParameter(`Weight column '${weightColumn}' has ${v[i]} at row ${i}; weights must be finite and ≥ 0.`)
      w[i] = v[i]!
    }
  }
  if (classWeight !== null && enc.classes !== undefined) {
    const labels = enc.classes
    const per = new Float64Array(labels.length).fill(1)
    if (classWeight === 'balanced') {
      const counts = new Float64Array(labels.length)
      for (let i = 0; i < n; i++) counts[enc.y[i]!]!++
      for (let k = 0; k < labels.length; k++) per[k] = counts[k]! > 0 ? n / (labels.length * counts[k]!) : 1
    } else {
      for (const [label, cw] of Object.entries(classWeight)) {
        const k = labels.indexOf(label)
        if (k < 0) throw invalidParameter(`Param 'classWeight' names class '${label}', which is not in the target; classes: ${labels.join(', ')}.`)
        per[k] = cw
      }
    }
    for (let i = 0; i < n; i++) w[i]! *= per[enc.y[i]!]!
  }
  let total = 0
  for (let i = 0; i < n; i++) total += w[i]!
  if (!(total > 0)) throw invalidParameter('Row weights sum to 0; give at least one row a positive weight.')
  return w
}
