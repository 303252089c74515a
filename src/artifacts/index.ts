/**
 * Artifacts: files of runs and model versions behind the `ArtifactStore` port.
 * @example
 * const report = await collectTrackingGarbage({ tracking, artifacts, olderThan: Date.now() - 30 * 86_400_000 })
 */
export type { ArtifactInfo, ArtifactStore, GarbageCollection, PutResult } from './artifact-store.js'
export { artifactPathFromUri, checkArtifactPath } from './artifact-path.js'
export { collectTrackingGarbage } from './garbage-collect.js'
export type { CollectTrackingGarbageOptions, TrackingGarbageReport } from './garbage-collect.js'
