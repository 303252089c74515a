import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpTransport } from './http-transport.js'

interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen, count: number) => void

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** A real HTTP server on 127.0.0.1, port 0, recording every request. */
async function serve(handler: Handler): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() }
      seen.push(entry)
      handler(req, res, entry, seen.length)
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, seen }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = []
  return { delays, sleep: async (ms) => void delays.push(ms) }
}

describe('HttpTransport', () => {
  it('sends GET query arrays as repeated keys and POST bodies as JSON', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, { ok: true }))
    const http = new HttpTransport({ baseUrl: `${url}/prefix/` })
    expect(await http.get('/a', { ids: ['1', '2'], n: 3, skip: undefined })).toEqual({ ok: true })
    await http.post('/b', { name: 'x', n: 1 })
    await http.delete('/c', { name: 'y' })
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/prefix/a?ids=1&ids=2&n=3' })
    expect(seen[1]).toMatchObject({ method: 'POST', url: '/prefix/b', body: '{"name":"x","n":1}' })
    expect(seen[1]?.headers['content-type']).toBe('application/json')
    expect(seen[2]).toMatchObject({ method: 'DELETE', body: '{"name":"y"}' })
  })

  it('sends Basic auth from the URL user info, and Bearer auth from a token', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 200, {}))
    const withUser = new HttpTransport({ baseUrl: url.replace('http://', 'http://alice:s%3Acret@') })
    await withUser.get('/x')
    expect(seen[0]?.headers['authorization']).toBe(`Basic ${Buffer.from('alice:s:cret').toString('base64')}`)
    expect(withUser.baseUrl).not.toContain('alice')
    await new HttpTransport({ baseUrl: url, auth: { token: 't0k' } }).get('/x')
    expect(seen[1]?.headers['authorization']).toBe('Bearer t0k')
  })

  it("turns MLflow's error JSON back into a KeelError with the same code, message and details", async () => {
    const { url } = await serve((_req, res) =>
      json(res, 400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Changing param values is not allowed.', details: { key: 'lr' } }),
    )
    const http = new HttpTransport({ baseUrl: url, sleep: async () => {} })
    const error = await http.post('/x').catch((e: unknown) => e)
    expect(error).toMatchObject({
      name: 'KeelError',
      code: 'INVALID_PARAMETER_VALUE',
      message: 'Changing param values is not allowed.',
      details: { key: 'lr' },
      status: 400,
    })
  })

  it('maps foreign MLflow codes and non-JSON errors by their status', async () => {
    const { url } = await serve((req, res) => {
      if (req.url === '/mlflow-code') json(res, 404, { error_code: 'NOT_FOUND', message: 'gone' })
      else {
        res.writeHead(404, { 'content-type': 'text/html' })
        res.end('<html>nope</html>')
      }
    })
    const http = new HttpTransport({ baseUrl: url })
    await expect(http.get('/mlflow-code')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST', message: 'gone' })
    await expect(http.get('/html')).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' })
  })

  it('retries 503 and 429 with growing backoff, then succeeds', async () => {
    const { url, seen } = await serve((_req, res, _s, n) => {
      if (n === 1) json(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' })
      else if (n === 2) json(res, 429, { error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' })
      else json(res, 200, { run_id: 'r' })
    })
    const { sleep, delays } = recordingSleep()
    const http = new HttpTransport({ baseUrl: url, sleep, retryBaseDelayMs: 100, retryMaxDelayMs: 10_000 })
    expect(await http.post('/x', { a: 1 })).toEqual({ run_id: 'r' })
    expect(seen).toHaveLength(3)
    expect(seen.every((s) => s.body === '{"a":1}')).toBe(true)
    expect(delays).toHaveLength(2)
    expect(delays[0]).toBeGreaterThanOrEqual(50)
    expect(delays[0]).toBeLessThanOrEqual(100)
    expect(delays[1]).toBeGreaterThanOrEqual(100)
    expect(delays[1]).toBeLessThanOrEqual(200)
  })

  it('honours Retry-After within the cap', async () => {
    const { url } = await serve((_req, res, _s, n) => {
      if (n === 1) {
        res.writeHead(503, { 'retry-after': '2' })
        res.end()
      } else json(res, 200, {})
    })
    const { sleep, delays } = recordingSleep()
    await new HttpTransport({ baseUrl: url, sleep, retryMaxDelayMs: 1500 }).get('/x')
    expect(delays).toEqual([1500])
  })

  it('gives up after a bounded number of retries with the last error', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'down' }))
    const { sleep, delays } = recordingSleep()
    const http = new HttpTransport({ baseUrl: url, sleep, maxRetries: 3 })
    await expect(http.get('/x')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', message: 'down', retryable: true })
    expect(seen).toHaveLength(4)
    expect(delays).toHaveLength(3)
  })

  it('does not retry a caller error', async () => {
    const { url, seen } = await serve((_req, res) => json(res, 400, { error_code: 'BAD_REQUEST', message: 'no' }))
    const { sleep, delays } = recordingSleep()
    await expect(new HttpTransport({ baseUrl: url, sleep }).post('/x')).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    expect(seen).toHaveLength(1)
    expect(delays).toHaveLength(0)
  })

  it('retries a refused connection, then says the server is unreachable', async () => {
    const { url } = await serve(() => {})
    const server = servers.pop()!
    await new Promise((resolve) => server.close(resolve))
    const { sleep, delays } = recordingSleep()
    const http = new HttpTransport({ baseUrl: url, sleep, maxRetries: 2 })
    const error = await http.post('/x').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', retryable: true })
    expect((error as Error).message).toContain('ECONNREFUSED')
    expect(delays).toHaveLength(2)
  })

  it('times out a request the server never answers, without retrying a POST', async () => {
    const { url, seen } = await serve(() => {
      // never answers
    })
    const { sleep } = recordingSleep()
    const http = new HttpTransport({ baseUrl: url, sleep, timeoutMs: 100 })
    await expect(http.post('/x')).rejects.toMatchObject({ code: 'TEMPORARILY_UNAVAILABLE', message: expect.stringContaining('timed out') })
    expect(seen).toHaveLength(1)
  })

  it('streams an upload and a download', async () => {
    const { url, seen } = await serve((req, res, s) => {
      if (req.method === 'PUT') json(res, 200, {})
      else {
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        res.end(`echo:${seen[0]?.body ?? ''}:${s.url}`)
      }
    })
    const http = new HttpTransport({ baseUrl: url })
    const chunks = Array.from({ length: 50 }, (_, i) => Buffer.from(`chunk-${i};`))
    await http.upload('/files/a%20b.txt', Readable.from(chunks))
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/files/a%20b.txt', body: chunks.join('') })
    const download = await http.download('/files/a%20b.txt')
    expect(await text(download.body)).toBe(`echo:${chunks.join('')}:/files/a%20b.txt`)
  })

  it('rejects a URL that is not http(s)', () => {
    expect(() => new HttpTransport({ baseUrl: 'ftp://x' })).toThrow(/http:\/\//)
    expect(() => new HttpTransport({ baseUrl: 'not a url' })).toThrow(/Invalid server URL/)
  })
})
