import { describe, expect, it } from 'vitest'
import { cellValue, type Frame } from '../core/frame.js'
import { cellNumber, loadFeaturesFixture } from '../../test/fixtures/features/load-features-fixture.js'
import { fitTransform } from './fitted-transform.js'
import { INFREQUENT_LEVEL, MISSING_LEVEL } from './one-hot.js'

const fx = loadFeaturesFixture()
const NUM = fx.numeric
const CAT = fx.categorical
type Matrix = Array<Array<number | string | null>>

function expectClose(actual: number, expected: number, what: string): void {
  if (Number.isNaN(expected)) {
    expect(actual, what).toBeNaN()
    return
  }
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)))
}

/** Compares columns `names` of `frame` to scikit-learn's matrix (rows × names). */
function expectMatrix(frame: Frame, names: readonly string[], matrix: Matrix, label: string): void {
  expect(matrix.length).toBe(frame.rows)
  names.forEach((name, j) => {
    const column = frame.column(name)
    for (let i = 0; i < frame.rows; i++) {
      const want = matrix[i]![j]!
      if (column.kind === 'categorical' || typeof want === 'string') expect(cellValue(column, i), `${label} ${name}[${i}]`).toBe(want)
      else expectClose(cellValue(column, i) === null ? Number.NaN : (cellValue(column, i) as number), cellNumber(want), `${label} ${name}[${i}]`)
    }
  })
}

function check(key: string, spec: Record<string, unknown>, columns: readonly string[], outputNames?: (fitted: string[]) => string[]): void {
  const expected = fx.expected[key] as { train: Matrix; test?: Matrix }
  const { fitted, training } = fitTransform({ ...spec, columns }, fx.train, { seed: 0 })
  const names = outputNames?.(fitted.outputs.map((o) => o.name)) ?? [...columns]
  expectMatrix(training, names, expected.train, `${key} train`)
  expectMatrix(fitted.transform(fx.train), names, expected.train, `${key} train (transform)`)
  if (expected.test !== undefined) expectMatrix(fitted.transform(fx.test), names, expected.test, `${key} test`)
}

describe('feature transforms match scikit-learn 1.2 on the committed fixture', () => {
  it.each(['mean', 'median', 'most_frequent'])('SimpleImputer(strategy=%s) on numeric columns', (strategy) => {
    check(`impute_${strategy}`, { type: 'impute', strategy }, NUM)
  })
  it('SimpleImputer(strategy=constant, fill_value=-1)', () => {
    check('impute_constant', { type: 'impute', strategy: 'constant', fillValue: -1 }, NUM)
  })
  it('SimpleImputer on categorical columns (most_frequent, constant)', () => {
    check('impute_cat_most_frequent', { type: 'impute', strategy: 'most_frequent' }, CAT)
    check('impute_cat_constant', { type: 'impute', strategy: 'constant', fillValue: 'unknown' }, CAT)
  })
  it('StandardScaler, MinMaxScaler (two ranges), RobustScaler (two quantile ranges)', () => {
    check('standard', { type: 'standardScale' }, NUM)
    check('minmax', { type: 'minMaxScale' }, NUM)
    check('minmax_range', { type: 'minMaxScale', featureRange: [-1, 2] }, NUM)
    check('robust', { type: 'robustScale' }, NUM)
    check('robust_10_90', { type: 'robustScale', quantileRange: [10, 90] }, NUM)
  })

  // scikit-learn names columns `city_Oslo`, `city_nan`, `city_infrequent_sklearn`; keel `city=Oslo`, `city=<missing>`, `city=<infrequent>`.
  const keelName = (sk: string): string => {
    const [col, ...rest] = sk.split('_')
    const level = rest.join('_')
    return `${col!}=${level === 'nan' ? MISSING_LEVEL : level === 'infrequent_sklearn' ? INFREQUENT_LEVEL : level}`
  }
  it.each([
    ['onehot_ignore', { handleUnknown: 'ignore' }],
    ['onehot_error', { handleUnknown: 'error' }],
    ['onehot_infrequent', { handleUnknown: 'infrequent', minFrequency: 8 }],
  ])('OneHotEncoder %s: same features, same order, same matrix', (key, options) => {
    const expected = fx.expected[key] as { features: string[] }
    const wanted = expected.features.map(keelName)
    check(key, { type: 'oneHot', ...options }, CAT, (fitted) => {
      expect(fitted).toEqual(wanted)
      return fitted
    })
  })
  it('OneHotEncoder handle_unknown=error: an unseen category is an error naming the column and the value', () => {
    const { fitted } = fitTransform({ type: 'oneHot', columns: ['city'] }, fx.train, { seed: 0 })
    expect(() => fitted.transform(fx.test)).toThrow(/Column 'city' has the category '(Atlantis|Zurich)', which was not seen in training.*handleUnknown/)
  })
  it('OrdinalEncoder(handle_unknown=use_encoded_value, unknown_value=-1)', () => {
    check('ordinal', { type: 'ordinal', handleUnknown: 'value', unknownValue: -1 }, CAT)
  })
  it('log1p and clip agree with numpy', () => {
    check('log1p', { type: 'log' }, ['income', 'visits'])
    const shifted = fx.expected['log1p_shift'] as { shift: number }
    check('log1p_shift', { type: 'log', shift: shifted.shift }, ['score'])
    const clip = fx.expected['clip'] as { min: number; max: number }
    check('clip', { type: 'clip', min: clip.min, max: clip.max }, ['score'])
  })
  it('target encoding at transform time equals the smoothed category means computed with pandas', () => {
    const target = fx.expected['target'] as { smoothing: number; prior: number; columns: Record<string, { train: number[]; test: number[] }> }
    const { fitted } = fitTransform({ type: 'targetEncode', columns: CAT, smoothing: target.smoothing }, fx.train.drop(['y']), {
      seed: 3,
      target: fx.train.numeric('y'),
    })
    for (const c of CAT) {
      expectMatrix(fitted.transform(fx.train), [c], target.columns[c]!.train.map((v) => [v]), `target ${c} train`)
      expectMatrix(fitted.transform(fx.test), [c], target.columns[c]!.test.map((v) => [v]), `target ${c} test`)
    }
  })
})
