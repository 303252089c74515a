import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, startTestServer } from '../../test/support/server-fixture.js'
import type { TestServer } from '../../test/support/server-fixture.js'
import type { Logger } from '../core/logger.js'

const API = '/api/2.0/mlflow'

let server: TestServer
beforeEach(async () => {
  server = await startTestServer()
})
afterEach(async () => {
  await server.close()
})

describe('wire conventions', () => {
  it('serves every MLflow path under /ajax-api/2.0 too', async () => {
    const created = await call(server.app, 'POST', '/ajax-api/2.0/mlflow/experiments/create', { name: 'ui' })
    expect(created.status).toBe(200)
    const got = await call(server.app, 'GET', `${API}/experiments/get?experiment_id=${created.json.experiment_id}`)
    expect(got.json.experiment.name).toBe('ui')
  })

  it('answers experiments/search on GET with repeated and key[] query parameters', async () => {
    for (const name of ['a1', 'a2', 'b1']) await call(server.app, 'POST', `${API}/experiments/create`, { name })
    const res = await call(server.app, 'GET', `${API}/experiments/search?filter=name%20LIKE%20'a%25'&order_by[]=name%20DESC&max_results=10`)
    expect(res.status).toBe(200)
    expect(res.json.experiments.map((e: { name: string }) => e.name)).toEqual(['a2', 'a1'])
  })

  it('takes DELETE bodies as JSON', async () => {
    await call(server.app, 'POST', `${API}/registered-models/create`, { name: 'm' })
    const deleted = await call(server.app, 'DELETE', `${API}/registered-models/delete`, { name: 'm' })
    expect(deleted).toMatchObject({ status: 200, body: {} })
    const gone = await call(server.app, 'GET', `${API}/registered-models/get?name=m`)
    expect(gone.status).toBe(404)
    expect(gone.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST')
  })

  it('ignores unknown fields and treats an empty JSON body as {}', async () => {
    const res = await call(server.app, 'POST', `${API}/experiments/create`, { name: 'x', surprise: [1, 2] })
    expect(res.status).toBe(200)
    const empty = await server.app.inject({
      method: 'POST',
      url: `${API}/experiments/create`,
      headers: { 'content-type': 'application/json' },
      payload: '',
    })
    expect(empty.statusCode).toBe(400)
    expect(JSON.parse(empty.body)).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE' })
    expect(JSON.parse(empty.body).message).toContain("'name'")
  })

  it('accepts application/json with a charset parameter', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: `${API}/experiments/create`,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify({ name: 'charset' }),
    })
    expect(res.statusCode).toBe(200)
  })
})

