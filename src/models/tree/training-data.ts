import { invalidParameter } from '../../core/errors.js'
import type { Frame } from '../../core/frame.js'
import type { Task } from '../predictor.js'
import type { ClassWeight } from './params.js'

/**
 * The training set as the tree builder reads it: features quantile-binned once into one row-major byte matrix
 * (bins[row * nFeatures + feature]), the target as float64 (class index for classification), and a per-row
 * base weight (the class weight). Buffers are SharedArrayBuffers so forest workers read them without a copy.
 */
export interface TrainingData {
  rows: number
  nFeatures: number
  /** Values per leaf: the number of classes, or 1 for regression. */
  nOut: number
  bins: Uint8Array
  /** Bins per feature; bin b holds values ≤ edges[f][b] (the last bin the rest). */
  nBins: Int32Array
  y: Float64Array
  baseWeight: Float64Array
}

export interface PreparedTraining {
  data: TrainingData
  features: string[]
  classes?: string[]
  edges: Float64Array[]
}

/** Missing feature values are refused (impute them in the feature pipeline): the trees learn no default direction. */
export function prepareTraining(frame: Frame, target: string, task: Task, maxBins: number, classWeight: ClassWeight): PreparedTraining {
  if (frame.rows === 0) throw invalidParameter('The training frame has no rows.')
  const targetColumn = frame.column(target)
  const features = frame.names.filter((n) => n !== target)
  if (features.length === 0) throw invalidParameter(`The training frame has no feature columns besides the target '${target}'.`)
  const columns = features.map((name) => featureValues(frame, name))
  const n = frame.rows
  const y = new Float64Array(new SharedArrayBuffer(8 * n))
  const baseWeight = new Float64Array(new SharedArrayBuffer(8 * n))
  let classes: string[] | undefined
  let nOut = 1
  if (task === 'regression') {
    if (targetColumn.kind !== 'numeric') {
      throw invalidParameter(`Target '${target}' is categorical; use task 'classification' or encode it as numbers.`)
    }
    const v = targetColumn.values
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(v[i]!)) throw invalidParameter(`Target '${target}' has ${v[i]} at row ${i}; drop or fill rows whose target is missing or infinite.`)
      y[i] = v[i]!
    }
    baseWeight.fill(1)
  } else {
    const labels = encodeClasses(frame, target, y)
    classes = labels
    nOut = labels.length
    const weights = classWeights(classWeight, labels, y)
    for (let i = 0; i < n; i++) baseWeight[i] = weights[y[i]!]!
  }
  const { bins, nBins, edges } = binFeatures(columns, maxBins)
  const data: TrainingData = { rows: n, nFeatures: features.length, nOut, bins, nBins, y, baseWeight }
  return classes === undefined ? { data, features, edges } : { data, features, classes, edges }
}

function featureValues(frame: Frame, name: string): Float64Array {
  const column = frame.column(name)
  if (column.kind !== 'numeric') {
    throw invalidParameter(`Feature '${name}' is categorical; encode it first (one-hot, ordinal or target encoding) or drop it.`)
  }
  let missing = 0
  for (let i = 0; i < column.values.length; i++) if (Number.isNaN(column.values[i]!)) missing++
  if (missing === column.values.length) throw invalidParameter(`Feature '${name}' is missing in every row; drop the column.`)
  if (missing > 0) {
    throw invalidParameter(`Feature '${name}' has ${missing} missing values; trees need them imputed first (add an imputer to the feature pipeline).`)
  }
  return column.values
}

/** Classes sorted as scikit-learn sorts them (numbers numerically, strings by code unit); writes class indices to y. */
function encodeClasses(frame: Frame, target: string, y: Float64Array): string[] {
  const column = frame.column(target)
  const n = frame.rows
  let labels: string[]
  if (column.kind === 'numeric') {
    const v = column.values
    const distinct = new Set<number>()
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(v[i]!)) throw invalidParameter(`Target '${target}' has ${v[i]} at row ${i}; drop or fill rows whose target is missing or infinite.`)
      distinct.add(v[i]!)
    }
    const sorted = [...distinct].sort((a, b) => a - b)
    const index = new Map(sorted.map((value, k) => [value, k]))
    for (let i = 0; i < n; i++) y[i] = index.get(v[i]!)!
    labels = sorted.map(String)
  } else {
    const present = new Uint8Array(column.categories.length)
    for (let i = 0; i < n; i++) {
      const c = column.codes[i]!
      if (c < 0) throw invalidParameter(`Target '${target}' is missing at row ${i}; drop or fill rows whose target is missing.`)
      present[c] = 1
    }
    labels = column.categories.filter((_, c) => present[c] === 1).sort()
    const index = new Map(labels.map((label, k) => [label, k]))
    const codeToClass = column.categories.map((label) => index.get(label) ?? -1)
    for (let i = 0; i < n; i++) y[i] = codeToClass[column.codes[i]!]!
  }
  if (labels.length < 2) throw invalidParameter(`Target '${target}' has only one class ('${labels[0]}'); a classifier needs at least two.`)
  return labels
}

