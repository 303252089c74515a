import { once } from 'node:events'
import { request } from 'node:http'
import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, startTestServer } from '../../test/support/server-fixture.js'
import type { TestServer } from '../../test/support/server-fixture.js'
import type { Logger } from '../core/logger.js'

/** keel adds each file's sha256 to MLflow's FileInfo; MLflow clients ignore unknown fields. */
const SHA256 = expect.stringMatching(/^[0-9a-f]{64}$/)

const API = '/api/2.0/mlflow'
const PROXY = '/api/2.0/mlflow-artifacts/artifacts'

let server: TestServer
beforeEach(async () => {
  server = await startTestServer()
})
afterEach(async () => {
  await server.close()
})

async function newRun(): Promise<{ runId: string; root: string }> {
  const res = await call(server.app, 'POST', `${API}/runs/create`, { experiment_id: '0' })
  const runId = res.json.run.info.run_id as string
  return { runId, root: `0/${runId}/artifacts` }
}

describe('artifact proxy', () => {
  it('stores a PUT body of any content type byte for byte and streams it back', async () => {
    const { root } = await newRun()
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13])
    const put = await server.app.inject({
      method: 'PUT',
      url: `${PROXY}/${root}/model/weights.bin`,
      headers: { 'content-type': 'application/octet-stream' },
      payload: bytes,
    })
    expect(put.statusCode).toBe(200)
    expect(JSON.parse(put.body)).toEqual({})
    const json = await server.app.inject({
      method: 'PUT',
      url: `${PROXY}/${root}/model/MLmodel.json`,
      headers: { 'content-type': 'application/json' },
      payload: '{"not": "parsed"',
    })
    expect(json.statusCode).toBe(200)
    const got = await server.app.inject({ method: 'GET', url: `${PROXY}/${root}/model/weights.bin` })
    expect(got.statusCode).toBe(200)
    expect(got.rawPayload.equals(bytes)).toBe(true)
    expect(got.headers['content-length']).toBe(String(bytes.length))
    expect(got.headers['content-type']).toBe('application/octet-stream')
    const text = await server.app.inject({ method: 'GET', url: `${PROXY}/${root}/model/MLmodel.json` })
    expect(text.body).toBe('{"not": "parsed"')
  })

  it('accepts an upload larger than the JSON body limit, since uploads stream', async () => {
    const small = await startTestServer({ server: { limits: { bodyLimitBytes: 64 * 1024 } } })
    try {
      const payload = Buffer.alloc(3 * 1024 * 1024, 7)
      const put = await small.app.inject({ method: 'PUT', url: `${PROXY}/big/file.bin`, payload })
      expect(put.statusCode).toBe(200)
      const stat = await small.artifacts.stat('big/file.bin')
      expect(stat?.fileSize).toBe(payload.length)
    } finally {
      await small.close()
    }
  })

  it('lists a directory relative to ?path= and deletes files and directories', async () => {
    const { root } = await newRun()
    await server.artifacts.put(`${root}/a.txt`, Buffer.from('a'))
    await server.artifacts.put(`${root}/dir/b.txt`, Buffer.from('bb'))
    const list = await call(server.app, 'GET', `${PROXY}?path=${root}`)
    expect(list.json.files).toEqual([
      { path: 'a.txt', is_dir: false, file_size: 1, digest: SHA256 },
      { path: 'dir', is_dir: true },
    ])
    expect((await call(server.app, 'DELETE', `${PROXY}/${root}/dir`)).status).toBe(200)
    expect((await call(server.app, 'GET', `${PROXY}?path=${root}`)).json.files).toEqual([{ path: 'a.txt', is_dir: false, file_size: 1, digest: SHA256 }])
    const missing = await call(server.app, 'GET', `${PROXY}/${root}/dir/b.txt`)
    expect(missing).toMatchObject({ status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST' } })
  })

  it('rejects path traversal with 400 and writes nothing', async () => {
    const attempts = [`${PROXY}/a/b%5Cc`, `${PROXY}/a//b`, `${PROXY}/a/%00`, `${PROXY}/%2Fetc%2Fpasswd`]
    for (const url of attempts) {
      const res = await server.app.inject({ method: 'PUT', url, payload: 'x' })
      expect({ url, status: res.statusCode, code: JSON.parse(res.body).error_code }).toEqual({
        url,
        status: 400,
        code: 'INVALID_PARAMETER_VALUE',
      })
    }
    expect((await call(server.app, 'GET', `${PROXY}?path=../x`)).status).toBe(400)
    expect(await server.artifacts.list('')).toEqual([])
  })

  it('rejects raw ../ paths sent over HTTP without normalisation', async () => {
    await server.app.listen({ port: 0, host: '127.0.0.1' })
    const address = server.app.server.address()
    if (address === null || typeof address === 'string') throw new Error('not listening')
    const put = (path: string): Promise<number> =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: address.port, method: 'PUT', path, headers: { 'content-length': '1' } },
          (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          },
        )
        req.on('error', reject)
        req.end('x')
      })
    for (const path of ['a/../../../etc/passwd', 'a/%2e%2e/%2e%2e/x', '..', 'a/./b']) {
      expect({ path, status: await put(`${PROXY}/${path}`) }).toEqual({ path, status: 400 })
    }
    expect(await server.artifacts.list('')).toEqual([])
  })

  it('treats an upload cut off by the client as its mistake: nothing stored, nothing logged as a server error', async () => {
    const errors: object[] = []
    const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (obj) => errors.push(obj) }
    const puts: Array<Promise<unknown>> = []
    const cut = await startTestServer({ server: { logger } })
    const realPut = cut.artifacts.put.bind(cut.artifacts)
    cut.artifacts.put = (path, body) => {
      const put = realPut(path, body)
      puts.push(put.catch(() => undefined))
      return put
    }
    try {
      await cut.app.listen({ port: 0, host: '127.0.0.1' })
      const address = cut.app.server.address()
      if (address === null || typeof address === 'string') throw new Error('not listening')
      const socket = connect(address.port, '127.0.0.1')
      await once(socket, 'connect')
      socket.write(`PUT ${PROXY}/cut/file.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n`)
      socket.write(Buffer.alloc(1000, 1))
      // Bounded: wait (event-driven) until the server has started storing the upload, then cut it off.
      for (let i = 0; i < 1000 && puts.length === 0; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(puts).toHaveLength(1)
      socket.destroy()
      await Promise.all(puts)
      for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(await cut.artifacts.stat('cut/file.bin')).toBeUndefined()
      expect(errors).toEqual([])
    } finally {
      await cut.close()
    }
  })

  it('answers multipart upload with NOT_IMPLEMENTED so clients fall back to PUT', async () => {
    const res = await call(server.app, 'POST', '/api/2.0/mlflow-artifacts/mpu/create/0/r/artifacts/big.bin', {
      path: 'big.bin',
      num_parts: 3,
    })
    expect(res.status).toBe(501)
    expect(res.json).toEqual({
      error_code: 'NOT_IMPLEMENTED',
      message: 'Multipart upload is not supported for the current artifact repository',
    })
    const traversal = await call(server.app, 'POST', '/api/2.0/mlflow-artifacts/mpu/create/../x', { path: 'x' })
    expect(traversal.status).toBeLessThan(500)
  })
})

describe('artifacts/list by run', () => {
  it('lists with paths relative to the run root and the root_uri', async () => {
    const { runId, root } = await newRun()
    await server.artifacts.put(`${root}/model/MLmodel`, Buffer.from('flavors: {}'))
    await server.artifacts.put(`${root}/model/model.pkl`, Buffer.from('0123'))
    const top = await call(server.app, 'GET', `${API}/artifacts/list?run_id=${runId}`)
    expect(top.json).toEqual({ root_uri: `mlflow-artifacts:/${root}`, files: [{ path: 'model', is_dir: true }] })
    const inner = await call(server.app, 'GET', `${API}/artifacts/list?run_id=${runId}&path=model`)
    expect(inner.json.files).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 11, digest: SHA256 },
      { path: 'model/model.pkl', is_dir: false, file_size: 4, digest: SHA256 },
    ])
    expect((await call(server.app, 'GET', `${API}/artifacts/list?run_id=${runId}&path=../../x`)).status).toBe(400)
    expect((await call(server.app, 'GET', `${API}/artifacts/list?run_id=nope`)).status).toBe(404)
  })
})
