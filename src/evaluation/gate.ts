import { invalidParameter } from '../core/errors.js'

/** One metric's validation rule, as MLflow's MetricThreshold. */
export interface MetricThreshold {
  /** The candidate must be >= threshold (greaterIsBetter) or <= threshold. */
  threshold?: number
  /** Positive: the candidate must beat the baseline by at least this much. */
  minAbsoluteChange?: number
  /** In [0, 1]: the candidate must beat the baseline by at least this share of the baseline's value. */
  minRelativeChange?: number
  greaterIsBetter: boolean
}

export interface GateMetricResult {
  metric: string
  passed: boolean
  candidate?: number
  baseline?: number
  /** Human-readable reasons for a failure; empty when the metric passed. */
  reasons: string[]
}

export interface GateResult {
  passed: boolean
  results: GateMetricResult[]
}

function checkThreshold(metric: string, t: MetricThreshold): void {
  const where = `Gate for '${metric}'`
  if (typeof t !== 'object' || t === null) throw invalidParameter(`${where} must be an object with threshold, minAbsoluteChange or minRelativeChange.`)
  if (t.threshold !== undefined && (typeof t.threshold !== 'number' || Number.isNaN(t.threshold))) {
    throw invalidParameter(`${where}: 'threshold' must be a number.`)
  }
  if (t.minAbsoluteChange !== undefined && !(typeof t.minAbsoluteChange === 'number' && t.minAbsoluteChange > 0)) {
    throw invalidParameter(`${where}: 'minAbsoluteChange' must be a positive number.`)
  }
  if (t.minRelativeChange !== undefined && !(typeof t.minRelativeChange === 'number' && t.minRelativeChange >= 0 && t.minRelativeChange <= 1)) {
    throw invalidParameter(`${where}: 'minRelativeChange' must be a number between 0 and 1.`)
  }
  if (typeof t.greaterIsBetter !== 'boolean') throw invalidParameter(`${where}: 'greaterIsBetter' must be true or false.`)
  if (t.threshold === undefined && t.minAbsoluteChange === undefined && t.minRelativeChange === undefined) {
    throw invalidParameter(`${where} sets no check; give threshold, minAbsoluteChange or minRelativeChange.`)
  }
}

const fmt = (v: number): string => String(Number.isFinite(v) ? Number(v.toPrecision(6)) : v)

/**
 * Validates candidate metrics with MLflow's `validate_evaluation_results` semantics: the threshold is
 * inclusive; a change rule needs the metric in the baseline (else it fails as missing); the absolute rule
 * is candidate >= baseline + min (or <= baseline - min); the relative rule is (candidate - baseline) /
 * baseline >= min (lower is better: (baseline - candidate) / baseline), and with a baseline of 0 falls
 * back to beating it by 1e-10. Unlike MLflow it returns every reason instead of raising.
 */
export function gate(
  candidate: Readonly<Record<string, number>>,
  thresholds: Readonly<Record<string, MetricThreshold>>,
  baseline?: Readonly<Record<string, number>>,
): GateResult {
  const results: GateMetricResult[] = []
  for (const [metric, t] of Object.entries(thresholds)) {
    checkThreshold(metric, t)
    const reasons: string[] = []
    const c = candidate[metric]
    const b = baseline?.[metric]
    const result: GateMetricResult = { metric, passed: false, reasons }
    if (c !== undefined) result.candidate = c
    if (b !== undefined) result.baseline = b
    results.push(result)
    if (c === undefined) {
      reasons.push(`${metric} is missing from the candidate's metrics.`)
      continue
    }
    const better = (x: number, y: number): boolean => (t.greaterIsBetter ? x >= y : x <= y)
    const worse = t.greaterIsBetter ? 'below' : 'above'
    if (t.threshold !== undefined && !better(c, t.threshold)) {
      reasons.push(`${metric} ${fmt(c)} is ${worse} the threshold ${fmt(t.threshold)}.`)
    }
    const needsBaseline = t.minAbsoluteChange !== undefined || t.minRelativeChange !== undefined
    if (needsBaseline && b === undefined) {
      reasons.push(`${metric} is missing from the baseline's metrics, so the change against the baseline cannot be checked.`)
    } else if (b !== undefined) {
      const change = t.greaterIsBetter ? c - b : b - c
      const direction = change >= 0 ? 'improved by' : 'got worse by'
      if (t.minAbsoluteChange !== undefined) {
        const bound = t.greaterIsBetter ? b + t.minAbsoluteChange : b - t.minAbsoluteChange
        if (!better(c, bound)) {
          reasons.push(`${metric} ${direction} ${fmt(Math.abs(change))} over the baseline ${fmt(b)}, less than the required ${fmt(t.minAbsoluteChange)}.`)
        }
      }
      if (t.minRelativeChange !== undefined) {
        if (b === 0) {
          if (!better(c, t.greaterIsBetter ? b + 1e-10 : b - 1e-10)) {
            reasons.push(`${metric} ${fmt(c)} does not beat the baseline 0 (a relative change against 0 falls back to a strict improvement).`)
          }
        } else {
          const relative = change / b
          if (relative < t.minRelativeChange || Number.isNaN(relative)) {
            reasons.push(
              `${metric} changed by ${fmt(relative * 100)}% relative to the baseline ${fmt(b)}, less than the required ${fmt(t.minRelativeChange * 100)}%.`,
            )
          }
        }
      }
    }
    result.passed = reasons.length === 0
  }
  return { passed: results.every((r) => r.passed), results }
}
