import { describe, expect, it } from 'vitest'
import {
  canonicalStage,
  resolveMaxResults,
  validateAlias,
  validateCreateWebhook,
  validateLineage,
  validateModelName,
  validateVersion,
} from './validation.js'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
    return undefined
  } catch (error) {
    return (error as { code?: string }).code
  }
}

describe('registry validation', () => {
  it('checks names, aliases and versions with messages that say how to fix them', () => {
    expect(validateModelName('fraud')).toBe('fraud')
    expect(() => validateModelName('a/b')).toThrow(/cannot contain '\/' or '@'/)
    expect(() => validateAlias('v2')).toThrow(/reserved/)
    expect(() => validateAlias('latest')).toThrow(/reserved/)
    expect(() => validateAlias('ch@mp')).toThrow(/letters, digits/)
    expect(() => validateAlias('é')).toThrow(/letters, digits/) // ASCII only, as the brief's pattern
    expect(validateAlias('a'.repeat(256))).toHaveLength(256)
    expect(() => validateAlias('a'.repeat(257))).toThrow(/256 bytes/)
    expect(validateVersion('12')).toBe('12')
    expect(validateVersion(3 as unknown as string)).toBe('3')
    expect(code(() => validateVersion('1e3'))).toBe('INVALID_PARAMETER_VALUE')
  })

  it('canonicalizes stages and bounds page sizes', () => {
    expect(canonicalStage('staging')).toBe('Staging')
    expect(canonicalStage('NONE')).toBe('None')
    expect(() => canonicalStage('live')).toThrow(/None, Staging, Production, Archived/)
    expect(resolveMaxResults(undefined, 100, 1000)).toBe(100)
    expect(resolveMaxResults(1000, 100, 1000)).toBe(1000)
    expect(code(() => resolveMaxResults(-1, 100, 1000))).toBe('INVALID_PARAMETER_VALUE')
  })

  it('checks lineage shapes and webhook inputs', () => {
    expect(validateLineage({ codeVersion: 'abc', environment: { node: 'v20', keel: '0.1.0' } })).toBeDefined()
    expect(() => validateLineage({ environment: { node: 20 } } as never)).toThrow(/environment/)
    expect(() => validateLineage({ artifactDigest: 1 } as never)).toThrow(/artifactDigest/)
    expect(validateCreateWebhook({ name: 'n', url: 'http://h/', events: ['model_version.created'], secret: 's' })).toEqual({
      name: 'n',
      url: 'http://h/',
      events: ['model_version.created'],
      secret: 's',
    })
  })
})
