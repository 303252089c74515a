import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../../core/frame.js'
import { KeelError } from '../../core/errors.js'
import { createRandom } from '../../core/random.js'
import { defaultDriftTest } from './select.js'
import { detectDrift } from './dataset-drift.js'
import { DriftPool } from './drift-pool.js'
import { isDrifted } from './drift-test.js'
import { DRIFT_TESTS } from './registry.js'

function gauss(seed: number, n: number, shift = 0): Float64Array {
  const r = createRandom(seed)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next()) + shift
  return out
}

describe('default test selection (Evidently §1.2)', () => {
  it('picks by kind, reference rows and unique values, with the 1000-row and 2/5-unique cut-offs', () => {
    expect(defaultDriftTest('numeric', 1000, 6)).toBe('ks')
    expect(defaultDriftTest('numeric', 1001, 6)).toBe('wasserstein')
    expect(defaultDriftTest('numeric', 1000, 5)).toBe('chisquare')
    expect(defaultDriftTest('numeric', 1000, 3)).toBe('chisquare')
    expect(defaultDriftTest('numeric', 1000, 2)).toBe('z')
    expect(defaultDriftTest('numeric', 5000, 2)).toBe('jensenshannon')
    expect(defaultDriftTest('categorical', 1000, 3)).toBe('chisquare')
    expect(defaultDriftTest('categorical', 1000, 2)).toBe('z')
    expect(defaultDriftTest('categorical', 1001, 40)).toBe('jensenshannon')
  })
  it('pins the code-level operators and thresholds, not the docs (§1.6)', () => {
    expect(isDrifted(DRIFT_TESTS.ks, 0.05, 0.05)).toBe(true) // ks: p ≤ thr
    expect(isDrifted(DRIFT_TESTS.chisquare, 0.05, 0.05)).toBe(false) // p < thr
    expect(isDrifted(DRIFT_TESTS.wasserstein, 0.1, 0.1)).toBe(true) // d ≥ thr
    expect(DRIFT_TESTS.anderson.defaultThreshold).toBe(0.1)
    expect(DRIFT_TESTS.ks.defaultThreshold).toBe(0.05)
  })
})

