import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../../core/clock.js'
import { isKeelError } from '../../core/errors.js'
import { tempDir } from '../../../test/support/temp-dir.js'
import { FsArtifactStore } from './fs-artifact-store.js'

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

async function readText(store: FsArtifactStore, path: string): Promise<string> {
  return (await readAll((await store.get(path)).body)).toString('utf8')
}

async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (isKeelError(error)) return error.code
    throw error
  }
  throw new Error('expected a rejection')
}

/** Every file under `dir`, relative, sorted: a snapshot of what is on disk. */
function filesUnder(dir: string, prefix = ''): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`
    if (entry.isDirectory()) out.push(`${rel}/`, ...filesUnder(join(dir, entry.name), rel))
    else out.push(rel)
  }
  return out.sort()
}

const objectFile = (root: string, digest: string): string => join(root, 'objects', digest.slice(0, 2), digest.slice(2))

describe('FsArtifactStore', () => {
  let dir: { path: string; remove: () => void }
  let root: string
  let store: FsArtifactStore

  beforeEach(() => {
    dir = tempDir('keel-fs-artifacts-')
    root = join(dir.path, 'store')
    store = new FsArtifactStore({ root, gcGraceMs: 0 })
  })
  afterEach(() => dir.remove())

  it('round-trips small content and lays it out as objects/ + refs/', async () => {
    const put = await store.put('1/run/artifacts/notes.txt', bytes('hello keel'))
    expect(put).toEqual({ digest: sha256('hello keel'), size: 10 })

    const got = await store.get('1/run/artifacts/notes.txt')
    expect(got.size).toBe(10)
    expect(got.digest).toBe(sha256('hello keel'))
    expect((await readAll(got.body)).toString()).toBe('hello keel')

    const ref: unknown = JSON.parse(readFileSync(join(root, 'refs/1/run/artifacts/notes.txt'), 'utf8'))
    expect(ref).toEqual({ digest: put.digest, size: 10 })
    expect(readFileSync(objectFile(root, put.digest), 'utf8')).toBe('hello keel')
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
  })

  it('stores empty files', async () => {
    expect(await store.put('empty', new Uint8Array())).toEqual({ digest: sha256(''), size: 0 })
    expect(await readText(store, 'empty')).toBe('')
  })

  it('streams 20 MB in from a chunked Readable and back out without holding it whole', async () => {
    const chunkSize = 64 * 1024
    const chunks = 320 // 20 MiB
    const expected = createHash('sha256')
    let produced = 0
    let maxLag = 0
    async function* source(): AsyncGenerator<Buffer> {
      for (let i = 0; i < chunks; i++) {
        const chunk = Buffer.alloc(chunkSize, i % 251)
        chunk.writeUInt32BE(i, 0)
        expected.update(chunk)
        if (i % 16 === 0) {
          // What the store has written so far: if it buffered everything, this would stay at 0.
          const temps = readdirSync(join(root, 'tmp'))
          const written = temps.length === 1 ? statSync(join(root, 'tmp', temps[0] as string)).size : 0
          maxLag = Math.max(maxLag, produced - written)
        }
        produced += chunk.length
        yield chunk
      }
    }
    const put = await store.put('big.bin', Readable.from(source()))
    const digest = expected.digest('hex')
    expect(put).toEqual({ digest, size: chunkSize * chunks })
    expect(maxLag).toBeLessThan(4 * 1024 * 1024)

    const got = await store.get('big.bin')
    expect(got.size).toBe(chunkSize * chunks)
    const outHash = createHash('sha256')
    let largestChunk = 0
    let total = 0
    for await (const chunk of got.body) {
      const buffer = chunk as Buffer
      largestChunk = Math.max(largestChunk, buffer.length)
      total += buffer.length
      outHash.update(buffer)
    }
    expect(total).toBe(chunkSize * chunks)
    expect(outHash.digest('hex')).toBe(digest)
    expect(largestChunk).toBeLessThanOrEqual(1024 * 1024)
  })

  it('deduplicates: two paths with the same content share one object', async () => {
    const a = await store.put('a/model.bin', bytes('same bytes'))
    const b = await store.put('b/model.bin', Readable.from([Buffer.from('same '), Buffer.from('bytes')]))
    expect(b).toEqual(a)
    expect(filesUnder(join(root, 'objects')).filter((f) => !f.endsWith('/'))).toEqual([
      `${a.digest.slice(0, 2)}/${a.digest.slice(2)}`,
    ])
    expect(await readText(store, 'a/model.bin')).toBe('same bytes')
    expect(await readText(store, 'b/model.bin')).toBe('same bytes')
  })

  it('overwrites a path; the old content becomes garbage', async () => {
    const first = await store.put('x.txt', bytes('one'))
    await store.put('x.txt', bytes('two'))
    expect(await readText(store, 'x.txt')).toBe('two')
    expect((await store.stat('x.txt'))?.digest).toBe(sha256('two'))

    expect(await store.collectGarbage()).toEqual({ objects: 1, tempFiles: 0, bytes: 3 })
    expect(statSync(objectFile(root, first.digest), { throwIfNoEntry: false })).toBeUndefined()
    expect(await readText(store, 'x.txt')).toBe('two')
  })

  it('lists direct children of nested directories, sorted, with sizes and digests', async () => {
    await store.put('a/b/c.txt', bytes('c'))
    await store.put('a/d.txt', bytes('dd'))
    await store.put('a/e/f.txt', bytes('f'))
    await store.put('z.txt', bytes('zzz'))

    expect(await store.list('')).toEqual([
      { path: 'a', isDir: true },
      { path: 'z.txt', isDir: false, fileSize: 3, digest: sha256('zzz') },
    ])
    expect(await store.list('a')).toEqual([
      { path: 'b', isDir: true },
      { path: 'd.txt', isDir: false, fileSize: 2, digest: sha256('dd') },
      { path: 'e', isDir: true },
    ])
    expect(await store.list('a/b/')).toEqual([{ path: 'c.txt', isDir: false, fileSize: 1, digest: sha256('c') }])
    expect(await store.list('missing')).toEqual([])
    expect(await store.list('z.txt')).toEqual([])
  })

  it('lists an empty store before anything was written', async () => {
    expect(await store.list('')).toEqual([])
    expect(await store.collectGarbage()).toEqual({ objects: 0, tempFiles: 0, bytes: 0 })
  })

  it('stats files, directories and missing paths', async () => {
    await store.put('a/b.txt', bytes('bb'))
    expect(await store.stat('a/b.txt')).toEqual({ path: 'a/b.txt', isDir: false, fileSize: 2, digest: sha256('bb') })
    expect(await store.stat('a')).toEqual({ path: 'a', isDir: true })
    expect(await store.stat('')).toEqual({ path: '', isDir: true })
    expect(await store.stat('a/nope')).toBeUndefined()
    expect(await store.stat('a/b.txt/deeper')).toBeUndefined()
  })

  it('deletes a file or a whole directory, pruning empty parents', async () => {
    await store.put('exp/run1/artifacts/model/model.json', bytes('{}'))
    await store.put('exp/run1/artifacts/model/weights.bin', bytes('w'))
    await store.put('exp/run1/artifacts/metrics.csv', bytes('m'))
    await store.put('exp/run2/artifacts/keep.txt', bytes('k'))

    expect(await store.delete('exp/run1/artifacts')).toBe(3)
    expect(await store.list('exp')).toEqual([{ path: 'run2', isDir: true }])
    expect(statSync(join(root, 'refs/exp/run1'), { throwIfNoEntry: false })).toBeUndefined()

    expect(await store.delete('exp/run2/artifacts/keep.txt')).toBe(1)
    expect(await store.list('')).toEqual([])
    expect(readdirSync(join(root, 'refs'))).toEqual([])

    expect(await store.delete('exp/run2')).toBe(0)
    expect(await store.delete('never/was')).toBe(0)
    await expect(store.get('exp/run2/artifacts/keep.txt')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
  })

  it('answers RESOURCE_DOES_NOT_EXIST for unknown paths and directories', async () => {
    await store.put('d/f.txt', bytes('f'))
    expect(await errorCode(store.get('nope.txt'))).toBe('RESOURCE_DOES_NOT_EXIST')
    expect(await errorCode(store.get('d'))).toBe('RESOURCE_DOES_NOT_EXIST')
    expect(await errorCode(store.get('d/f.txt/x'))).toBe('RESOURCE_DOES_NOT_EXIST')
  })

  it('refuses to turn a file into a directory or a directory into a file', async () => {
    await store.put('a/file.txt', bytes('f'))
    expect(await errorCode(store.put('a/file.txt/child', bytes('x')))).toBe('INVALID_PARAMETER_VALUE')
    expect(await errorCode(store.put('a', bytes('x')))).toBe('INVALID_PARAMETER_VALUE')
    expect(await readText(store, 'a/file.txt')).toBe('f')
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
  })

  const hostile = ['../x', 'a/../../x', '/etc/passwd', 'a\\b', '..\\x', 'a\0b', 'a//b', '', '.', 'a/./b', 'C:/x', `a/${'n'.repeat(256)}`]

  it.each(hostile)('rejects the path %j everywhere with INVALID_PARAMETER_VALUE and writes nothing', async (path) => {
    await store.put('inside.txt', bytes('i'))
    const before = filesUnder(dir.path)

    expect(await errorCode(store.put(path, bytes('evil')))).toBe('INVALID_PARAMETER_VALUE')
    expect(await errorCode(store.get(path))).toBe('INVALID_PARAMETER_VALUE')
    expect(await errorCode(store.delete(path))).toBe('INVALID_PARAMETER_VALUE')
    if (path !== '') {
      expect(await errorCode(store.stat(path))).toBe('INVALID_PARAMETER_VALUE')
      expect(await errorCode(store.list(path))).toBe('INVALID_PARAMETER_VALUE')
    }
    expect(filesUnder(dir.path)).toEqual(before)
  })

  it('rejects a body that is neither a stream nor bytes', async () => {
    const notABody = 'text' as unknown as Uint8Array
    expect(await errorCode(store.put('x', notABody))).toBe('INVALID_PARAMETER_VALUE')
  })

  it('fails the read stream with DATA_LOSS when an object was corrupted, and a new put repairs it', async () => {
    const put = await store.put('m/model.bin', bytes('original content'))
    const file = objectFile(root, put.digest)
    writeFileSync(file, 'tampered content') // same length, different bytes

    const got = await store.get('m/model.bin')
    await expect(readAll(got.body)).rejects.toMatchObject({ code: 'DATA_LOSS', details: { path: 'm/model.bin' } })

    // The damaged copy was moved aside, so re-uploading the same bytes is not deduplicated onto it.
    expect(await errorCode(store.get('m/model.bin'))).toBe('DATA_LOSS')
    await store.put('m/model.bin', bytes('original content'))
    expect(await readText(store, 'm/model.bin')).toBe('original content')
  })

  it('answers DATA_LOSS up front when an object was truncated or removed', async () => {
    const put = await store.put('t.bin', bytes('0123456789'))
    writeFileSync(objectFile(root, put.digest), '01234')
    expect(await errorCode(store.get('t.bin'))).toBe('DATA_LOSS')
    expect(await errorCode(store.get('t.bin'))).toBe('DATA_LOSS') // now missing
  })

  it('GC removes only unreferenced objects and stale temp files', async () => {
    const kept = await store.put('keep/a.txt', bytes('kept'))
    await store.put('keep/b.txt', bytes('kept')) // same object as a.txt
    const dropped = await store.put('drop/c.txt', bytes('dropped!'))
    await store.put('drop/d.txt', bytes('kept')) // shares the kept object
    expect(await store.delete('drop')).toBe(2)
    writeFileSync(join(root, 'tmp', 'crashed-upload.tmp'), 'partial')

    expect(await store.collectGarbage()).toEqual({ objects: 1, tempFiles: 1, bytes: 8 + 7 })
    expect(statSync(objectFile(root, dropped.digest), { throwIfNoEntry: false })).toBeUndefined()
    expect(statSync(objectFile(root, kept.digest)).isFile()).toBe(true)
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
    expect(await readText(store, 'keep/a.txt')).toBe('kept')
    expect(await readText(store, 'keep/b.txt')).toBe('kept')

    expect(await store.collectGarbage()).toEqual({ objects: 0, tempFiles: 0, bytes: 0 })
  })

  it('GC spares unreferenced content younger than the grace period', async () => {
    const clock = manualClock(Date.now())
    const graceful = new FsArtifactStore({ root, gcGraceMs: 60_000, clock })
    const orphan = await graceful.put('o.txt', bytes('orphan'))
    await graceful.delete('o.txt')
    writeFileSync(join(root, 'tmp', 'in-flight-elsewhere.tmp'), 'partial')

    expect(await graceful.collectGarbage()).toEqual({ objects: 0, tempFiles: 0, bytes: 0 })
    clock.advance(61_000)
    expect(await graceful.collectGarbage()).toEqual({ objects: 1, tempFiles: 1, bytes: 6 + 7 })
    expect(statSync(objectFile(root, orphan.digest), { throwIfNoEntry: false })).toBeUndefined()
  })

  it('GC leaves alone the temp file of a put that is still streaming', async () => {
    let started: () => void = () => {}
    const hasStarted = new Promise<void>((resolve) => (started = resolve))
    let release: () => void = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    async function* slowBody(): AsyncGenerator<Buffer> {
      yield Buffer.from('first half, ')
      started()
      await released
      yield Buffer.from('second half')
    }
    const putting = store.put('slow.txt', Readable.from(slowBody()))
    await hasStarted
    expect(readdirSync(join(root, 'tmp'))).toHaveLength(1)

    expect(await store.collectGarbage()).toEqual({ objects: 0, tempFiles: 0, bytes: 0 })
    release()
    await putting
    expect(await readText(store, 'slow.txt')).toBe('first half, second half')
  })

  it('GC running alongside puts of content it is sweeping never leaves a dangling ref', async () => {
    await store.put('old.txt', bytes('recycled'))
    await store.delete('old.txt') // the object is now garbage...
    // ...and is put again while GC runs: either GC sweeps first and the put restores it, or the put wins.
    const [swept] = await Promise.all([
      store.collectGarbage(),
      store.put('new-1.txt', bytes('recycled')),
      store.put('new-2.txt', Readable.from([Buffer.from('recycled')])),
    ])
    expect(swept.objects).toBeLessThanOrEqual(1)
    expect(await readText(store, 'new-1.txt')).toBe('recycled')
    expect(await readText(store, 'new-2.txt')).toBe('recycled')
    expect(await store.collectGarbage()).toEqual({ objects: 0, tempFiles: 0, bytes: 0 })
  })

  it('GC never sweeps content whose ref a put wrote while GC was marking', async () => {
    // Thousands of refs make the mark phase outlast a put that starts with it.
    const bulk = await store.put('bulk/0', bytes('bulk'))
    mkdirSync(join(root, 'refs', 'bulk'), { recursive: true })
    for (let i = 1; i < 3000; i++) writeFileSync(join(root, 'refs', 'bulk', String(i)), JSON.stringify(bulk))
    await store.put('old.txt', bytes('recycled'))
    await store.delete('old.txt') // its object is garbage until the put below names it again

    const [swept] = await Promise.all([store.collectGarbage(), store.put('new.txt', bytes('recycled'))])
    // Normally the put lands mid-mark and GC spares the object; if GC swept first, the put re-created it.
    expect(swept.objects).toBeLessThanOrEqual(1)
    expect(await readText(store, 'new.txt')).toBe('recycled')
    expect((await store.list('bulk')).length).toBe(3000)
  })

  it('handles concurrent puts of the same content to one and to many paths', async () => {
    const content = Buffer.alloc(256 * 1024, 7)
    const results = await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => store.put(`many/${i}.bin`, Readable.from([content.subarray(0, 1000), content.subarray(1000)]))),
      ...Array.from({ length: 8 }, () => store.put('one/same.bin', content)),
    ])
    const digest = sha256(content)
    for (const result of results) expect(result).toEqual({ digest, size: content.length })
    expect(filesUnder(join(root, 'objects')).filter((f) => !f.endsWith('/'))).toHaveLength(1)
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
    expect((await store.list('many')).map((info) => info.path)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}.bin`))
    expect((await readAll((await store.get('one/same.bin')).body)).equals(content)).toBe(true)
    expect(await store.collectGarbage()).toEqual({ objects: 0, tempFiles: 0, bytes: 0 })
  })

  it('cleans up after a body stream that fails mid-way and keeps the old content', async () => {
    await store.put('f.txt', bytes('previous'))
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('partial')
      throw new Error('client went away')
    }
    await expect(store.put('f.txt', Readable.from(failing()))).rejects.toThrow('client went away')
    expect(readdirSync(join(root, 'tmp'))).toEqual([])
    expect(await readText(store, 'f.txt')).toBe('previous')
  })

  it('ignores crash leftovers: an orphan object and a temp file are invisible, then collected', async () => {
    mkdirSync(join(root, 'objects', 'ab'), { recursive: true })
    mkdirSync(join(root, 'tmp'), { recursive: true })
    writeFileSync(join(root, 'objects', 'ab', 'c'.repeat(62)), 'orphan')
    writeFileSync(join(root, 'tmp', 'x.tmp'), 'half')
    await store.put('real.txt', bytes('real'))
    expect((await store.list('')).map((info) => info.path)).toEqual(['real.txt'])
    expect(await store.collectGarbage()).toEqual({ objects: 1, tempFiles: 1, bytes: 10 })
    expect(await readText(store, 'real.txt')).toBe('real')
  })

  it('GC refuses to sweep when a ref is unreadable, rather than guess what it named', async () => {
    const put = await store.put('ok.txt', bytes('ok'))
    await store.put('gone.txt', bytes('gone'))
    await store.delete('gone.txt')
    writeFileSync(join(root, 'refs', 'broken.txt'), '{"digest": "nope"')
    expect(await errorCode(store.collectGarbage())).toBe('DATA_LOSS')
    expect(await errorCode(store.get('broken.txt'))).toBe('DATA_LOSS')
    expect((await stat(objectFile(root, put.digest))).isFile()).toBe(true)
  })

  it('rejects bad options', () => {
    expect(() => new FsArtifactStore({ root: '' })).toThrow(/root directory/)
    expect(() => new FsArtifactStore({ root, gcGraceMs: -1 })).toThrow(/gcGraceMs/)
  })
})
