import { invalidParameter, KeelError } from '../../core/errors.js'

/** The small JSON file under `refs/` that names a path's content. */
export interface ArtifactRef {
  digest: string
  size: number
}

const DIGEST = /^[0-9a-f]{64}$/

export function isDigest(value: string): boolean {
  return DIGEST.test(value)
}

export function encodeRef(ref: ArtifactRef): string {
  return JSON.stringify({ digest: ref.digest, size: ref.size })
}

/** Parses a ref file; anything malformed means the disk was damaged, so it is DATA_LOSS, not a 4xx. */
export function decodeRef(text: string, path: string): ArtifactRef {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    value = undefined
  }
  if (typeof value === 'object' && value !== null) {
    const { digest, size } = value as { digest?: unknown; size?: unknown }
    if (typeof digest === 'string' && isDigest(digest) && typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) {
      return { digest, size }
    }
  }
  throw dataLoss(`The record of artifact '${path}' is unreadable; delete the artifact and upload it again.`, { path })
}

export function dataLoss(message: string, details: Record<string, unknown>): KeelError {
  return new KeelError('DATA_LOSS', message, { details, retryable: false })
}

/** Turns the errno of writing a ref into the caller's mistake it reveals, if it is one. */
export function refWriteError(code: string | undefined, logical: string): KeelError | undefined {
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return invalidParameter(
        `Cannot write artifact '${logical}': part of its parent path is a file. Choose another path or delete that file first.`,
        { path: logical },
      )
    case 'EISDIR':
    case 'ENOTEMPTY':
      return invalidParameter(
        `Cannot write artifact '${logical}': it is a directory. Choose another path or delete the directory first.`,
        { path: logical },
      )
    case 'ENAMETOOLONG':
      return invalidParameter(`Artifact path '${logical}' is too long for the filesystem; shorten it.`, {
        path: logical,
      })
    default:
      return undefined
  }
}