describe('detectDrift', () => {
  const ref = new Frame([
    numericColumn('a', gauss(1, 800)),
    numericColumn('b', gauss(2, 800)),
    categoricalColumn('c', Array.from({ length: 800 }, (_, i) => ['x', 'y', 'z'][i % 3]!)),
    numericColumn('flag', Float64Array.from({ length: 800 }, (_, i) => i % 2), 'bool'),
  ])
  const cur = new Frame([
    numericColumn('a', gauss(3, 600, 1)),
    numericColumn('b', gauss(4, 600)),
    categoricalColumn('c', Array.from({ length: 600 }, (_, i) => ['x', 'y', 'z', 'w'][i % 4]!)),
    numericColumn('flag', Float64Array.from({ length: 600 }, (_, i) => i % 2), 'bool'),
  ])

  it('uses the default tests for small data and counts drifted columns against the share threshold', () => {
    const r = detectDrift(ref, cur)
    const by = Object.fromEntries(r.columns.map((c) => [c.column, c]))
    expect(by['a']).toMatchObject({ test: 'ks', drifted: true, scoreKind: 'p_value', referenceRows: 800, currentRows: 600 })
    expect(by['b']).toMatchObject({ test: 'ks', drifted: false })
    expect(by['c']).toMatchObject({ test: 'chisquare', drifted: true, kind: 'categorical' }) // unseen 'w' → p = 0
    expect(by['c']!.score).toBe(0)
    expect(by['flag']).toMatchObject({ test: 'z', kind: 'categorical', drifted: false })
    expect(r.driftedColumns).toBe(2)
    expect(r.share).toBe(0.5)
    expect(r.drifted).toBe(true) // ≥ 0.5 fires on exactly half
    expect(detectDrift(ref, cur, { shareThreshold: 0.6 }).drifted).toBe(false)
    expect(by['a']!.histogram!.bins.length).toBeGreaterThan(2)
  })

  it('switches to distances above 1000 reference rows', () => {
    const big = new Frame([numericColumn('a', gauss(5, 3000)), categoricalColumn('c', Array.from({ length: 3000 }, (_, i) => String(i % 7)))])
    const now = new Frame([numericColumn('a', gauss(6, 2000, 0.5)), categoricalColumn('c', Array.from({ length: 2000 }, (_, i) => String(i % 7)))])
    const r = detectDrift(big, now)
    expect(r.columns.map((c) => [c.column, c.test, c.drifted])).toEqual([
      ['a', 'wasserstein', true],
      ['c', 'jensenshannon', false],
    ])
  })

  it('honours global, per-kind and per-column tests and thresholds', () => {
    const r = detectDrift(ref, cur, { test: 'psi', numericThreshold: 0.2, perColumn: { b: { test: 'anderson', threshold: 0.3 } } })
    const by = Object.fromEntries(r.columns.map((c) => [c.column, c]))
    expect(by['a']).toMatchObject({ test: 'psi', threshold: 0.2 })
    expect(by['b']).toMatchObject({ test: 'anderson', threshold: 0.3 })
    expect(by['c']).toMatchObject({ test: 'psi', threshold: 0.1 })
  })

  it('corrects p-values with Bonferroni and Benjamini–Hochberg', () => {
    const plain = detectDrift(ref, cur, { test: 'ks', columns: ['a', 'b'] })
    const bonf = detectDrift(ref, cur, { test: 'ks', columns: ['a', 'b'], correction: 'bonferroni' })
    expect(bonf.correction).toBe('bonferroni')
    expect(bonf.columns[1]!.score).toBeCloseTo(Math.min(1, plain.columns[1]!.score * 2), 12)
    const fdr = detectDrift(ref, cur, { test: 'ks', columns: ['a', 'b'], correction: 'fdr' })
    const [pa, pb] = [plain.columns[0]!.score, plain.columns[1]!.score]
    // BH with m = 2: the smaller p doubles (unless the larger one is smaller still), the larger stays.
    expect(fdr.columns[1]!.score).toBeCloseTo(Math.max(pa, pb) === pb ? pb : Math.min(1, pb * 2), 12)
    expect(fdr.columns[0]!.score).toBeCloseTo(Math.min(pa * 2, pb), 12)
  })

  it('drops NaN and infinities before testing, and skips columns with no value', () => {
    const withGaps = new Frame([numericColumn('a', Float64Array.of(Number.NaN, 1, 2, Number.POSITIVE_INFINITY, 3)), numericColumn('e', Float64Array.of(Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN))])
    const other = new Frame([numericColumn('a', Float64Array.of(1, 2, 3, 4)), numericColumn('e', Float64Array.of(1, 2, 3, 4))])
    const r = detectDrift(withGaps, other)
    expect(r.columns.map((c) => c.column)).toEqual(['a'])
    expect(r.columns[0]!.referenceRows).toBe(3)
  })

  it('rejects unknown tests, tests that do not fit the column, and mismatched kinds with a 400', () => {
    expect(() => detectDrift(ref, cur, { test: 'nope' as never })).toThrow(/Unknown drift test 'nope'/)
    expect(() => detectDrift(ref, cur, { perColumn: { c: { test: 'ks' } } })).toThrow(/does not apply to categorical column 'c'/)
    expect(() => detectDrift(ref, cur, { perColumn: { zz: { test: 'ks' } } })).toThrow(KeelError)
    const swapped = new Frame([categoricalColumn('a', Array.from({ length: 600 }, () => 'q'))])
    expect(() => detectDrift(ref, swapped, { columns: ['a'] })).toThrow(/numeric in the reference but categorical/)
  })
})

describe('DriftPool (worker threads)', () => {
  it('gives the same result as the calling thread and reports worker-side errors as KeelErrors', async () => {
    const ref = new Frame([numericColumn('a', gauss(7, 5000)), numericColumn('b', gauss(8, 5000)), categoricalColumn('c', Array.from({ length: 5000 }, (_, i) => String(i % 3)))])
    const cur = new Frame([numericColumn('a', gauss(9, 4000, 0.3)), numericColumn('b', gauss(10, 4000)), categoricalColumn('c', Array.from({ length: 4000 }, (_, i) => String(i % 4)))])
    const pool = DriftPool.start(2)
    try {
      const parallel = await pool.detect(ref, cur, { test: 'ks', categoricalTest: 'psi' })
      expect(parallel).toEqual(detectDrift(ref, cur, { test: 'ks', categoricalTest: 'psi' }))
      const slice = await pool.detect(ref.slice(0, 500), cur.slice(0, 400))
      expect(slice).toEqual(detectDrift(ref.slice(0, 500), cur.slice(0, 400)))
      const bad = new Frame([numericColumn('a', Float64Array.from({ length: 50 }, (_, i) => i % 2), 'int')])
      await expect(pool.detect(bad, bad, { perColumn: { a: { test: 'ks' } } })).rejects.toThrow(/does not apply to categorical column 'a'/)
    } finally {
      await pool.close()
    }
  })
})
