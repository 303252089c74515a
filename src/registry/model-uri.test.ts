import { describe, expect, it } from 'vitest'
import { formatModelUri, parseModelUri } from './model-uri.js'

describe('parseModelUri', () => {
  it('parses aliases, versions, latest and legacy stages', () => {
    expect(parseModelUri('models:/fraud@champion')).toEqual({ kind: 'alias', name: 'fraud', alias: 'champion' })
    expect(parseModelUri('models:/fraud/3')).toEqual({ kind: 'version', name: 'fraud', version: '3' })
    expect(parseModelUri('models:/fraud/007')).toEqual({ kind: 'version', name: 'fraud', version: '7' })
    expect(parseModelUri('models:/fraud/latest')).toEqual({ kind: 'latest', name: 'fraud' })
    expect(parseModelUri('models:/fraud/LATEST')).toEqual({ kind: 'latest', name: 'fraud' })
    expect(parseModelUri('models:/fraud/production')).toEqual({ kind: 'stage', name: 'fraud', stage: 'Production' })
    expect(parseModelUri('models:///fraud model/2')).toEqual({ kind: 'version', name: 'fraud model', version: '2' })
  })

  it('names the accepted forms when a URI is malformed', () => {
    for (const bad of [
      'runs:/abc/model',
      'models:/',
      'models:/fraud',
      'models:/fraud/',
      'models:/fraud/1/extra',
      'models:/fraud/0',
      'models:/fraud/champion',
      'models:/@champion',
      'models:/fraud@',
      'models:/a/b@c',
      'models:/fraud@a@b',
    ]) {
      expect(() => parseModelUri(bad), bad).toThrow(/models:\/<name>@<alias>, models:\/<name>\/<version> or models:\/<name>\/latest/)
      try {
        parseModelUri(bad)
      } catch (error) {
        expect((error as { code?: string }).code).toBe('INVALID_PARAMETER_VALUE')
      }
    }
  })

  it('formats what it parses', () => {
    expect(parseModelUri(formatModelUri('fraud', { alias: 'champion' }))).toEqual({ kind: 'alias', name: 'fraud', alias: 'champion' })
    expect(parseModelUri(formatModelUri('fraud', { version: '12' }))).toEqual({ kind: 'version', name: 'fraud', version: '12' })
  })
})
