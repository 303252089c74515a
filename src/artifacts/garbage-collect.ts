import { invalidParameter } from '../core/errors.js'
import type { TrackingStore } from '../tracking/index.js'
import { artifactPathFromUri } from './artifact-path.js'
import type { ArtifactStore } from './artifact-store.js'

export interface CollectTrackingGarbageOptions {
  tracking: Pick<TrackingStore, 'purgeDeleted'>
  artifacts: Pick<ArtifactStore, 'delete' | 'collectGarbage'>
  /** Epoch ms: only runs and experiments deleted before this are purged. */
  olderThan: number
  /** Limit the purge to these deleted runs. */
  runIds?: string[]
  /** Limit the purge to these deleted experiments (and their runs). */
  experimentIds?: string[]
}

export interface TrackingGarbageReport {
  runIds: string[]
  experimentIds: string[]
  artifactFilesDeleted: number
  /** Bytes of content no artifact names any more, freed by the artifact store's GC. */
  bytesFreed: number
  /**
   * Artifact URIs of purged runs whose files were left in place: another scheme (`s3://...`, which this
   * store does not manage), the store's root, or a deletion that failed. The metadata is gone either way.
   */
  skippedArtifactUris: { uri: string; reason: string }[]
}

/**
 * Permanently removes deleted runs and experiments, then their artifact files, then content no path names.
 * Metadata goes first: a crash in between leaves unreachable files for the next GC, never a run whose
 * artifacts are half gone.
 */
export async function collectTrackingGarbage(options: CollectTrackingGarbageOptions): Promise<TrackingGarbageReport> {
  const { tracking, artifacts, olderThan } = options
  if (typeof olderThan !== 'number' || !Number.isFinite(olderThan)) {
    throw invalidParameter(`olderThan must be a timestamp in epoch milliseconds, got ${String(olderThan)}.`, {
      olderThan,
    })
  }
  const purge = await tracking.purgeDeleted({
    olderThan,
    ...(options.runIds === undefined ? {} : { runIds: options.runIds }),
    ...(options.experimentIds === undefined ? {} : { experimentIds: options.experimentIds }),
  })

  let artifactFilesDeleted = 0
  const skippedArtifactUris: { uri: string; reason: string }[] = []
  for (const uri of new Set(purge.artifactUris)) {
    let path: string
    try {
      path = artifactPathFromUri(uri)
    } catch (error) {
      skippedArtifactUris.push({ uri, reason: errorMessage(error) })
      continue
    }
    if (path === '') {
      // A purged run never owns the whole store; deleting '' would wipe every artifact.
      skippedArtifactUris.push({ uri, reason: 'The URI names the root of the artifact store.' })
      continue
    }
    try {
      artifactFilesDeleted += await artifacts.delete(path)
    } catch (error) {
      // The metadata is already purged, so keep going and report rather than stop half-way.
      skippedArtifactUris.push({ uri, reason: errorMessage(error) })
    }
  }

  const swept = await artifacts.collectGarbage()
  return {
    runIds: purge.runIds,
    experimentIds: purge.experimentIds,
    artifactFilesDeleted,
    bytesFreed: swept.bytes,
    skippedArtifactUris,
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
