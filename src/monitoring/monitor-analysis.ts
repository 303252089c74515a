import type { Keel } from '../client/keel.js'
import type { Frame } from '../core/frame.js'
import { detectDrift } from './drift/index.js'
import type { ColumnDriftOptions, DriftOptions } from './drift/index.js'
import type { MonitorDriftConfig } from './monitor-config.js'
import { dataQuality } from './quality.js'
import { estimateCbpe, fitCbpeCalibration, realizedPerformance } from './performance.js'
import type { CbpeCalibration, PredictionOutputs } from './performance.js'
import { loadReference } from './reference.js'
import type { Reference } from './reference.js'
import type { DatasetDriftResult, DatasetProfile } from './types.js'

export type Task = 'classification' | 'regression'

/**
 * The analysis steps the monitor runs per window, behind one seam so the engine stays about windows, joins and
 * rules: the defaults adapt drift/, quality.ts and performance.ts; tests and custom monitors replace any step.
 */
export interface MonitorAnalysis {
  loadReference(keel: Keel, modelUri: string): Promise<Reference | undefined>
  /** Drift of `current` against `reference` (same column names). */
  detectDrift(reference: Frame, current: Frame, options: MonitorDriftConfig | undefined): DatasetDriftResult
  /** Data quality of a window (inputs and outputs) against the reference profile, as `quality.*` metrics. */
  quality(reference: DatasetProfile, current: Frame): Record<string, number>
  /** Realized metrics on the labelled rows (`outputs` row i has `outcomes[i]`), named without a prefix. */
  realized(task: Task, outputs: Frame, outcomes: ReadonlyArray<number | string>, classes: readonly string[]): Record<string, number>
  /**
   * Fitted once per run from the reference's outputs and true labels (`labels[i]` of row i, null unknown); undefined
   * when the reference cannot calibrate (too few labels, a class missing). CBPE then assumes calibrated scores.
   */
  calibrate(referenceOutputs: Frame, labels: ReadonlyArray<string | null>, classes: readonly string[]): CbpeCalibration | undefined
  /** CBPE estimate from the window's `probability_<class>` columns (calibrated when given), named without a prefix. */
  estimated(outputs: Frame, classes: readonly string[], calibration?: CbpeCalibration): Record<string, number>
}

/** Labelled rows per class the reference needs before CBPE calibrates on it (each split half gets some). */
export const MIN_CALIBRATION_LABELS_PER_CLASS = 10

/** `fitCbpeCalibration` over the reference rows whose label is one of the model's classes. */
export function referenceCalibration(referenceOutputs: Frame, labels: ReadonlyArray<string | null>, classes: readonly string[]): CbpeCalibration | undefined {
  if (labels.length !== referenceOutputs.rows || classes.length < 2) return undefined
  const index = new Map(classes.map((c, i) => [c, i]))
  const rows: number[] = []
  const codes: number[] = []
  for (let i = 0; i < labels.length; i++) {
    const code = labels[i] === null ? undefined : index.get(labels[i]!)
    if (code === undefined) continue
    rows.push(i)
    codes.push(code)
  }
  const perClass = new Array<number>(classes.length).fill(0)
  for (const c of codes) perClass[c]!++
  if (perClass.some((n) => n < MIN_CALIBRATION_LABELS_PER_CLASS)) return undefined
  const all = probabilityMatrix(referenceOutputs, classes)
  const k = classes.length
  const probabilities = new Float64Array(rows.length * k)
  for (let j = 0; j < rows.length; j++) probabilities.set(all.subarray(rows[j]! * k, rows[j]! * k + k), j * k)
  return fitCbpeCalibration({ probabilities, labels: Int32Array.from(codes), classes: k })
}

/** The monitor config's drift section as drift/'s options, per-column settings limited to the columns compared. */
export function driftOptions(config: MonitorDriftConfig | undefined, columns: readonly string[]): DriftOptions {
  const options: DriftOptions = {}
  if (config?.shareThreshold !== undefined) options.shareThreshold = config.shareThreshold
  if (config?.correction !== undefined) options.correction = config.correction
  const perColumn: Record<string, ColumnDriftOptions> = {}
  for (const [name, spec] of Object.entries(config?.columns ?? {})) {
    if (!columns.includes(name)) continue
    const entry: ColumnDriftOptions = {}
    if (spec.test !== undefined) entry.test = spec.test
    if (spec.threshold !== undefined) entry.threshold = spec.threshold
    perColumn[name] = entry
  }
  if (Object.keys(perColumn).length > 0) options.perColumn = perColumn
  return options
}

/** Row-major n × k probabilities from the `probability_<class>` columns, in `classes` order. */
export function probabilityMatrix(outputs: Frame, classes: readonly string[]): Float64Array {
  const k = classes.length
  const out = new Float64Array(outputs.rows * k)
  for (let c = 0; c < k; c++) {
    const column = outputs.numeric(`probability_${classes[c]!}`)
    for (let i = 0; i < outputs.rows; i++) out[i * k + c] = column[i]!
  }
  return out
}

export const defaultAnalysis: MonitorAnalysis = {
  loadReference,
  detectDrift: (reference, current, config) => detectDrift(reference, current, driftOptions(config, current.names)),
  quality: dataQuality,
  realized: (task, outputs, outcomes) => {
    const rows: PredictionOutputs[] = new Array<PredictionOutputs>(outputs.rows)
    for (let i = 0; i < outputs.rows; i++) rows[i] = outputs.row(i)
    return realizedPerformance(task, rows, outcomes)
  },
  calibrate: referenceCalibration,
  estimated: (outputs, classes, calibration) =>
    estimateCbpe(probabilityMatrix(outputs, classes), classes, calibration === undefined ? {} : { calibration }),
}
