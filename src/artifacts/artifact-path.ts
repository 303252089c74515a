import { invalidParameter } from '../core/errors.js'

/**
 * Normalises a logical artifact path and rejects anything that could escape its root.
 * Returns the path without leading or trailing slashes (`''` for the root when `allowRoot`).
 */
export function checkArtifactPath(path: string, options: { allowRoot?: boolean } = {}): string {
  if (typeof path !== 'string') throw invalidParameter('Artifact path must be a string.')
  if (path.includes('\0')) throw invalidParameter('Artifact path must not contain NUL bytes.', { path })
  if (path.includes('\\')) throw invalidParameter(`Invalid artifact path '${path}': use '/' as the separator.`, { path })
  if (/^[a-zA-Z]:/.test(path) || path.startsWith('/'.repeat(2))) {
    throw invalidParameter(`Invalid artifact path '${path}': it must be relative.`, { path })
  }
  const trimmed = path.replace(/^\/+/, '').replace(/\/+$/, '')
  if (trimmed === '') {
    if (options.allowRoot === true) return ''
    throw invalidParameter('Artifact path must not be empty.', { path })
  }
  const segments = trimmed.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalidParameter(
        `Invalid artifact path '${path}': segments may not be empty, '.' or '..'.`,
        { path },
      )
    }
  }
  return segments.join('/')
}

/** `mlflow-artifacts:/a/b` → `a/b`; plain relative paths pass through. */
export function artifactPathFromUri(uri: string): string {
  const prefix = 'mlflow-artifacts:'
  const rest = uri.startsWith(prefix) ? uri.slice(prefix.length) : uri
  return checkArtifactPath(rest.replace(/^\/+/, ''), { allowRoot: true })
}
