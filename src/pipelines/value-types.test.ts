import { describe, expect, it } from 'vitest'
import { typeAccepts, valueMismatch, whenPasses } from './value-types.js'

describe('value types', () => {
  it('json takes anything; artifact kinds feed artifact and back, never each other', () => {
    expect(typeAccepts('json', 'number')).toBe(true)
    expect(typeAccepts('json', 'model')).toBe(true)
    expect(typeAccepts('artifact', 'dataset')).toBe(true)
    expect(typeAccepts('dataset', 'artifact')).toBe(true)
    expect(typeAccepts('model', 'dataset')).toBe(false)
    expect(typeAccepts('number', 'json')).toBe(false)
    expect(typeAccepts('string', 'number')).toBe(false)
    expect(typeAccepts('gate', 'boolean')).toBe(false)
  })

  it('checks constants against their type', () => {
    expect(valueMismatch('number', 1)).toBeUndefined()
    expect(valueMismatch('number', '1')).toBe('a finite number')
    expect(valueMismatch('model', { uri: 'u', digest: 'd' })).toBeUndefined()
    expect(valueMismatch('model', { uri: 'u' })).toContain('artifact reference')
    expect(valueMismatch('metrics', { auc: 0.9 })).toBeUndefined()
    expect(valueMismatch('metrics', { auc: 'high' })).toContain('object of numbers')
    expect(valueMismatch('gate', { passed: false, reasons: [] })).toBeUndefined()
    expect(valueMismatch('gate', 'yes')).toContain('gate')
  })

  it('when passes only for true or a gate that passed', () => {
    expect(whenPasses(true)).toBe(true)
    expect(whenPasses({ passed: true, reasons: [] })).toBe(true)
    expect(whenPasses(false)).toBe(false)
    expect(whenPasses({ passed: false })).toBe(false)
    expect(whenPasses({ passed: 'true' })).toBe(false)
    expect(whenPasses(1)).toBe(false)
    expect(whenPasses(undefined)).toBe(false)
  })
})
