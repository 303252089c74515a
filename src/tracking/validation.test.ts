import { describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import {
  TRACKING_LIMITS,
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunOrderBy,
  validateDatasetInputs,
  validateKey,
  validateLogBatch,
} from './validation.js'

/** The INVALID_PARAMETER_VALUE message `fn` throws. */
function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (isKeelError(error) && error.code === 'INVALID_PARAMETER_VALUE') return error.message
    throw error
  }
  throw new Error('expected INVALID_PARAMETER_VALUE, nothing was thrown')
}

const metric = (key: string, value: unknown = 1) => ({ key, value, timestamp: 1, step: 0 }) as { key: string; value: number; timestamp: number; step: number }

describe('validateKey', () => {
  it('accepts MLflow key names', () => {
    for (const key of ['loss', 'val/loss', 'a b', 'x.y-z_1', 'système', 'mlflow.runName', '.hidden', 'a..b']) {
      expect(validateKey('key', key)).toBe(key)
    }
  })

  it('rejects bad characters, unsafe paths, empty and long keys, naming the field', () => {
    expect(messageOf(() => validateKey('metrics[3].key', 'a:b'))).toContain("'metrics[3].key'")
    expect(messageOf(() => validateKey('key', 'a:b'))).toContain('alphanumerics')
    for (const key of ['/abs', 'a/../b', '..', 'a/', 'a//b', './a', '.']) {
      expect(messageOf(() => validateKey('key', key))).toContain('relative paths')
    }
    expect(messageOf(() => validateKey('key', ''))).toContain('must not be empty')
    expect(messageOf(() => validateKey('key', 'k'.repeat(251)))).toContain('at most 250')
    expect(validateKey('key', 'k'.repeat(250))).toHaveLength(250)
    expect(messageOf(() => validateKey('key', 42))).toContain('must be a string')
  })
})

describe('validateLogBatch', () => {
  it('enforces the per-kind and total limits with a message naming the limit', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => metric(`m${i}`))
    expect(messageOf(() => validateLogBatch({ metrics: many(1001) }))).toContain('at most 1000 metrics; got 1001')
    expect(messageOf(() => validateLogBatch({ params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })) }))).toContain(
      'at most 100 params',
    )
    expect(messageOf(() => validateLogBatch({ tags: Array.from({ length: 101 }, (_, i) => ({ key: `t${i}`, value: 'v' })) }))).toContain(
      'at most 100 tags',
    )
    const total = {
      metrics: many(901),
      params: Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'v' })),
    }
    expect(messageOf(() => validateLogBatch(total))).toContain('at most 1000 entries in total')
    expect(() => validateLogBatch({ metrics: many(1000) })).not.toThrow()
  })

  it('checks every entry', () => {
    expect(messageOf(() => validateLogBatch({ metrics: [metric('ok'), metric('bad', '1')] }))).toContain("'metrics[1].value' must be a number")
    expect(() => validateLogBatch({ metrics: [metric('nan', NaN), metric('inf', -Infinity)] })).not.toThrow()
    expect(messageOf(() => validateLogBatch({ metrics: [{ ...metric('t'), timestamp: 1.5 }] }))).toContain("'metrics[0].timestamp' must be an integer")
    expect(messageOf(() => validateLogBatch({ metrics: [{ ...metric('s'), step: NaN }] }))).toContain("'metrics[0].step' must be an integer")
    const long = 'v'.repeat(TRACKING_LIMITS.maxParamValueLength + 1)
    expect(messageOf(() => validateLogBatch({ params: [{ key: 'p', value: long }] }))).toContain('at most 6000')
    expect(() => validateLogBatch({ params: [{ key: 'p', value: long.slice(1) }] })).not.toThrow()
    expect(messageOf(() => validateLogBatch({ tags: [{ key: 't', value: 'v'.repeat(8001) }] }))).toContain('at most 8000')
  })

  it('allows a repeated param with the same value but not with different values', () => {
    expect(() => validateLogBatch({ params: [{ key: 'p', value: '1' }, { key: 'p', value: '1' }] })).not.toThrow()
    expect(messageOf(() => validateLogBatch({ params: [{ key: 'p', value: '1' }, { key: 'p', value: '2' }] }))).toContain(
      "Duplicate parameter keys have been submitted with different values: 'p'",
    )
  })
})

describe('search parsing', () => {
  it('accepts experiment filters on name, times and tags only', () => {
    expect(parseExperimentFilter("name LIKE 'a%' AND tags.team = 'x' AND creation_time > 5")).toHaveLength(3)
    expect(messageOf(() => parseExperimentFilter('metrics.auc > 1'))).toContain('experiments can be filtered by')
    expect(messageOf(() => parseExperimentFilter('creation_time LIKE 5'))).toContain('compares with')
    expect(messageOf(() => parseExperimentFilter("creation_time > '5'"))).toContain('unquoted number')
    expect(messageOf(() => parseExperimentFilter('name = 5'))).toContain('quoted string')
  })

  it('accepts experiment and run order_by items MLflow accepts', () => {
    expect(parseExperimentOrderBy(['name', 'creation_time DESC'])).toEqual([
      { type: 'attribute', key: 'name', ascending: true },
      { type: 'attribute', key: 'creation_time', ascending: false },
    ])
    expect(messageOf(() => parseExperimentOrderBy(['tags.x']))).toContain('experiments order by')
    expect(parseRunOrderBy(['metrics.`val loss` DESC', 'start_time'])).toEqual([
      { type: 'metric', key: 'val loss', ascending: false },
      { type: 'attribute', key: 'start_time', ascending: true },
    ])
    expect(messageOf(() => parseRunOrderBy(['datasets.name']))).toContain('cannot be ordered by datasets')
    expect(messageOf(() => parseRunOrderBy(['attributes.color']))).toContain("unknown attribute 'color'")
  })
})

describe('validateDatasetInputs', () => {
  it('requires name, digest and source type, and checks input tags', () => {
    const dataset = { name: 'd', digest: 'x', sourceType: 'local', source: 's' }
    expect(() => validateDatasetInputs('datasets', [{ dataset, tags: [] }])).not.toThrow()
    expect(messageOf(() => validateDatasetInputs('datasets', [{ dataset: { ...dataset, name: '' }, tags: [] }]))).toContain(
      "'datasets[0].dataset.name'",
    )
    expect(messageOf(() => validateDatasetInputs('datasets', [{ dataset: { ...dataset, digest: 'x'.repeat(129) }, tags: [] }]))).toContain('digest')
    expect(messageOf(() => validateDatasetInputs('datasets', [{ dataset, tags: [{ key: '../x', value: 'v' }] }]))).toContain(
      "'datasets[0].tags[0].key'",
    )
  })
})
