import { invalidParameter } from '../../core/errors.js'
import type { ColumnKind, DriftColumnResult, DriftTestName } from '../types.js'
import { binnedShares } from './binning.js'
import { isDrifted, sharesHistogram, type DriftTest, type TestOutcome } from './drift-test.js'
import { type CountsPair, NumericPair, finiteValues, numericCounts } from './samples.js'
import { defaultDriftTest, SELECTION_UNIQUE_CAP } from './select.js'
import { DRIFT_TESTS } from './registry.js'

/** One column's work, as plain data so a worker thread can run it. */
export interface NumericColumnJob {
  column: string
  /** How the column is treated: numeric, or categorical over its distinct values (integer codes, booleans). */
  kind: ColumnKind
  reference: Float64Array
  current: Float64Array
  /** Explicit test; else Evidently's default. */
  test?: DriftTestName
  threshold?: number
  histogram: boolean
}

export interface CountsColumnJob {
  column: string
  counts: CountsPair
  test?: DriftTestName
  threshold?: number
}

export function driftTest(name: string): DriftTest {
  const test = (DRIFT_TESTS as Record<string, DriftTest | undefined>)[name]
  if (test === undefined) throw invalidParameter(`Unknown drift test '${name}'. Tests: ${Object.keys(DRIFT_TESTS).join(', ')}.`)
  return test
}

/** Runs a numeric column (values, NaN/±inf dropped first); undefined when either sample has no value. */
export function runNumericColumn(job: NumericColumnJob): DriftColumnResult | undefined {
  const pair = new NumericPair(finiteValues(job.reference), finiteValues(job.current))
  if (pair.reference.length === 0 || pair.current.length === 0) return undefined
  const name = job.test ?? defaultDriftTest(job.kind, pair.reference.length, pair.unionUniqueUpTo(SELECTION_UNIQUE_CAP))
  const test = driftTest(name)
  if (!test.appliesTo.includes(job.kind)) {
    throw invalidParameter(`Drift test '${name}' does not apply to ${job.kind} column '${job.column}'; use one of ${applicable(job.kind)}.`)
  }
  let outcome: TestOutcome
  if (job.kind === 'numeric' && test.numeric !== undefined) outcome = test.numeric(pair)
  else if (test.counts !== undefined) outcome = test.counts(numericCounts(pair))
  else throw invalidParameter(`Drift test '${name}' needs numeric values; column '${job.column}' is treated as categorical.`)
  if (outcome.histogram === undefined && job.histogram) {
    const b = binnedShares(pair, false)
    outcome = { ...outcome, histogram: sharesHistogram(b.bins, b.reference, b.current) }
  }
  return result(job.column, job.kind, test, outcome, job.threshold, pair.reference.length, pair.current.length)
}

/** Runs a categorical column on its category counts; undefined when either sample has no value. */
export function runCountsColumn(job: CountsColumnJob): DriftColumnResult | undefined {
  const c = job.counts
  if (c.referenceTotal === 0 || c.currentTotal === 0) return undefined
  const name = job.test ?? defaultDriftTest('categorical', c.referenceTotal, c.categories.length)
  const test = driftTest(name)
  if (test.counts === undefined || !test.appliesTo.includes('categorical')) {
    throw invalidParameter(`Drift test '${name}' does not apply to categorical column '${job.column}'; use one of ${applicable('categorical')}.`)
  }
  let outcome = test.counts(c)
  if (outcome.histogram === undefined) {
    const b = binnedShares(c, false)
    outcome = { ...outcome, histogram: sharesHistogram(b.bins, b.reference, b.current) }
  }
  return result(job.column, 'categorical', test, outcome, job.threshold, c.referenceTotal, c.currentTotal)
}

function applicable(kind: ColumnKind): string {
  return Object.values(DRIFT_TESTS)
    .filter((t) => t.appliesTo.includes(kind))
    .map((t) => t.name)
    .join(', ')
}

function result(
  column: string,
  kind: ColumnKind,
  test: DriftTest,
  outcome: TestOutcome,
  threshold: number | undefined,
  referenceRows: number,
  currentRows: number,
): DriftColumnResult {
  const thr = threshold ?? test.defaultThreshold
  const out: DriftColumnResult = {
    column,
    kind,
    test: test.name,
    score: outcome.score,
    threshold: thr,
    scoreKind: test.scoreKind,
    drifted: isDrifted(test, outcome.score, thr),
    referenceRows,
    currentRows,
  }
  if (outcome.histogram !== undefined) out.histogram = outcome.histogram
  return out
}
