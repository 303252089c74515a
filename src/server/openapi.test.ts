import { describe, expect, it } from 'vitest'
import { call, startTestServer } from '../../test/support/server-fixture.js'
import { endpointPaths } from '../protocol/endpoint.js'
import { allEndpoints } from '../protocol/endpoints.js'
import { buildOpenApi } from './openapi.js'

type Doc = { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> }

describe('openapi', () => {
  const doc = buildOpenApi('1.2.3') as unknown as Doc

  it('documents every endpoint once, with unique operation ids', () => {
    expect(doc.openapi).toBe('3.1.0')
    for (const ep of allEndpoints()) {
      const path = endpointPaths(ep)[0] ?? ''
      expect(doc.paths[path]?.[ep.method.toLowerCase()], `${ep.method} ${path}`).toBeDefined()
    }
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op['operationId']))
    expect(new Set(ids).size).toBe(ids.length)
    expect(doc.paths['/api/2.0/mlflow/experiments/search']?.['get']).toBeDefined()
    expect(doc.paths['/api/2.0/mlflow-artifacts/artifacts/{artifact_path}']?.['put']).toBeDefined()
    expect(doc.paths['/api/keel/v1/registered-models/alias-history']?.['get']).toBeDefined()
  })

  it('describes GET messages as query parameters and other messages as JSON bodies', () => {
    const bulk = doc.paths['/api/2.0/mlflow/metrics/get-history-bulk-interval']?.['get'] as { parameters: Array<Record<string, unknown>> }
    const runIds = bulk.parameters.find((p) => p['name'] === 'run_ids')
    expect(runIds).toMatchObject({ in: 'query', required: true, explode: true, schema: { type: 'array' } })
    expect(bulk.parameters.find((p) => p['name'] === 'start_step')).toMatchObject({ required: false })
    const create = doc.paths['/api/2.0/mlflow/experiments/create']?.['post'] as {
      requestBody: { content: { 'application/json': { schema: { required: string[]; properties: Record<string, unknown> } } } }
    }
    const schema = create.requestBody.content['application/json'].schema
    expect(schema.required).toEqual(['name'])
    expect(Object.keys(schema.properties)).toEqual(['name', 'artifact_location', 'tags'])
    const finalize = doc.paths['/api/2.0/mlflow/logged-models/{model_id}']?.['patch'] as {
      parameters: Array<Record<string, unknown>>
      requestBody: { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } }
    }
    expect(finalize.parameters).toContainEqual(expect.objectContaining({ name: 'model_id', in: 'path', required: true }))
    expect(Object.keys(finalize.requestBody.content['application/json'].schema.properties)).toEqual(['status'])
  })

  it('is served at /openapi.json', async () => {
    const server = await startTestServer()
    try {
      const res = await call(server.app, 'GET', '/openapi.json')
      expect(res.status).toBe(200)
      expect(res.json.info.version).toBe('9.9.9-test')
      expect(Object.keys(res.json.paths)).toEqual(Object.keys(doc.paths))
    } finally {
      await server.close()
    }
  })
})
