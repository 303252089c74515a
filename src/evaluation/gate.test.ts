import { describe, expect, it } from 'vitest'
import { gate } from './gate.js'

describe('gate (MLflow MetricThreshold semantics)', () => {
  it('an absolute threshold is inclusive, in the metric\'s direction', () => {
    expect(gate({ auc: 0.85 }, { auc: { threshold: 0.85, greaterIsBetter: true } }).passed).toBe(true)
    const failed = gate({ auc: 0.842 }, { auc: { threshold: 0.85, greaterIsBetter: true } })
    expect(failed.passed).toBe(false)
    expect(failed.results[0]!.reasons).toEqual(['auc 0.842 is below the threshold 0.85.'])
    const loss = gate({ log_loss: 0.31 }, { log_loss: { threshold: 0.3, greaterIsBetter: false } })
    expect(loss.results[0]!.reasons).toEqual(['log_loss 0.31 is above the threshold 0.3.'])
  })

  it('minimum absolute change against the baseline', () => {
    const t = { auc: { minAbsoluteChange: 0.01, greaterIsBetter: true } }
    const small = gate({ auc: 0.842 }, t, { auc: 0.838 })
    expect(small.passed).toBe(false)
    expect(small.results[0]!.reasons).toEqual(['auc improved by 0.004 over the baseline 0.838, less than the required 0.01.'])
    expect(gate({ auc: 0.85 }, t, { auc: 0.838 }).passed).toBe(true)
    const rmse = { rmse: { minAbsoluteChange: 0.5, greaterIsBetter: false } }
    expect(gate({ rmse: 9 }, rmse, { rmse: 10 }).passed).toBe(true)
    expect(gate({ rmse: 9.6 }, rmse, { rmse: 10 }).results[0]!.reasons[0]).toMatch(/rmse improved by 0.4 over the baseline 10, less than the required 0.5/)
    expect(gate({ rmse: 11 }, rmse, { rmse: 10 }).results[0]!.reasons[0]).toMatch(/got worse by 1/)
  })

  it('minimum relative change, with MLflow\'s fallback for a zero baseline', () => {
    const t = { acc: { minRelativeChange: 0.05, greaterIsBetter: true } }
    expect(gate({ acc: 0.85 }, t, { acc: 0.8 }).passed).toBe(true)
    const r = gate({ acc: 0.83 }, t, { acc: 0.8 })
    expect(r.passed).toBe(false)
    expect(r.results[0]!.reasons[0]).toMatch(/acc changed by 3.75% relative to the baseline 0.8, less than the required 5%/)
    expect(gate({ acc: 1e-9 }, t, { acc: 0 }).passed).toBe(true)
    expect(gate({ acc: 1e-11 }, t, { acc: 0 }).passed).toBe(false)
    const lower = { mae: { minRelativeChange: 0.1, greaterIsBetter: false } }
    expect(gate({ mae: 0.89 }, lower, { mae: 1 }).passed).toBe(true)
    expect(gate({ mae: 0.95 }, lower, { mae: 1 }).passed).toBe(false)
  })

  it('missing candidate or baseline metrics fail with a reason; every rule is reported', () => {
    const result = gate(
      { auc: 0.8 },
      {
        auc: { threshold: 0.85, minAbsoluteChange: 0.01, greaterIsBetter: true },
        f1: { threshold: 0.5, greaterIsBetter: true },
      },
    )
    expect(result.passed).toBe(false)
    expect(result.results[0]!.reasons).toEqual([
      'auc 0.8 is below the threshold 0.85.',
      "auc is missing from the baseline's metrics, so the change against the baseline cannot be checked.",
    ])
    expect(result.results[1]!.reasons).toEqual(["f1 is missing from the candidate's metrics."])
    // A threshold alone needs no baseline.
    expect(gate({ auc: 0.9 }, { auc: { threshold: 0.85, greaterIsBetter: true } }).passed).toBe(true)
  })

  it('a NaN candidate fails the threshold', () => {
    expect(gate({ auc: Number.NaN }, { auc: { threshold: 0.5, greaterIsBetter: true } }).passed).toBe(false)
  })

  it('rejects thresholds MLflow rejects', () => {
    expect(() => gate({}, { auc: { greaterIsBetter: true } })).toThrowError(/sets no check/)
    expect(() => gate({}, { auc: { minAbsoluteChange: 0, greaterIsBetter: true } })).toThrowError(/positive/)
    expect(() => gate({}, { auc: { minRelativeChange: 1.5, greaterIsBetter: true } })).toThrowError(/between 0 and 1/)
    expect(() => gate({}, { auc: { threshold: 1 } as never })).toThrowError(/greaterIsBetter/)
  })
})
