import { z } from 'zod'
import { API_BASES, endpointPaths } from '../protocol/endpoint.js'
import type { Endpoint, HttpMethod } from '../protocol/endpoint.js'
import { allEndpoints } from '../protocol/endpoints.js'
import { wireError } from '../protocol/wire-types.js'

type JsonSchema = Record<string, unknown>
type Operation = Record<string, unknown>

const ERROR_REF = { $ref: '#/components/schemas/Error' }

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema
  delete out['$schema']
  return out
}

function errorResponses(): Record<string, unknown> {
  const response = (description: string): unknown => ({
    description,
    content: { 'application/json': { schema: ERROR_REF } },
  })
  return {
    '400': response('INVALID_PARAMETER_VALUE, BAD_REQUEST or RESOURCE_ALREADY_EXISTS'),
    '404': response('RESOURCE_DOES_NOT_EXIST or ENDPOINT_NOT_FOUND'),
    default: response('Any other error, in the same shape'),
  }
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
}

function operation(ep: Endpoint, method: HttpMethod, operationId: string): Operation {
  const inPath = pathParams(ep.path)
  const shape = ep.request.shape as Record<string, z.ZodType>
  const parameters: unknown[] = inPath.map((name) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(name === ep.wildcard ? { description: 'may contain slashes' } : {}),
  }))
  const op: Operation = {
    operationId,
    summary: ep.summary,
    tags: [ep.tag],
    responses: {
      '200': { description: 'OK', content: { 'application/json': { schema: jsonSchema(ep.response) } } },
      ...errorResponses(),
    },
  }
  if (method === 'GET') {
    for (const [name, field] of Object.entries(shape)) {
      if (inPath.includes(name)) continue
      const schema = jsonSchema(field)
      const isList = schema['type'] === 'array'
      parameters.push({
        name,
        in: 'query',
        required: !field.safeParse(undefined).success,
        schema,
        ...(isList ? { style: 'form', explode: true, description: 'repeat the key for each item (also key[]=)' } : {}),
      })
    }
  } else {
    const mask = Object.fromEntries(inPath.map((name) => [name, true] as const))
    const body = inPath.length === 0 ? ep.request : ep.request.omit(mask as never)
    op['requestBody'] = { required: true, content: { 'application/json': { schema: jsonSchema(body) } } }
  }
  if (parameters.length > 0) op['parameters'] = parameters
  return op
}

/** Byte streams and plain-text routes, which have no zod request message. */
function handWritten(paths: Record<string, Record<string, Operation>>): void {
  const base = API_BASES.mlflow[0]
  const artifactPath = [{ name: 'artifact_path', in: 'path', required: true, schema: { type: 'string' }, description: 'may contain slashes' }]
  paths[`${base}/mlflow-artifacts/artifacts/{artifact_path}`] = {
    put: {
      operationId: 'uploadArtifact',
      summary: 'Upload one file (any content type, streamed; overwrites).',
      tags: ['artifacts'],
      parameters: artifactPath,
      requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
      responses: { '200': { description: 'Stored', content: { 'application/json': { schema: { type: 'object' } } } }, ...errorResponses() },
    },
    get: {
      operationId: 'downloadArtifact',
      summary: 'Download one file (streamed).',
      tags: ['artifacts'],
      parameters: artifactPath,
      responses: {
        '200': { description: 'The file', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        ...errorResponses(),
      },
    },
    delete: {
      operationId: 'deleteArtifact',
      summary: 'Delete a file or a directory.',
      tags: ['artifacts'],
      parameters: artifactPath,
      responses: { '200': { description: 'Deleted', content: { 'application/json': { schema: { type: 'object' } } } }, ...errorResponses() },
    },
  }
  const text = (operationId: string, summary: string): Record<string, Operation> => ({
    get: {
      operationId,
      summary,
      tags: ['misc'],
      responses: { '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  })
  paths['/health'] = text('health', 'Liveness: "OK".')
  paths['/version'] = text('version', "The server's version.")
}

/**
 * OpenAPI 3.1 of the whole HTTP API, generated from the endpoints' zod schemas. Every `/api/2.0` path is
 * also served under `/ajax-api/2.0` (MLflow's UI convention); the document lists each once.
 */
export function buildOpenApi(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, Operation>> = {}
  for (const ep of allEndpoints()) {
    const path = endpointPaths(ep)[0] ?? ep.path
    const item = (paths[path] ??= {})
    item[ep.method.toLowerCase()] = operation(ep, ep.method, ep.operationId)
    if (ep.alsoGet === true) item['get'] = operation(ep, 'GET', `${ep.operationId}Get`)
  }
  handWritten(paths)
  return {
    openapi: '3.1.0',
    info: {
      title: 'keel',
      version,
      description:
        "keel's HTTP API: MLflow's REST API 2.0 (tracking, artifacts, logged models, model registry, webhooks; also under /ajax-api/2.0) and keel's own /api/keel/v1. Errors are {error_code, message[, details]}.",
    },
    paths,
    components: { schemas: { Error: jsonSchema(wireError) } },
  }
}
