import type { Readable } from 'node:stream'

export interface ArtifactInfo {
  /** Path relative to the listed directory, `/`-separated. */
  path: string
  isDir: boolean
  /** Bytes; absent for directories. */
  fileSize?: number
  /** sha256 hex of the content; absent for directories. */
  digest?: string
}

export interface PutResult {
  digest: string
  size: number
}

/**
 * Files of runs and model versions, addressed by a logical `/`-separated path such as
 * `<experiment id>/<run id>/artifacts/model/model.json`.
 *
 * Paths are checked before they reach an adapter (`checkArtifactPath`): no `..`, no absolute paths,
 * no empty segments, no NUL. Content is streamed both ways, never buffered whole.
 */
export interface ArtifactStore {
  /** Streams `body` in; the path then names the content's sha256. Overwrites an existing file. */
  put(path: string, body: Readable | Uint8Array): Promise<PutResult>
  /** Streams the content out; the stream errors with DATA_LOSS if the bytes no longer match their digest. */
  get(path: string): Promise<{ body: Readable; size: number; digest: string }>
  stat(path: string): Promise<ArtifactInfo | undefined>
  /** Direct children of a directory (`''` is the root). Unknown directories list as empty. */
  list(dir: string): Promise<ArtifactInfo[]>
  /** Deletes a file or a whole directory; returns how many files it removed. */
  delete(path: string): Promise<number>
  /**
   * Removes content that no path names any more, and temp files left by interrupted uploads.
   * Content younger than the adapter's grace period survives, so a concurrent `put` is never swept.
   */
  collectGarbage(): Promise<GarbageCollection>
}

export interface GarbageCollection {
  /** Unreferenced content objects removed. */
  objects: number
  /** Stale temp files (interrupted uploads) removed. */
  tempFiles: number
  /** Bytes freed by both. */
  bytes: number
}
