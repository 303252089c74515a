import { createHash } from 'node:crypto'
import { Readable, Transform } from 'node:stream'
import type { TransformCallback } from 'node:stream'
import { checkArtifactPath } from '../../artifacts/artifact-path.js'
import type { ArtifactInfo, ArtifactStore, GarbageCollection, PutResult } from '../../artifacts/artifact-store.js'
import { KeelError } from '../../core/errors.js'
import { fromWireFileInfo } from '../../protocol/mlflow-wire.js'
import type { WireFileInfo } from '../../protocol/wire-types.js'
import type { HttpTransport } from './http-transport.js'

const ARTIFACTS = '/api/2.0/mlflow-artifacts/artifacts'
const MAX_LISTED_DIRS = 100_000

/** Headers a server may name the content's sha256 in (keel's own first, then a strong ETag). */
function digestFromHeaders(headers: Headers): string | undefined {
  for (const name of ['x-keel-digest', 'x-content-sha256', 'etag']) {
    const raw = headers.get(name)
    if (raw === null) continue
    const value = raw.replace(/^W\//, '').replace(/"/g, '').replace(/^sha256[:=]/, '').trim().toLowerCase()
    if (/^[0-9a-f]{64}$/.test(value)) return value
  }
  return undefined
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/')
}

/**
 * `ArtifactStore` over MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/artifacts/<path>`): bodies are
 * streamed both ways, the digest of an upload is computed on the way out, and a download is checked
 * against the digest the server names (DATA_LOSS when the bytes differ).
 */
export class HttpArtifactStore implements ArtifactStore {
  constructor(private readonly http: HttpTransport) {}

  async put(path: string, body: Readable | Uint8Array): Promise<PutResult> {
    const target = checkArtifactPath(path)
    const hash = createHash('sha256')
    let size = 0
    let payload: Readable | Uint8Array
    if (body instanceof Uint8Array) {
      hash.update(body)
      size = body.byteLength
      payload = body
    } else {
      payload = Readable.from(
        (async function* () {
          for await (const chunk of body) {
            const bytes: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array)
            hash.update(bytes)
            size += bytes.byteLength
            yield bytes
          }
        })(),
      )
    }
    await this.http.upload(`${ARTIFACTS}/${encodePath(target)}`, payload)
    return { digest: hash.digest('hex'), size }
  }

  async get(path: string): Promise<{ body: Readable; size: number; digest: string }> {
    const target = checkArtifactPath(path)
    const res = await this.http.download(`${ARTIFACTS}/${encodePath(target)}`)
    const digest = digestFromHeaders(res.headers)
    const length = res.headers.get('content-length')
    let size = length === null ? Number.NaN : Number(length)
    if (!Number.isSafeInteger(size)) {
      // A chunked answer names no length; the listing does (at the cost of one more request).
      size = (await this.stat(target).catch(() => undefined))?.fileSize ?? 0
    }
    const body = digest === undefined ? res.body : res.body.pipe(new VerifyDigest(digest, target))
    if (digest !== undefined) res.body.on('error', (error) => body.destroy(error))
    return { body, size, digest: digest ?? '' }
  }

  async stat(path: string): Promise<ArtifactInfo | undefined> {
    const target = checkArtifactPath(path, { allowRoot: true })
    if (target === '') return { path: '', isDir: true }
    const slash = target.lastIndexOf('/')
    const parent = slash === -1 ? '' : target.slice(0, slash)
    const name = target.slice(slash + 1)
    const entry = (await this.list(parent)).find((e) => e.path === name)
    return entry === undefined ? undefined : { ...entry, path: target }
  }

  async list(dir: string): Promise<ArtifactInfo[]> {
    const target = checkArtifactPath(dir, { allowRoot: true })
    const res = await this.http.get<{ files?: Array<WireFileInfo & { digest?: string }> }>(
      ARTIFACTS,
      target === '' ? {} : { path: target },
    )
    return (res.files ?? [])
      .map((wire) => {
        const info = fromWireFileInfo(wire)
        // MLflow answers with names relative to the listed directory; tolerate servers that send the full path.
        if (target !== '' && info.path.startsWith(`${target}/`)) info.path = info.path.slice(target.length + 1)
        if (!info.isDir && typeof wire.digest === 'string' && wire.digest !== '') info.digest = wire.digest
        return info
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  async delete(path: string): Promise<number> {
    const target = checkArtifactPath(path)
    // MLflow's DELETE answers `{}`; count first so the port's "files removed" holds against any server.
    const info = await this.stat(target)
    const counted = info === undefined ? 0 : info.isDir ? (await this.walk(target)).length : 1
    const res = await this.http.delete<{ files_deleted?: number }>(`${ARTIFACTS}/${encodePath(target)}`)
    return typeof res.files_deleted === 'number' ? res.files_deleted : counted
  }

  async collectGarbage(): Promise<GarbageCollection> {
    throw new KeelError(
      'NOT_IMPLEMENTED',
      "The server's artifact store collects its own garbage: run `keel gc --store <server url>` (POST /api/keel/v1/gc).",
    )
  }

  /** Every file under `dir`, recursively (used to count before a delete). */
  async walk(dir: string): Promise<ArtifactInfo[]> {
    const files: ArtifactInfo[] = []
    const queue = [checkArtifactPath(dir, { allowRoot: true })]
    for (let i = 0; i < queue.length && i < MAX_LISTED_DIRS; i++) {
      const current = queue[i] ?? ''
      for (const entry of await this.list(current)) {
        const full = current === '' ? entry.path : `${current}/${entry.path}`
        if (entry.isDir) queue.push(full)
        else files.push({ ...entry, path: full })
      }
    }
    return files
  }
}

/** Passes bytes through while hashing; fails the stream with DATA_LOSS when they do not match. */
class VerifyDigest extends Transform {
  private readonly hash = createHash('sha256')

  constructor(
    private readonly expected: string,
    private readonly path: string,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    const actual = this.hash.digest('hex')
    if (actual === this.expected) callback()
    else {
      callback(
        new KeelError('DATA_LOSS', `Artifact '${this.path}' arrived corrupted: its sha256 is ${actual}, expected ${this.expected}.`, {
          details: { path: this.path, expected: this.expected, actual },
        }),
      )
    }
  }
}
