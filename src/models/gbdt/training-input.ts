import { invalidParameter } from '../../core/errors.js'
import type { Column, Frame } from '../../core/frame.js'
import type { Task } from '../predictor.js'
import type { GbdtClassWeight } from './params.js'

export interface EncodedTarget {
  /** Class index for classifiers, the value for regression. */
  y: Float64Array
  classes?: string[]
}

/**
 * A natively categorical feature: its kept training categories, most frequent first; category i has code i,
 * every other category (rare in training, or unseen) has code `categories.length` (the "other" bin), missing is NaN.
 */
export interface CategoryMap {
  categories: string[]
}

/**
 * Which features are split by category sets (`spec` 'auto': every string column; a list: those columns, string
 * or numeric integer codes) and their kept categories: the maxBins − 1 most frequent (ties by name), so the
 * codes plus "other" fit maxBins value bins. null for numeric features.
 */
export function categoryMaps(frame: Frame, features: readonly string[], spec: 'auto' | readonly string[], maxBins: number): Array<CategoryMap | null> {
  if (spec !== 'auto') {
    for (const name of spec) {
      if (!features.includes(name)) {
        throw invalidParameter(`Param 'categoricalFeatures' names '${name}', which is not a feature column (the frame's features: ${features.slice(0, 20).join(', ')}).`)
      }
    }
  }
  return features.map((name) => {
    const column = frame.column(name)
    const declared = spec === 'auto' ? column.kind === 'categorical' : spec.includes(name)
    if (!declared) return null
    const counts = new Map<string, number>()
    if (column.kind === 'categorical') {
      const perCode = new Float64Array(column.categories.length)
      for (let i = 0; i < column.codes.length; i++) if (column.codes[i]! >= 0) perCode[column.codes[i]!]!++
      perCode.forEach((c, code) => {
        if (c > 0) counts.set(column.categories[code]!, (counts.get(column.categories[code]!) ?? 0) + c)
      })
    } else {
      for (let i = 0; i < column.values.length; i++) {
        const v = column.values[i]!
        if (Number.isNaN(v)) continue
        if (!Number.isInteger(v)) {
          throw invalidParameter(`Feature '${name}' is listed in 'categoricalFeatures' but has the non-integer value ${v} at row ${i}; categorical numeric columns must hold integer codes.`)
        }
        const key = String(v)
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
    }
    if (counts.size === 0) throw invalidParameter(`Feature '${name}' is missing in every row; drop the column.`)
    const categories = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0))
    return { categories: categories.slice(0, maxBins - 1) }
  })
}

/** A categorical column (strings, or numbers compared as their string form) as codes of `map` (see CategoryMap). */
export function categoryCodes(column: Column, map: CategoryMap): Float64Array {
  const other = map.categories.length
  const index = new Map(map.categories.map((c, i) => [c, i]))
  if (column.kind === 'categorical') {
    const codeOf = Float64Array.from(column.categories, (c) => index.get(c) ?? other)
    const out = new Float64Array(column.codes.length)
    for (let i = 0; i < out.length; i++) out[i] = column.codes[i]! < 0 ? Number.NaN : codeOf[column.codes[i]!]!
    return out
  }
  const byNumber = new Map<number, number>()
  map.categories.forEach((c, i) => {
    if (c.trim() !== '' && String(Number(c)) === c) byNumber.set(Number(c), i)
  })
  const out = new Float64Array(column.values.length)
  for (let i = 0; i < out.length; i++) {
    const v = column.values[i]!
    out[i] = Number.isNaN(v) ? Number.NaN : byNumber.get(v) ?? other
  }
  return out
}

/**
 * Feature columns as float64 (NaN = missing, which boosting handles); features with a CategoryMap become their
 * codes, and any other string column is an error.
 */
export function featureColumns(frame: Frame, features: readonly string[], training: boolean, categories?: ReadonlyArray<CategoryMap | null>): Float64Array[] {
  if (features.length === 0) throw invalidParameter('The training frame has no feature columns besides the target (and weight column).')
  return features.map((name, f) => {
    if (!frame.has(name)) throw invalidParameter(`The validation frame lacks feature '${name}' that the training frame has.`)
    const column = frame.column(name)
    const map = categories?.[f]
    if (map !== undefined && map !== null) return categoryCodes(column, map)
    if (column.kind !== 'numeric') {
      throw invalidParameter(
        `Feature '${name}' is categorical but not in 'categoricalFeatures'; add it there (or use 'auto'), encode it first (one-hot, ordinal or target encoding), or drop it.`,
      )
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
