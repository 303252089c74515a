import type { Keel } from '../client/keel.js'
import type { Frame } from '../core/frame.js'
import { detectDrift } from './drift/index.js'
import type { ColumnDriftOptions, DriftOptions } from './drift/index.js'
import type { MonitorDriftConfig } from './monitor-config.js'
import { dataQuality } from './quality.js'
import { estimateCbpe, realizedPerformance } from './performance.js'
import type { PredictionOutputs } from './performance.js'
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
  /** CBPE estimate from the window's `probability_<class>` columns, named without a prefix. */
  estimated(outputs: Frame, classes: readonly string[]): Record<string, number>
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
  estimated: (outputs, classes) => estimateCbpe(probabilityMatrix(outputs, classes), classes),
}
