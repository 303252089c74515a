import { describe, expect, it } from 'vitest'
import { KeelError } from '../core/errors.js'
import { StepRegistry, closest } from './step-registry.js'
import type { StepKind } from './types.js'

const echo: StepKind = { name: 'test.echo', version: '1', inputs: { x: 'json' }, outputs: { x: 'json' }, run: async (ctx) => ({ x: ctx.inputs['x'] ?? null }) }

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError)
    return (error as KeelError).code
  }
  throw new Error('expected a KeelError')
}

describe('StepRegistry', () => {
  it('registers, finds and lists kinds', () => {
    const other: StepKind = { ...echo, name: 'a.other' }
    const registry = new StepRegistry([echo]).register(other)
    expect(registry.has('test.echo')).toBe(true)
    expect(registry.has('missing')).toBe(false)
    expect(registry.get('test.echo')).toBe(echo)
    expect(registry.names()).toEqual(['a.other', 'test.echo'])
  })

  it('treats registering the same kind twice as a no-op and refuses another kind under a taken name', () => {
    const registry = new StepRegistry([echo])
    expect(() => registry.register(echo)).not.toThrow()
    expect(codeOf(() => registry.register({ ...echo, version: '2' }))).toBe('RESOURCE_ALREADY_EXISTS')
    expect(registry.get('test.echo').version).toBe('1')
  })

  it('answers an unknown kind with RESOURCE_DOES_NOT_EXIST and a suggestion', () => {
    const registry = new StepRegistry([echo])
    expect(codeOf(() => registry.get('test.ecoh'))).toBe('RESOURCE_DOES_NOT_EXIST')
    expect(() => registry.get('test.ecoh')).toThrow("Unknown step kind 'test.ecoh' (did you mean 'test.echo'?); registered kinds: test.echo.")
    expect(() => new StepRegistry().get('x')).toThrow('none are registered')
  })

  it('refuses malformed kinds when they are registered', () => {
    const registry = new StepRegistry()
    expect(() => registry.register({ ...echo, name: '' })).toThrow('name must match')
    expect(() => registry.register({ ...echo, version: '' })).toThrow('version must be a non-empty string')
    expect(() => registry.register({ ...echo, run: undefined as never })).toThrow('run must be a function')
    expect(() => registry.register({ ...echo, inputs: { x: 'tensor' as never } })).toThrow("input 'x' has type \"tensor\"; use one of json")
    expect(() => registry.register({ ...echo, outputs: { 'a.b': 'json' } })).toThrow("output name 'a.b' must match")
    expect(() => registry.register({ ...echo, inputs: [] as never })).toThrow('inputs must be an object')
    expect(codeOf(() => registry.register({ ...echo, name: '' }))).toBe('INVALID_PARAMETER_VALUE')
    expect(registry.names()).toEqual([])
  })

  it('suggests only near names', () => {
    expect(closest('keel.fitt', ['keel.fit', 'keel.split'])).toBe('keel.fit')
    expect(closest('completely', ['keel.fit', 'keel.split'])).toBeUndefined()
  })
})
