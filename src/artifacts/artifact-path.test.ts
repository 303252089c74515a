import { describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import { artifactPathFromUri, checkArtifactPath } from './artifact-path.js'

function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    if (isKeelError(error)) return error.code
    throw error
  }
  throw new Error('expected a KeelError')
}

describe('checkArtifactPath', () => {
  it('accepts relative paths and drops trailing slashes', () => {
    expect(checkArtifactPath('a')).toBe('a')
    expect(checkArtifactPath('1/abc/artifacts/model/MLmodel')).toBe('1/abc/artifacts/model/MLmodel')
    expect(checkArtifactPath('a/b/')).toBe('a/b')
    expect(checkArtifactPath('..hidden/x..y/.env')).toBe('..hidden/x..y/.env')
    expect(checkArtifactPath('données/模型.bin')).toBe('données/模型.bin')
  })

  it('accepts the root only when asked to', () => {
    expect(checkArtifactPath('', { allowRoot: true })).toBe('')
    expect(codeOf(() => checkArtifactPath(''))).toBe('INVALID_PARAMETER_VALUE')
  })

  it.each([
    ['../x'],
    ['a/../../x'],
    ['a/..'],
    ['/etc/passwd'],
    ['/'],
    ['//server/share'],
    ['a\\b'],
    ['..\\..\\x'],
    ['a\0b'],
    ['a//b'],
    ['./a'],
    ['a/./b'],
    ['C:/Windows'],
    ['c:x'],
    [`x/${'é'.repeat(128)}`], // 256 bytes in UTF-8
  ])('rejects %j with INVALID_PARAMETER_VALUE naming the path', (path) => {
    expect(codeOf(() => checkArtifactPath(path, { allowRoot: true }))).toBe('INVALID_PARAMETER_VALUE')
    expect(() => checkArtifactPath(path, { allowRoot: true })).toThrow(/artifact path/i)
  })

  it('accepts a segment of exactly 255 bytes', () => {
    const segment = 'a'.repeat(255)
    expect(checkArtifactPath(`x/${segment}`)).toBe(`x/${segment}`)
  })
})

describe('artifactPathFromUri', () => {
  it('maps mlflow-artifacts URIs to logical paths', () => {
    expect(artifactPathFromUri('mlflow-artifacts:/1/abc/artifacts')).toBe('1/abc/artifacts')
    expect(artifactPathFromUri('mlflow-artifacts:///1/abc/artifacts')).toBe('1/abc/artifacts')
    expect(artifactPathFromUri('mlflow-artifacts://tracking.example:5000/1/abc/artifacts')).toBe('1/abc/artifacts')
    expect(artifactPathFromUri('MLFLOW-ARTIFACTS:/7')).toBe('7')
    expect(artifactPathFromUri('mlflow-artifacts:/')).toBe('')
    expect(artifactPathFromUri('mlflow-artifacts://host')).toBe('')
  })

  it('passes plain relative paths through', () => {
    expect(artifactPathFromUri('1/abc/artifacts')).toBe('1/abc/artifacts')
  })

  it.each([
    ['s3://bucket/1/abc/artifacts'],
    ['file:///tmp/mlruns/1'],
    ['mlflow-artifacts:/1/../../etc'],
    ['mlflow-artifacts://host/../x'],
    ['/abs/path'],
  ])('rejects %j', (uri) => {
    expect(codeOf(() => artifactPathFromUri(uri))).toBe('INVALID_PARAMETER_VALUE')
  })

  it('says which URIs it manages when given another scheme', () => {
    expect(() => artifactPathFromUri('s3://bucket/x')).toThrow(/mlflow-artifacts/)
  })
})
