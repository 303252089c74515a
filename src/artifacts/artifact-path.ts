import { invalidParameter } from '../core/errors.js'

/** Longest file name most filesystems accept; longer segments would fail deep inside an adapter. */
const MAX_SEGMENT_BYTES = 255
const URI_SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/

/**
 * Normalises a logical artifact path and rejects anything that could escape its root.
 * Returns the path without trailing slashes (`''` for the root when `allowRoot`).
 */
export function checkArtifactPath(path: string, options: { allowRoot?: boolean } = {}): string {
  if (typeof path !== 'string') throw invalidParameter('Artifact path must be a string.')
  if (path.includes('\0')) throw invalidParameter('Artifact path must not contain NUL bytes.', { path })
  if (path.includes('\\')) throw invalidParameter(`Invalid artifact path '${path}': use '/' as the separator.`, { path })
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) {
    throw invalidParameter(
      `Invalid artifact path '${path}': it must be relative (no leading '/' or drive letter).`,
      { path },
    )
  }
  const trimmed = path.replace(/\/+$/, '')
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
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw invalidParameter(
        `Invalid artifact path '${path}': each segment must be at most ${MAX_SEGMENT_BYTES} bytes; shorten it.`,
        { path },
      )
    }
  }
  return trimmed
}

/**
 * `mlflow-artifacts:/a/b` (also `mlflow-artifacts://host:port/a/b`) → `a/b`; plain relative paths pass
 * through. Other schemes (`s3://`, `file:`) are not this store's and are rejected.
 */
export function artifactPathFromUri(uri: string): string {
  if (typeof uri !== 'string') throw invalidParameter('Artifact URI must be a string.')
  const scheme = URI_SCHEME.exec(uri)
  if (scheme === null) return checkArtifactPath(uri, { allowRoot: true })
  if (scheme[1]?.toLowerCase() !== 'mlflow-artifacts') {
    throw invalidParameter(
      `Artifact URI '${uri}' is not managed by keel's artifact store; only 'mlflow-artifacts:/...' URIs are.`,
      { uri },
    )
  }
  let rest = uri.slice(scheme[0].length)
  if (rest.startsWith('//')) {
    // `mlflow-artifacts://host:port/path`: the authority names the server, not a path segment.
    const slash = rest.indexOf('/', 2)
    rest = slash === -1 ? '' : rest.slice(slash)
  }
  return checkArtifactPath(rest.replace(/^\/+/, ''), { allowRoot: true })
}
