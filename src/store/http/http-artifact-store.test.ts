import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpArtifactStore } from './http-artifact-store.js'
import { HttpTransport } from './http-transport.js'

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A tiny in-memory stand-in of MLflow's artifact proxy; `digestFor` decides the digest header it sends. */
async function fakeProxy(digestFor: (path: string, content: Buffer) => string | undefined) {
  const files = new Map<string, Buffer>()
  const prefix = '/api/2.0/mlflow-artifacts/artifacts'
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const path = decodeURIComponent(url.pathname.slice(prefix.length + 1))
      if (req.method === 'PUT') {
        files.set(path, Buffer.concat(chunks))
        res.end('{}')
      } else if (req.method === 'GET' && url.pathname === prefix) {
        const dir = url.searchParams.get('path') ?? ''
        const entries = new Map<string, { path: string; is_dir: boolean; file_size?: number }>()
        for (const [name, content] of files) {
          if (dir !== '' && !name.startsWith(`${dir}/`)) continue
          const rest = dir === '' ? name : name.slice(dir.length + 1)
          const [first, ...more] = rest.split('/')
          entries.set(first!, more.length > 0 ? { path: first!, is_dir: true } : { path: first!, is_dir: false, file_size: content.length })
        }
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ files: [...entries.values()] }))
      } else if (req.method === 'GET') {
        const content = files.get(path)
        if (content === undefined) {
          res.writeHead(404, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: `no ${path}` }))
          return
        }
        const digest = digestFor(path, content)
        res.writeHead(200, digest === undefined ? {} : { 'x-keel-digest': digest })
        res.end(content)
      } else if (req.method === 'DELETE') {
        for (const name of [...files.keys()]) if (name === path || name.startsWith(`${path}/`)) files.delete(name)
        res.end('{}')
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { store: new HttpArtifactStore(new HttpTransport({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 })), files }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('HttpArtifactStore', () => {
  it('computes the digest of a streamed upload and verifies a download against the named digest', async () => {
    const { store, files } = await fakeProxy((_p, content) => sha256(content))
    const put = await store.put('a/b c.txt', Readable.from([Buffer.from('hello '), Buffer.from('world')]))
    expect(put).toEqual({ size: 11, digest: sha256(Buffer.from('hello world')) })
    expect(files.get('a/b c.txt')?.toString()).toBe('hello world')
    const got = await store.get('a/b c.txt')
    expect(got).toMatchObject({ size: 11, digest: put.digest })
    expect(await text(got.body)).toBe('hello world')
  })

  it('fails the download stream with DATA_LOSS when the bytes do not match the digest', async () => {
    const { store } = await fakeProxy(() => '0'.repeat(64))
    await store.put('x.bin', Buffer.from('payload'))
    const got = await store.get('x.bin')
    await expect(text(got.body)).rejects.toMatchObject({ code: 'DATA_LOSS' })
  })

  it('lists relative names, stats files and directories, and counts what a delete removes', async () => {
    const { store } = await fakeProxy(() => undefined)
    await store.put('run/artifacts/model/a.bin', Buffer.alloc(3))
    await store.put('run/artifacts/model/sub/b.bin', Buffer.alloc(4))
    await store.put('run/artifacts/notes.txt', Buffer.alloc(5))
    expect(await store.list('run/artifacts')).toEqual([
      { path: 'model', isDir: true },
      { path: 'notes.txt', isDir: false, fileSize: 5 },
    ])
    expect(await store.stat('run/artifacts/model')).toEqual({ path: 'run/artifacts/model', isDir: true })
    expect(await store.stat('run/artifacts/missing')).toBeUndefined()
    expect((await store.walk('run')).map((f) => f.path)).toEqual([
      'run/artifacts/notes.txt',
      'run/artifacts/model/a.bin',
      'run/artifacts/model/sub/b.bin',
    ])
    expect(await store.delete('run/artifacts/model')).toBe(2)
    expect(await store.delete('run/artifacts/model')).toBe(0)
    expect((await store.get('run/artifacts/notes.txt')).digest).toBe('')
  })

  it('refuses traversal before any request and keeps the server error code', async () => {
    const { store } = await fakeProxy(() => undefined)
    await expect(store.put('../etc/passwd', Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    await expect(store.get('a/../../b')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    await expect(store.get('nope.txt')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(store.collectGarbage()).rejects.toMatchObject({ code: 'NOT_IMPLEMENTED' })
  })
})