describe('errors', () => {
  it('answers malformed JSON with 400 BAD_REQUEST in the error shape', async () => {
    const res = await call(server.app, 'POST', `${API}/experiments/create`, '{"name": ', { 'content-type': 'application/json' })
    expect(res.status).toBe(400)
    expect(res.json).toMatchObject({ error_code: 'BAD_REQUEST' })
    expect(res.json.message).toMatch(/Malformed JSON/)
  })

  it('answers a body of another type with 415, a non-object JSON body with 400', async () => {
    const text = await call(server.app, 'POST', `${API}/experiments/create`, 'name=x', { 'content-type': 'text/plain' })
    expect(text.status).toBe(415)
    expect(text.json.error_code).toBe('UNSUPPORTED_MEDIA_TYPE')
    const list = await call(server.app, 'POST', `${API}/experiments/create`, [{ name: 'x' }])
    expect(list.status).toBe(400)
    expect(list.json.error_code).toBe('BAD_REQUEST')
  })

  it('names the field of a wrong type and lists every problem in details', async () => {
    const res = await call(server.app, 'POST', `${API}/runs/log-batch`, {
      run_id: 'r',
      metrics: [{ key: 'k', value: 'high', timestamp: 1 }],
      params: [{ key: 3, value: 'v' }],
    })
    expect(res.status).toBe(400)
    expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE')
    expect(res.json.message).toContain("'metrics[0].value'")
    expect(res.json.details.issues.map((i: { field: string }) => i.field)).toEqual(['metrics[0].value', 'params[0].key'])
  })

  it('answers an unknown route or method with 404 ENDPOINT_NOT_FOUND', async () => {
    const unknown = await call(server.app, 'GET', `${API}/experiments/frobnicate`)
    expect(unknown).toMatchObject({ status: 404, json: { error_code: 'ENDPOINT_NOT_FOUND' } })
    const wrongMethod = await call(server.app, 'GET', `${API}/experiments/create?name=x`)
    expect(wrongMethod).toMatchObject({ status: 404, json: { error_code: 'ENDPOINT_NOT_FOUND' } })
  })

  it('answers a body over the limit with 413 in the error shape, and log-batch over 1 MB too', async () => {
    const big = await call(server.app, 'POST', `${API}/experiments/create`, { name: 'x'.repeat(5 * 1024 * 1024) })
    expect(big.status).toBe(413)
    expect(big.json.error_code).toBe('PAYLOAD_TOO_LARGE')
    const run = await call(server.app, 'POST', `${API}/runs/create`, { experiment_id: '0' })
    const tags = Array.from({ length: 90 }, (_, i) => ({ key: `t${i}`, value: 'v'.repeat(12_000) }))
    const batch = await call(server.app, 'POST', `${API}/runs/log-batch`, { run_id: run.json.run.info.run_id, tags })
    expect(batch.status).toBe(413)
    expect(batch.json.message).toContain('1000000 bytes')
    const after = await call(server.app, 'GET', `${API}/runs/get?run_id=${run.json.run.info.run_id}`)
    expect(after.json.run.data.tags.some((t: { key: string }) => t.key === 't0')).toBe(false)
  })

  it('answers an unexpected failure with 500 INTERNAL_ERROR and logs the stack', async () => {
    const logged: Array<{ obj: object; msg?: string }> = []
    const capture = (obj: object, msg?: string): void => {
      logged.push(msg === undefined ? { obj } : { obj, msg })
    }
    const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: capture }
    const broken = await startTestServer({ server: { logger } })
    try {
      broken.tracking.getExperiment = async () => {
        throw new Error('disk on fire')
      }
      const res = await call(broken.app, 'GET', `${API}/experiments/get?experiment_id=0`)
      expect(res.status).toBe(500)
      expect(res.json).toEqual({
        error_code: 'INTERNAL_ERROR',
        message: 'An internal error occurred; it has been logged on the server.',
      })
      expect(JSON.stringify(logged)).toContain('disk on fire')
    } finally {
      await broken.close()
    }
  })
})

describe('users', () => {
  it('takes the user from Basic auth over what the request claims', async () => {
    const auth = { authorization: `Basic ${Buffer.from('ada:secret').toString('base64')}` }
    const run = await call(
      server.app,
      'POST',
      `${API}/runs/create`,
      { experiment_id: '0', user_id: 'mallory', tags: [{ key: 'mlflow.user', value: 'mallory' }] },
      auth,
    )
    expect(run.json.run.info.user_id).toBe('ada')
    expect(run.json.run.data.tags).toContainEqual({ key: 'mlflow.user', value: 'ada' })
    const anonymous = await call(server.app, 'POST', `${API}/runs/create`, { experiment_id: '0', user_id: 'bob' })
    expect(anonymous.json.run.info.user_id).toBe('bob')
    const nobody = await call(server.app, 'POST', `${API}/runs/create`, { experiment_id: '0' })
    expect(nobody.json.run.info.user_id).toBe('unknown')
  })
})

describe('misc endpoints', () => {
  it('serves /health, /version and server-info', async () => {
    const health = await server.app.inject({ method: 'GET', url: '/health' })
    expect(health.statusCode).toBe(200)
    expect(health.body).toBe('OK')
    expect((await server.app.inject({ method: 'GET', url: '/version' })).body).toBe('9.9.9-test')
    const info = await call(server.app, 'GET', '/api/3.0/mlflow/server-info')
    expect(info.json).toMatchObject({ store_type: 'SqlStore', workspaces_enabled: false })
  })
})