function classWeights(classWeight: ClassWeight, labels: readonly string[], y: Float64Array): Float64Array {
  const weights = new Float64Array(labels.length).fill(1)
  if (classWeight === null) return weights
  if (classWeight === 'balanced') {
    const counts = new Float64Array(labels.length)
    for (let i = 0; i < y.length; i++) counts[y[i]!]!++
    for (let k = 0; k < labels.length; k++) weights[k] = y.length / (labels.length * counts[k]!)
    return weights
  }
  for (const [label, w] of Object.entries(classWeight)) {
    const k = labels.indexOf(label)
    if (k < 0) throw invalidParameter(`Param 'classWeight' names class '${label}', which is not in the target; classes: ${labels.join(', ')}.`)
    weights[k] = w
  }
  return weights
}

/** Above this many rows quantile edges come from an evenly strided sample (as histogram GBMs do). */
const EDGE_SAMPLE = 50_000

export function binFeatures(columns: readonly Float64Array[], maxBins: number): { bins: Uint8Array; nBins: Int32Array; edges: Float64Array[] } {
  const nFeatures = columns.length
  const n = columns[0]!.length
  const bins = new Uint8Array(new SharedArrayBuffer(n * nFeatures))
  const nBins = new Int32Array(nFeatures)
  const edges: Float64Array[] = []
  for (let f = 0; f < nFeatures; f++) {
    const values = columns[f]!
    const e = binEdges(values, maxBins)
    edges.push(e)
    nBins[f] = e.length + 1
    const last = e.length - 1
    for (let i = 0; i < n; i++) {
      const x = values[i]!
      // First edge ≥ x by binary search; prediction compares x ≤ edge the same way, so bins and thresholds agree.
      let lo = 0
      let hi = last + 1
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (x <= e[mid]!) hi = mid
        else lo = mid + 1
      }
      bins[i * nFeatures + f] = lo
    }
  }
  return { bins, nBins, edges }
}

/**
 * Cut points between distinct values. With ≤ maxBins distinct values (counted over every row, so a rare
 * value is never lost to sampling) every gap is a cut; otherwise cuts sit at quantiles of a sample.
 */
function binEdges(values: Float64Array, maxBins: number): Float64Array {
  const n = values.length
  const distinct = new Set<number>()
  for (let i = 0; i < n && distinct.size <= maxBins; i++) distinct.add(values[i]!)
  if (distinct.size <= maxBins) {
    const sortedDistinct = Float64Array.from(distinct).sort()
    const out = new Float64Array(Math.max(0, sortedDistinct.length - 1))
    for (let j = 1; j < sortedDistinct.length; j++) out[j - 1] = midpoint(sortedDistinct[j - 1]!, sortedDistinct[j]!)
    return out
  }
  const stride = n > EDGE_SAMPLE ? n / EDGE_SAMPLE : 1
  const m = Math.min(n, EDGE_SAMPLE)
  const sorted = new Float64Array(m)
  for (let j = 0; j < m; j++) sorted[j] = values[Math.floor(j * stride)]!
  sorted.sort()
  const out: number[] = []
  for (let q = 1; q < maxBins; q++) {
    let j = Math.floor((q * m) / maxBins)
    const v = sorted[j]!
    while (j < m && sorted[j] === v) j++
    if (j >= m) break
    const edge = midpoint(v, sorted[j]!)
    if (out.length === 0 || edge > out[out.length - 1]!) out.push(edge)
  }
  return Float64Array.from(out)
}

/** A threshold strictly between lo and hi where floating point allows (as scikit-learn does), else lo. */
function midpoint(lo: number, hi: number): number {
  const mid = lo / 2 + hi / 2
  return Number.isFinite(mid) && mid >= lo && mid < hi ? mid : lo
}
