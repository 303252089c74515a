import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import { FsArtifactStore } from '../store/artifacts/fs-artifact-store.js'
import type { PurgeResult } from '../tracking/index.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { collectTrackingGarbage } from './garbage-collect.js'

type PurgeOptions = { olderThan: number; runIds?: string[]; experimentIds?: string[] }

/** Stands in for a tracking store: records what it was asked to purge and answers `result`. */
function fakeTracking(result: PurgeResult): { purgeDeleted(options: PurgeOptions): Promise<PurgeResult>; calls: PurgeOptions[] } {
  const calls: PurgeOptions[] = []
  return {
    calls,
    purgeDeleted: async (options) => {
      calls.push(options)
      return result
    },
  }
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

describe('collectTrackingGarbage', () => {
  let dir: { path: string; remove: () => void }
  let artifacts: FsArtifactStore

  beforeEach(async () => {
    dir = tempDir('keel-gc-')
    artifacts = new FsArtifactStore({ root: join(dir.path, 'artifacts'), gcGraceMs: 0 })
    await artifacts.put('1/run-a/artifacts/model/weights.bin', bytes('weights of a'))
    await artifacts.put('1/run-a/artifacts/model/shared.json', bytes('{"shared":true}'))
    await artifacts.put('1/run-b/artifacts/notes.txt', bytes('notes of b'))
    await artifacts.put('2/run-c/artifacts/model/shared.json', bytes('{"shared":true}'))
  })
  afterEach(() => dir.remove())

  it('purges metadata, deletes the purged runs’ files and frees content nothing else names', async () => {
    const tracking = fakeTracking({
      runIds: ['run-a', 'run-b'],
      experimentIds: [],
      artifactUris: ['mlflow-artifacts:/1/run-a/artifacts', 'mlflow-artifacts:/1/run-b/artifacts'],
    })
    const report = await collectTrackingGarbage({ tracking, artifacts, olderThan: 1_700_000_000_000 })

    expect(tracking.calls).toEqual([{ olderThan: 1_700_000_000_000 }])
    expect(report).toEqual({
      runIds: ['run-a', 'run-b'],
      experimentIds: [],
      artifactFilesDeleted: 3,
      // 'weights of a' (12) + 'notes of b' (10); shared.json lives on in run-c.
      bytesFreed: 22,
      skippedArtifactUris: [],
    })
    expect(await artifacts.list('')).toEqual([{ path: '2', isDir: true }])
    expect(await artifacts.stat('2/run-c/artifacts/model/shared.json')).toMatchObject({ fileSize: 15 })
  })

  it('passes the run and experiment filters through to the purge', async () => {
    const tracking = fakeTracking({ runIds: [], experimentIds: ['2'], artifactUris: ['mlflow-artifacts:/2/run-c/artifacts'] })
    const report = await collectTrackingGarbage({
      tracking,
      artifacts,
      olderThan: 5,
      runIds: ['run-c'],
      experimentIds: ['2'],
    })
    expect(tracking.calls).toEqual([{ olderThan: 5, runIds: ['run-c'], experimentIds: ['2'] }])
    expect(report).toMatchObject({ experimentIds: ['2'], artifactFilesDeleted: 1, bytesFreed: 0 })
  })

  it('skips URIs it does not manage and never deletes the whole store', async () => {
    const tracking = fakeTracking({
      runIds: ['x', 'y', 'z', 'run-b'],
      experimentIds: [],
      artifactUris: [
        's3://bucket/1/x/artifacts',
        'mlflow-artifacts:/',
        'mlflow-artifacts:/1/../..',
        'mlflow-artifacts:/1/run-b/artifacts',
        'mlflow-artifacts:/1/run-b/artifacts',
      ],
    })
    const report = await collectTrackingGarbage({ tracking, artifacts, olderThan: 0 })

    expect(report.artifactFilesDeleted).toBe(1)
    expect(report.skippedArtifactUris.map((skip) => skip.uri)).toEqual([
      's3://bucket/1/x/artifacts',
      'mlflow-artifacts:/',
      'mlflow-artifacts:/1/../..',
    ])
    for (const skip of report.skippedArtifactUris) expect(skip.reason).not.toBe('')
    expect((await artifacts.list('1')).map((info) => info.path)).toEqual(['run-a'])
    expect(await artifacts.list('2')).toHaveLength(1)
  })

  it('still sweeps orphaned content when nothing was purged', async () => {
    await artifacts.delete('1/run-b/artifacts/notes.txt') // e.g. deleted over the REST API earlier
    const report = await collectTrackingGarbage({
      tracking: fakeTracking({ runIds: [], experimentIds: [], artifactUris: [] }),
      artifacts,
      olderThan: 0,
    })
    expect(report).toEqual({ runIds: [], experimentIds: [], artifactFilesDeleted: 0, bytesFreed: 10, skippedArtifactUris: [] })
  })

  it('rejects a non-finite olderThan before purging anything', async () => {
    const tracking = fakeTracking({ runIds: [], experimentIds: [], artifactUris: [] })
    for (const olderThan of [Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
      const error: unknown = await collectTrackingGarbage({ tracking, artifacts, olderThan }).catch((e: unknown) => e)
      expect(isKeelError(error) && error.code).toBe('INVALID_PARAMETER_VALUE')
    }
    expect(tracking.calls).toEqual([])
  })
})
