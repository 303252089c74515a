import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chi2Sf } from '../stats/gamma.js'
import { kolmogorovSf } from '../stats/kolmogorov.js'
import { normalCdf } from '../stats/normal.js'
import { andersonKsamp2 } from '../stats/anderson.js'
import { DRIFT_TESTS } from './registry.js'
import { NumericPair, categoricalCounts } from './samples.js'
import { categoricalColumn } from '../../core/frame.js'
import { ksTwoSample } from './ks.js'
import type { DriftTestName } from '../types.js'

/**
 * Every test against SciPy 1.10 / NumPy on the committed fixtures (test/fixtures/drift/make_drift.py):
 * 1e-9 relative where SciPy is exact, 1e-6 where it interpolates (anderson).
 */
interface NumericCase {
  name: string
  reference: number[]
  current: number[]
  ks_statistic: number
  ks_pvalue: number
  wasserstein: number
  hellinger: number
  psi: number
  kl_div: number
  jensenshannon: number
  anderson?: number
  anderson_statistic?: number
}
interface CategoricalCase {
  name: string
  reference: string[]
  current: string[]
  chisquare?: number
  z?: number
  psi: number
  kl_div: number
  jensenshannon: number
  hellinger: number
}
interface Fixtures {
  numeric: NumericCase[]
  categorical: CategoricalCase[]
  kolmogorov: Array<{ n: number; x: number; sf: number }>
  chi2: Array<{ x: number; df: number; sf: number }>
  ndtr: Array<{ x: number; cdf: number; two_sided: number }>
}

const fixtures = JSON.parse(readFileSync(new URL('../../../test/fixtures/drift/drift.json', import.meta.url), 'utf8')) as Fixtures

function expectClose(actual: number, expected: number, rel: number, label: string): void {
  if (expected === 0 || !Number.isFinite(expected)) {
    expect(actual, label).toBe(expected)
    return
  }
  const err = Math.abs(actual - expected) / Math.abs(expected)
  expect(err, `${label}: got ${actual}, SciPy ${expected}`).toBeLessThanOrEqual(rel)
}

function numericScore(test: DriftTestName, c: NumericCase): number {
  const pair = new NumericPair(Float64Array.from(c.reference), Float64Array.from(c.current))
  return DRIFT_TESTS[test].numeric!(pair).score
}

function countsScore(test: DriftTestName, c: CategoricalCase): number {
  const ref = categoricalColumn('c', c.reference)
  const cur = categoricalColumn('c', c.current)
  return DRIFT_TESTS[test].counts!(categoricalCounts(ref.codes, ref.categories, cur.codes, cur.categories)).score
}

describe('drift tests match SciPy on numeric fixtures', () => {
  it('has at least 6 numeric and 6 categorical cases', () => {
    expect(fixtures.numeric.length).toBeGreaterThanOrEqual(6)
    expect(fixtures.categorical.length).toBeGreaterThanOrEqual(6)
  })
  for (const c of fixtures.numeric) {
    it(`ks ${c.name}`, () => {
      const r = ksTwoSample(Float64Array.from(c.reference).sort(), Float64Array.from(c.current).sort())
      expectClose(r.statistic, c.ks_statistic, 1e-12, 'statistic')
      expectClose(r.pValue, c.ks_pvalue, 1e-9, 'p-value')
      expectClose(numericScore('ks', c), c.ks_pvalue, 1e-9, 'registered ks')
    })
    for (const t of ['wasserstein', 'psi', 'kl_div', 'jensenshannon', 'hellinger'] as const) {
      it(`${t} ${c.name}`, () => expectClose(numericScore(t, c), c[t], 1e-9, t))
    }
    if (c.anderson !== undefined) {
      it(`anderson ${c.name}`, () => {
        const r = andersonKsamp2(Float64Array.from(c.reference).sort(), Float64Array.from(c.current).sort())
        expectClose(r.statistic, c.anderson_statistic!, 1e-9, 'statistic')
        expectClose(numericScore('anderson', c), c.anderson!, 1e-6, 'significance')
      })
    }
  }
})

describe('drift tests match SciPy on categorical fixtures', () => {
  for (const c of fixtures.categorical) {
    if (c.chisquare !== undefined) it(`chisquare ${c.name}`, () => expectClose(countsScore('chisquare', c), c.chisquare!, 1e-9, 'p'))
    if (c.z !== undefined) it(`z ${c.name}`, () => expectClose(countsScore('z', c), c.z!, 1e-9, 'p'))
    for (const t of ['psi', 'kl_div', 'jensenshannon', 'hellinger'] as const) {
      it(`${t} ${c.name}`, () => expectClose(countsScore(t, c), c[t], 1e-9, t))
    }
  }
})

describe('special functions match SciPy', () => {
  it('kstwo.sf over every branch', () => {
    for (const k of fixtures.kolmogorov) expectClose(kolmogorovSf(k.n, k.x), k.sf, 1e-9, `kstwo.sf(${k.x}, ${k.n})`)
  })
  it('chi2.sf', () => {
    for (const k of fixtures.chi2) expectClose(chi2Sf(k.x, k.df), k.sf, 1e-9, `chi2.sf(${k.x}, ${k.df})`)
  })
  it('norm.cdf and 2(1 − Φ(|x|))', () => {
    for (const k of fixtures.ndtr) {
      expectClose(normalCdf(k.x), k.cdf, 1e-12, `ndtr(${k.x})`)
      expectClose(2 * (1 - normalCdf(Math.abs(k.x))), k.two_sided, 1e-9, `two-sided(${k.x})`)
    }
  })
})
