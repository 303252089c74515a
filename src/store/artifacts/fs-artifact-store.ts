import { randomBytes } from 'node:crypto'
import type { Dirent, Stats } from 'node:fs'
import { lstat, mkdir, open, readFile, rename, utimes } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { pipeline as pipelineWithCallback } from 'node:stream'
import type { Readable } from 'node:stream'
import { checkArtifactPath } from '../../artifacts/index.js'
import type { ArtifactInfo, ArtifactStore, GarbageCollection, PutResult } from '../../artifacts/index.js'
import { systemClock } from '../../core/clock.js'
import type { Clock } from '../../core/clock.js'
import { invalidParameter, notFound, type KeelError } from '../../core/errors.js'
import { dataLoss, decodeRef, encodeRef, isDigest, refWriteError } from './artifact-ref.js'
import type { ArtifactRef } from './artifact-ref.js'
import { toSource, writeDurably, writeSmallFileDurably } from './durable-write.js'
import { VerifyingStream } from './digest-stream.js'
import {
  errnoCode,
  forEachLimit,
  readdirOrEmpty,
  removeIfOlder,
  removeTree,
  rmdirIfEmpty,
  statOrUndefined,
  syncDir,
  unlinkCounting,
} from './fs-helpers.js'
import { KeyedLock } from './keyed-lock.js'

export interface FsArtifactStoreOptions {
  /** Holds `objects/` (content by sha256), `refs/` (one small JSON file per path) and `tmp/`. Created on first put. */
  root: string
  /**
   * Unreferenced objects and temp files younger than this survive `collectGarbage()` (default one hour).
   * Within one process a lock already keeps GC off in-flight puts; the grace period covers puts running in
   * other processes, between their content landing and their ref being written.
   */
  gcGraceMs?: number
  /** Compared with file modification times by `collectGarbage()`. */
  clock?: Clock
}

const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000
const IO_CONCURRENCY = 16
const REF_RENAME_ATTEMPTS = 5
/** Linux PATH_MAX (with its NUL); longer paths fail with ENAMETOOLONG deep inside fs calls. */
const MAX_FILE_PATH_BYTES = 4096
/** Lock key of GC itself; content locks use hex digests, so they cannot collide. */
const GC_LOCK = 'gc'

/**
 * A content-addressed `ArtifactStore` on a local (or shared) filesystem.
 *
 * Crash safety comes from ordering: content is fsynced in `tmp/` and renamed into `objects/` before the
 * ref naming it is written (itself temp + fsync + rename), so a killed process leaves at worst an orphan
 * temp file or object, which `collectGarbage()` sweeps, and never a ref to missing or partial content.
 */
export class FsArtifactStore implements ArtifactStore {
  readonly #objects: string
  readonly #refs: string
  readonly #tmp: string
  readonly #quarantine: string
  readonly #graceMs: number
  readonly #clock: Clock
  readonly #locks = new KeyedLock()
  /** Temp files of calls in flight: GC must not sweep them, whatever their age. */
  readonly #activeTemps = new Set<string>()
  /** Digests whose ref was written while a GC runs, after its mark phase may have looked. */
  #committedDuringGc: Set<string> | undefined
  #layout: Promise<void> | undefined

  constructor(options: FsArtifactStoreOptions) {
    if (typeof options.root !== 'string' || options.root === '') {
      throw invalidParameter('FsArtifactStore needs a root directory; pass { root: "<dir>" }.')
    }
    const graceMs = options.gcGraceMs ?? DEFAULT_GC_GRACE_MS
    if (typeof graceMs !== 'number' || !Number.isFinite(graceMs) || graceMs < 0) {
      throw invalidParameter(`gcGraceMs must be a non-negative number of milliseconds, got ${String(graceMs)}.`)
    }
    const root = resolve(options.root)
    this.#objects = join(root, 'objects')
    this.#refs = join(root, 'refs')
    this.#tmp = join(root, 'tmp')
    this.#quarantine = join(root, 'quarantine')
    this.#graceMs = graceMs
    this.#clock = options.clock ?? systemClock
  }

