import { describe, expect, it } from 'vitest'
import { cacheKey, cacheReason, canonicalJson } from './cache-key.js'
import type { StepKind, StepSpec } from './types.js'

const fit: StepKind = { name: 'keel.fit', version: '1', inputs: { data: 'dataset', spec: 'json' }, outputs: { model: 'model' }, run: async () => ({}) }
const spec: StepSpec = { name: 'fit', kind: 'keel.fit' }
const data = { uri: 'mlflow-artifacts:/1/a/data.csv', digest: 'a1b2c3d4e5f6a7b8' }

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}')
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }))
  })
})

describe('cacheKey', () => {
  it('is stable for equal inputs in any key order', () => {
    const a = cacheKey(fit, spec, { data, spec: { algorithm: 'logistic', l2: 0.1 } })
    const b = cacheKey(fit, spec, { spec: { l2: 0.1, algorithm: 'logistic' }, data })
    expect(a.key).toMatch(/^[0-9a-f]{64}$/)
    expect(b.key).toBe(a.key)
    expect(a.parts).toEqual(b.parts)
    expect(a.parts.kind).toBe('keel.fit')
    expect(a.parts.version).toBe('1')
    expect(a.parts.inputs['data']).toEqual({ by: 'artifact', hash: data.digest })
    expect(a.parts.inputs['spec']?.by).toBe('value')
  })

  it('counts artifacts by digest only, at any depth', () => {
    const here = cacheKey(fit, spec, { data, spec: { refs: [data] } })
    const moved = { uri: 'file:///elsewhere/data.csv', digest: data.digest }
    expect(cacheKey(fit, spec, { data: moved, spec: { refs: [moved] } }).key).toBe(here.key)
    const rewritten = { uri: data.uri, digest: 'ffff0000' }
    expect(cacheKey(fit, spec, { data: rewritten, spec: { refs: [data] } }).key).not.toBe(here.key)
    expect(cacheKey(fit, spec, { data, spec: { refs: [rewritten] } }).key).not.toBe(here.key)
  })

  it('changes with the code version, the kind, any input value and foreach, not with retries, pools or timeouts', () => {
    const inputs = { data, spec: { l2: 0.1 } }
    const base = cacheKey(fit, spec, inputs).key
    expect(cacheKey({ ...fit, version: '2' }, spec, inputs).key).not.toBe(base)
    expect(cacheKey({ ...fit, name: 'keel.fit2' }, spec, inputs).key).not.toBe(base)
    expect(cacheKey(fit, spec, { data, spec: { l2: 0.2 } }).key).not.toBe(base)
    expect(cacheKey(fit, { ...spec, foreach: { input: 'data' } }, inputs).key).not.toBe(base)
    expect(cacheKey(fit, { ...spec, retries: 5, pool: 'train', timeoutMs: 10, backoffMs: 1, cache: true, name: 'other' }, inputs).key).toBe(base)
  })

  it('ignores inputs the kind does not declare (a when-only control input)', () => {
    const base = cacheKey(fit, spec, { data, spec: {} }).key
    expect(cacheKey(fit, { ...spec, when: { input: 'ok' } }, { data, spec: {}, ok: { passed: true } }).key).toBe(base)
  })

  it('distinguishes a missing declared input from present values', () => {
    expect(cacheKey(fit, spec, { data }).key).not.toBe(cacheKey(fit, spec, { data, spec: 0 }).key)
  })
})

describe('cacheReason', () => {
  const before = cacheKey(fit, spec, { data, spec: { l2: 0.1 } }).parts

  it('says hit when nothing changed and never ran without a previous execution', () => {
    expect(cacheReason(before, cacheKey(fit, spec, { data: { ...data, uri: 'elsewhere' }, spec: { l2: 0.1 } }).parts)).toBe('hit: same code version, inputs, params')
    expect(cacheReason(undefined, before)).toBe('miss: never ran')
  })

  it('names the input whose digest changed, with both digests shortened', () => {
    const after = cacheKey(fit, spec, { data: { ...data, digest: 'c3d4e5f6a7b8c9d0' }, spec: { l2: 0.1 } }).parts
    expect(cacheReason(before, after)).toBe("miss: input 'data' changed (digest a1b2c3d4… → c3d4e5f6…)")
  })

  it('names a changed value, a code version bump and several changes at once', () => {
    const value = cacheKey(fit, spec, { data, spec: { l2: 0.2 } }).parts
    expect(cacheReason(before, value)).toMatch(/^miss: input 'spec' changed \(value [0-9a-f]{8}… → [0-9a-f]{8}…\)$/)
    expect(cacheReason(before, cacheKey({ ...fit, version: '2' }, spec, { data, spec: { l2: 0.1 } }).parts)).toBe('miss: step code version 1 → 2')
    const both = cacheReason(before, cacheKey({ ...fit, version: '2' }, spec, { data: { ...data, digest: 'beef' }, spec: { l2: 0.1 } }).parts)
    expect(both).toBe("miss: step code version 1 → 2; input 'data' changed (digest a1b2c3d4… → beef)")
  })

  it('names added and removed inputs and a foreach change', () => {
    const withExtra = cacheKey({ ...fit, inputs: { ...fit.inputs, seed: 'number' } }, spec, { data, spec: { l2: 0.1 }, seed: 7 }).parts
    expect(cacheReason(before, withExtra)).toMatch(/^miss: input 'seed' added \(value [0-9a-f]{8}…\)$/)
    expect(cacheReason(withExtra, before)).toBe("miss: input 'seed' removed")
    expect(cacheReason(before, cacheKey(fit, { ...spec, foreach: { input: 'data' } }, { data, spec: { l2: 0.1 } }).parts)).toMatch(/^miss: step settings changed \(foreach/)
  })
})
