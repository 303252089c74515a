import type { Column, Frame } from '../../core/frame.js'
import { invalidParameter } from '../../core/errors.js'
import type { ColumnKind, DatasetDriftResult, DriftColumnResult, DriftTestName } from '../types.js'
import { driftTest, runCountsColumn, runNumericColumn, type CountsColumnJob, type NumericColumnJob } from './column-drift.js'
import { isDrifted } from './drift-test.js'
import { categoricalCounts } from './samples.js'
import { INTEGER_CARDINALITY_LIMIT } from './select.js'

export interface ColumnDriftOptions {
  test?: DriftTestName
  threshold?: number
  /** Treat the column as this kind instead of inferring it. */
  kind?: ColumnKind
}

/**
 * Options of `detectDrift`, at Evidently's levels: global (`test`/`threshold`), per kind
 * (`numericTest`, …), per column (`perColumn`). The most specific wins.
 */
export interface DriftOptions {
  /** Columns to compare (default: every column of the reference that the current frame also has). */
  columns?: readonly string[]
  test?: DriftTestName
  threshold?: number
  numericTest?: DriftTestName
  numericThreshold?: number
  categoricalTest?: DriftTestName
  categoricalThreshold?: number
  perColumn?: Readonly<Record<string, ColumnDriftOptions>>
  /** Dataset drift when drifted / tested ≥ this (default 0.5, Evidently's drift_share). */
  shareThreshold?: number
  /**
   * Multiple-testing correction of the p-value tests' scores before the threshold (not in Evidently):
   * 'bonferroni' (p·m, capped at 1) or 'fdr' (Benjamini–Hochberg adjusted p-values); m = p-value columns.
   * With a correction, `score` is the adjusted p-value.
   */
  correction?: 'none' | 'bonferroni' | 'fdr'
  /** Attach binned shares to numeric results for reports (default true; costs one O(n) pass). */
  histograms?: boolean
}

export type ColumnJob = { type: 'numeric'; job: NumericColumnJob } | { type: 'counts'; job: CountsColumnJob }

/**
 * Compares every selected column of `current` with `reference` (Evidently's DataDriftPreset logic) in the
 * calling thread. Columns with no value in either sample are left out (Evidently raises instead).
 */
export function detectDrift(reference: Frame, current: Frame, options: DriftOptions = {}): DatasetDriftResult {
  const jobs = planDriftJobs(reference, current, options)
  const results = jobs.map((j) => (j.type === 'numeric' ? runNumericColumn(j.job) : runCountsColumn(j.job)))
  return summarizeDrift(results, options)
}

/** Works out each column's kind, test and threshold; validates names before any work. */
export function planDriftJobs(reference: Frame, current: Frame, options: DriftOptions): ColumnJob[] {
  const shareThreshold = options.shareThreshold ?? 0.5
  if (!(shareThreshold >= 0 && shareThreshold <= 1)) throw invalidParameter(`shareThreshold must be within [0, 1], got ${shareThreshold}.`)
  for (const t of [options.test, options.numericTest, options.categoricalTest]) if (t !== undefined) driftTest(t)
  const names = options.columns ?? reference.names.filter((n) => current.has(n))
  for (const n of Object.keys(options.perColumn ?? {})) {
    if (!names.includes(n)) throw invalidParameter(`perColumn names '${n}', which is not among the compared columns (${names.slice(0, 10).join(', ')}).`)
  }
  return names.map((name): ColumnJob => {
    const ref = reference.column(name)
    const cur = current.column(name)
    const per = options.perColumn?.[name] ?? {}
    const kind = per.kind ?? inferKind(ref)
    const test = per.test ?? (kind === 'numeric' ? options.numericTest : options.categoricalTest) ?? options.test
    if (test !== undefined) driftTest(test)
    const threshold = per.threshold ?? (kind === 'numeric' ? options.numericThreshold : options.categoricalThreshold) ?? options.threshold
    const spec: { test?: DriftTestName; threshold?: number } = {}
    if (test !== undefined) spec.test = test
    if (threshold !== undefined) spec.threshold = threshold
    if (ref.kind === 'categorical' || cur.kind === 'categorical') {
      if (ref.kind !== 'categorical' || cur.kind !== 'categorical') {
        throw invalidParameter(`Column '${name}' is ${ref.kind} in the reference but ${cur.kind} in the current data; both must be of one kind.`)
      }
      if (kind === 'numeric') throw invalidParameter(`Column '${name}' holds strings; it cannot be compared as numeric.`)
      return { type: 'counts', job: { column: name, counts: categoricalCounts(ref.codes, ref.categories, cur.codes, cur.categories), ...spec } }
    }
    return { type: 'numeric', job: { column: name, kind, reference: ref.values, current: cur.values, histogram: options.histograms ?? true, ...spec } }
  })
}

/** Evidently's inference for numbers: booleans and integers with ≤ 10 distinct reference values are categorical. */
function inferKind(column: Column): ColumnKind {
  if (column.kind === 'categorical') return 'categorical'
  if (column.dtype === 'bool') return 'categorical'
  if (column.dtype === 'int') {
    const seen = new Set<number>()
    const v = column.values
    for (let i = 0; i < v.length && seen.size <= INTEGER_CARDINALITY_LIMIT; i++) if (Number.isFinite(v[i]!)) seen.add(v[i]!)
    return seen.size <= INTEGER_CARDINALITY_LIMIT ? 'categorical' : 'numeric'
  }
  return 'numeric'
}

/** Applies the correction, then Evidently's dataset rule: share of drifted columns ≥ shareThreshold. */
export function summarizeDrift(results: ReadonlyArray<DriftColumnResult | undefined>, options: DriftOptions): DatasetDriftResult {
  const columns = results.filter((r): r is DriftColumnResult => r !== undefined)
  const correction = options.correction ?? 'none'
  if (correction !== 'none') adjustPValues(columns, correction)
  const driftedColumns = columns.filter((c) => c.drifted).length
  const share = columns.length === 0 ? 0 : driftedColumns / columns.length
  const shareThreshold = options.shareThreshold ?? 0.5
  return { columns, driftedColumns, share, shareThreshold, drifted: columns.length > 0 && share >= shareThreshold, correction }
}

function adjustPValues(columns: DriftColumnResult[], correction: 'bonferroni' | 'fdr'): void {
  const tested = columns.filter((c) => c.scoreKind === 'p_value' && !Number.isNaN(c.score))
  const m = tested.length
  if (m === 0) return
  if (correction === 'bonferroni') {
    for (const c of tested) c.score = Math.min(1, c.score * m)
  } else {
    // Benjamini–Hochberg: adjusted p_(i) = min over j ≥ i of p_(j)·m/j, capped at 1.
    const order = [...tested].sort((a, b) => a.score - b.score)
    let running = 1
    for (let i = m - 1; i >= 0; i--) {
      const c = order[i]!
      running = Math.min(running, (c.score * m) / (i + 1))
      c.score = running
    }
  }
  for (const c of tested) c.drifted = isDrifted(driftTest(c.test), c.score, c.threshold)
}