  async put(path: string, body: Readable | Uint8Array): Promise<PutResult> {
    const logical = checkArtifactPath(path)
    const refFile = this.#refFile(logical)
    const source = toSource(body)
    await this.#ensureLayout()
    return this.#withTemp(async (tmp) => {
      const content = await writeDurably(tmp, source)
      // Under the content's lock, GC either swept the old copy before (we rename ours in) or sees the new ref.
      await this.#locks.run(content.digest, async () => {
        const deduplicated = await this.#commitObject(tmp, content)
        await this.#writeRef(refFile, logical, content)
        // Another process's GC may have swept the object we deduplicated onto; we still hold the bytes.
        if (deduplicated) await this.#restoreIfMissing(tmp, content.digest)
        this.#committedDuringGc?.add(content.digest)
      })
      return content
    })
  }

  async get(path: string): Promise<{ body: Readable; size: number; digest: string }> {
    const logical = checkArtifactPath(path)
    const ref = await this.#readRef(logical)
    let handle: FileHandle
    try {
      handle = await open(this.#objectFile(ref.digest), 'r')
    } catch (error) {
      if (errnoCode(error) !== 'ENOENT') throw error
      throw dataLoss(`The content of artifact '${logical}' is missing; upload it again to repair it.`, {
        path: logical,
        digest: ref.digest,
      })
    }
    let stats: Stats
    try {
      stats = await handle.stat()
    } catch (error) {
      await handle.close()
      throw error
    }
    const ino = stats.ino
    if (stats.size !== ref.size) {
      await handle.close()
      throw await this.#corrupted(logical, ref, ino, { size: stats.size })
    }
    const verifier = new VerifyingStream(ref, (actual) => this.#corrupted(logical, ref, ino, actual))
    // Errors of either stream surface on `verifier`, the only one the caller sees; the handle closes with it.
    pipelineWithCallback(handle.createReadStream(), verifier, () => {})
    return { body: verifier, size: ref.size, digest: ref.digest }
  }

  async stat(path: string): Promise<ArtifactInfo | undefined> {
    const logical = checkArtifactPath(path, { allowRoot: true })
    if (logical === '') return { path: '', isDir: true }
    const file = this.#refFile(logical)
    const stats = await statOrUndefined(file)
    if (stats === undefined) return undefined
    if (stats.isDirectory()) return { path: logical, isDir: true }
    const ref = await this.#readRefOrUndefined(file, logical)
    return ref === undefined ? undefined : fileInfo(logical, ref)
  }

  async list(dir: string): Promise<ArtifactInfo[]> {
    const logical = checkArtifactPath(dir, { allowRoot: true })
    const directory = logical === '' ? this.#refs : this.#refFile(logical)
    const entries = await readdirOrEmpty(directory)
    const infos: ArtifactInfo[] = []
    await forEachLimit(entries, IO_CONCURRENCY, async (entry) => {
      if (entry.isDirectory()) {
        infos.push({ path: entry.name, isDir: true })
      } else if (entry.isFile()) {
        const child = logical === '' ? entry.name : `${logical}/${entry.name}`
        const ref = await this.#readRefOrUndefined(join(directory, entry.name), child)
        if (ref !== undefined) infos.push(fileInfo(entry.name, ref))
      }
    })
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  async delete(path: string): Promise<number> {
    const logical = checkArtifactPath(path)
    const target = this.#refFile(logical)
    let removed: number
    try {
      const stats = await lstat(target)
      removed = stats.isDirectory() ? await removeTree(target, IO_CONCURRENCY) : await unlinkCounting(target)
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ENOENT' || code === 'ENOTDIR') return 0
      throw error
    }
    await this.#pruneEmptyParents(dirname(target))
    return removed
  }

  async collectGarbage(): Promise<GarbageCollection> {
    return this.#locks.run(GC_LOCK, async () => {
      await this.#ensureLayout()
      const committed = new Set<string>()
      this.#committedDuringGc = committed
      try {
        const referenced = await this.#markReferenced()
        const cutoff = this.#clock.now() - this.#graceMs
        const result = { objects: 0, tempFiles: 0, bytes: 0 }
        for (const fanout of await readdirOrEmpty(this.#objects)) {
          if (!fanout.isDirectory() || !/^[0-9a-f]{2}$/.test(fanout.name)) continue
          const names = (await readdirOrEmpty(join(this.#objects, fanout.name))).map((entry) => entry.name)
          await forEachLimit(names, IO_CONCURRENCY, async (name) => {
            const digest = fanout.name + name
            if (!isDigest(digest) || referenced.has(digest) || committed.has(digest)) return
            await this.#locks.run(digest, async () => {
              if (committed.has(digest)) return
              const freed = await removeIfOlder(this.#objectFile(digest), cutoff)
              if (freed === undefined) return
              result.objects++
              result.bytes += freed
            })
          })
        }
        for (const entry of await readdirOrEmpty(this.#tmp)) {
          if (this.#activeTemps.has(entry.name)) continue
          const freed = await removeIfOlder(join(this.#tmp, entry.name), cutoff)
          if (freed === undefined) continue
          result.tempFiles++
          result.bytes += freed
        }
        return result
      } finally {
        this.#committedDuringGc = undefined
      }
    })
  }

  /** Moves `tmp` into `objects/` unless identical content is there already; true when deduplicated. */
  async #commitObject(tmp: string, content: PutResult): Promise<boolean> {
    const file = this.#objectFile(content.digest)
    const existing = await statOrUndefined(file)
    // A size mismatch means the stored copy is damaged: replace it with ours.
    if (existing !== undefined && existing.isFile() && existing.size === content.size) {
      const now = this.#clock.now() / 1000
      try {
        // Restart the grace period, so another process's GC leaves it alone until our ref exists.
        await utimes(file, now, now)
        return true
      } catch (error) {
        if (errnoCode(error) !== 'ENOENT') throw error
      }
    }
    await this.#renameIntoObjects(tmp, file)
    return false
  }

  async #restoreIfMissing(tmp: string, digest: string): Promise<void> {
    const file = this.#objectFile(digest)
    if ((await statOrUndefined(file)) === undefined) await this.#renameIntoObjects(tmp, file)
  }

  async #renameIntoObjects(tmp: string, file: string): Promise<void> {
    await mkdir(dirname(file), { recursive: true })
    await rename(tmp, file)
    await syncDir(dirname(file))
  }

  async #writeRef(refFile: string, logical: string, ref: ArtifactRef): Promise<void> {
    await this.#withTemp(async (tmp) => {
      await writeSmallFileDurably(tmp, encodeRef(ref))
      for (let attempt = 1; ; attempt++) {
        try {
          await mkdir(dirname(refFile), { recursive: true })
          await rename(tmp, refFile)
          await syncDir(dirname(refFile))
          return
        } catch (error) {
          const code = errnoCode(error)
          // A concurrent delete pruned the (then empty) parent between our mkdir and rename.
          if (code === 'ENOENT' && attempt < REF_RENAME_ATTEMPTS) continue
          throw refWriteError(code, logical) ?? error
        }
      }
    })
  }

  async #readRef(logical: string): Promise<ArtifactRef> {
    const file = this.#refFile(logical)
    try {
      return decodeRef(await readFile(file, 'utf8'), logical)
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw notFound(`Artifact '${logical}' does not exist.`, { path: logical })
      }
      if (code === 'EISDIR') {
        throw notFound(`Artifact '${logical}' is a directory, not a file; list it instead.`, { path: logical })
      }
      throw error
    }
  }

  /** Reads a ref that a directory listing just named; undefined if it vanished meanwhile. */
  async #readRefOrUndefined(file: string, logical: string): Promise<ArtifactRef | undefined> {
    try {
      return decodeRef(await readFile(file, 'utf8'), logical)
    } catch (error) {
      const code = errnoCode(error)
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined
      throw error
    }
  }

  /** Every digest some ref names. A malformed ref aborts GC: sweeping without knowing what it named loses data. */
  async #markReferenced(): Promise<Set<string>> {
    const referenced = new Set<string>()
    const walk = async (dir: string, logicalDir: string): Promise<void> => {
      const files: Dirent[] = []
      for (const entry of await readdirOrEmpty(dir)) {
        const logical = logicalDir === '' ? entry.name : `${logicalDir}/${entry.name}`
        if (entry.isDirectory()) await walk(join(dir, entry.name), logical)
        else if (entry.isFile()) files.push(entry)
      }
      await forEachLimit(files, IO_CONCURRENCY, async (entry) => {
        const logical = logicalDir === '' ? entry.name : `${logicalDir}/${entry.name}`
        const ref = await this.#readRefOrUndefined(join(dir, entry.name), logical)
        if (ref !== undefined) referenced.add(ref.digest)
      })
    }
    await walk(this.#refs, '')
    return referenced
  }

  /** Builds the DATA_LOSS error and moves the damaged object aside, so the next put of the content repairs it. */
  async #corrupted(
    logical: string,
    ref: ArtifactRef,
    ino: number,
    actual: { digest?: string; size: number },
  ): Promise<KeelError> {
    await this.#locks
      .run(ref.digest, async () => {
        const file = this.#objectFile(ref.digest)
        // Only the copy we read: a put may have replaced it with good bytes meanwhile.
        if ((await statOrUndefined(file))?.ino !== ino) return
        await mkdir(this.#quarantine, { recursive: true })
        await rename(file, join(this.#quarantine, `${ref.digest}.${this.#clock.now()}`))
      })
      .catch(() => undefined)
    return dataLoss(
      `Artifact '${logical}' is corrupted: its stored bytes no longer match sha256 ${ref.digest}. ` +
        'Upload it again to repair it.',
      { path: logical, digest: ref.digest, size: ref.size, actualSize: actual.size },
    )
  }

  async #pruneEmptyParents(dir: string): Promise<void> {
    let current = dir
    while (current.length > this.#refs.length && current.startsWith(this.#refs + sep)) {
      if (!(await rmdirIfEmpty(current))) return
      current = dirname(current)
    }
  }

  async #withTemp<T>(fn: (file: string) => Promise<T>): Promise<T> {
    const name = `${randomBytes(12).toString('hex')}.tmp`
    const file = join(this.#tmp, name)
    this.#activeTemps.add(name)
    try {
      return await fn(file)
    } finally {
      try {
        await unlinkCounting(file)
      } finally {
        this.#activeTemps.delete(name)
      }
    }
  }

  /** Joins a checked logical path under `refs/` and verifies the result stays inside (defence in depth). */
  #refFile(logical: string): string {
    const file = resolve(this.#refs, logical)
    const rel = relative(this.#refs, file)
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw invalidParameter(`Artifact path '${logical}' resolves outside the artifact store.`, { path: logical })
    }
    if (Buffer.byteLength(file) >= MAX_FILE_PATH_BYTES) {
      throw invalidParameter(`Artifact path '${logical}' is too long for the filesystem; shorten it.`, {
        path: logical,
      })
    }
    return file
  }

  #objectFile(digest: string): string {
    return join(this.#objects, digest.slice(0, 2), digest.slice(2))
  }

  #ensureLayout(): Promise<void> {
    this.#layout ??= Promise.all(
      [this.#objects, this.#refs, this.#tmp].map((dir) => mkdir(dir, { recursive: true })),
    ).then(
      () => undefined,
      (error: unknown) => {
        this.#layout = undefined
        throw error
      },
    )
    return this.#layout
  }
}

function fileInfo(path: string, ref: ArtifactRef): ArtifactInfo {
  return { path, isDir: false, fileSize: ref.size, digest: ref.digest }
}
