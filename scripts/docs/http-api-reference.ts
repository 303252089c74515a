import { z } from 'zod'
import { endpointPaths } from '../../src/protocol/endpoint.js'
import type { Endpoint, HttpMethod } from '../../src/protocol/endpoint.js'
import { allEndpoints } from '../../src/protocol/endpoints.js'
import { WIRE_KIND } from '../../src/protocol/wire-numbers.js'
import { buildOpenApi } from '../../src/server/openapi.js'
import { cell, slugOf } from './markdown.js'

type JsonSchema = { readonly [key: string]: unknown }

/** One row of an endpoint's request table; nested fields are `metrics[].value`, `lineage.environment.node`. */
export interface FieldRow {
  name: string
  /** `path`, `query`, `body`, `body or query`; empty for nested fields. */
  in: string
  type: string
  required: boolean
  notes: string
}

/** One documented operation of the HTTP API. */
export interface HttpOperation {
  operationId: string
  method: HttpMethod
  /** Also answers GET, with the message as query parameters. */
  alsoGet: boolean
  /** On its first base, OpenAPI syntax: `/api/2.0/mlflow/logged-models/{model_id}`. */
  path: string
  /** The path parameter that spans slashes, if any (artifact paths). */
  wildcard?: string
  group: string
  summary: string
  fields: FieldRow[]
  /** What the request body is when it is not a JSON message (artifact uploads). */
  rawBody?: string
  /** Markdown: the response's shape or what it is. */
  response: string
}

interface Group {
  tag: string
  title: string
  intro: string
}

const GROUPS: readonly Group[] = [
  { tag: 'tracking', title: 'Tracking', intro: "Experiments, runs, params, metrics, tags and datasets: MLflow's `service.proto`." },
  {
    tag: 'artifacts',
    title: 'Artifacts',
    intro:
      "The artifact proxy. A run's `artifact_uri` `mlflow-artifacts:/<experiment_id>/<run_id>/artifacts` is served at `/api/2.0/mlflow-artifacts/artifacts/<experiment_id>/<run_id>/artifacts/...`; paths may contain slashes, never `..`.",
  },
  { tag: 'logged-models', title: 'Logged models', intro: "MLflow 3's LoggedModel RPCs, which `mlflow.<flavor>.log_model` uses." },
  { tag: 'registry', title: 'Model registry', intro: "Registered models, versions, aliases and tags: MLflow's `model_registry.proto`." },
  {
    tag: 'webhooks',
    title: 'Webhook management',
    intro:
      "MLflow's webhook CRUD (`webhooks.proto`). What a delivery looks like is described in [Webhooks](#webhooks), the event types in [Events](#events).",
  },
  { tag: 'keel', title: 'keel API', intro: "keel's own endpoints under `/api/keel/v1`, beyond MLflow's protocol." },
  { tag: 'misc', title: 'Misc', intro: 'Probes and the description of the API itself.' },
]

/** What the operations without a zod message (byte streams, plain text) answer, by OpenAPI operationId. */
const RAW_RESPONSES: Readonly<Record<string, string>> = {
  uploadArtifact: '`{}` once the file is stored',
  downloadArtifact:
    "the file's bytes, with the headers `x-keel-digest` (its sha256, hex), `content-length` and `content-disposition: attachment`. Types a browser could render as a page (HTML, SVG, JavaScript, text) are served as `text/plain`",
  deleteArtifact: '`{files_deleted}`: how many files were removed (0 when nothing was there)',
  health: '`OK`, as `text/plain`',
  version: "the server's version, as `text/plain`",
}

const OPENAPI_OPERATION: HttpOperation = {
  operationId: 'openApiDocument',
  method: 'GET',
  alsoGet: false,
  path: '/openapi.json',
  group: 'misc',
  summary: 'This API as an OpenAPI 3.1 document, built from the request schemas the server validates with.',
  fields: [],
  response: 'the OpenAPI document (JSON)',
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema
}

function isSchema(value: unknown): value is JsonSchema {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function propertiesOf(schema: JsonSchema): Array<[string, JsonSchema]> {
  const props = schema['properties']
  return isSchema(props) ? Object.entries(props).filter((entry): entry is [string, JsonSchema] => isSchema(entry[1])) : []
}

function requiredOf(schema: JsonSchema): Set<string> {
  const required = schema['required']
  return new Set(Array.isArray(required) ? required.filter((r): r is string => typeof r === 'string') : [])
}

const PRIMITIVE_NAMES: Readonly<Record<string, string>> = { boolean: 'bool', integer: 'integer', number: 'number', string: 'string', null: 'null' }

/** A field's type for people: `int64`, `enum`, `string[]`, `{key, value}[]`, `string or integer`, `object`. */
export function typeName(schema: JsonSchema): string {
  const kind = schema[WIRE_KIND]
  if (typeof kind === 'string') return kind
  const anyOf = schema['anyOf']
  if (Array.isArray(anyOf)) return anyOf.filter(isSchema).map(typeName).join(' or ')
  const type = schema['type']
  if (Array.isArray(type)) return type.map((t) => PRIMITIVE_NAMES[String(t)] ?? String(t)).join(' or ')
  if (type === 'array') {
    const items = schema['items']
    const item = isSchema(items) ? typeName(items) : 'any'
    return item.includes(' or ') ? `(${item})[]` : `${item}[]`
  }
  if (type === 'object') return inlineObject(schema) ?? 'object'
  if (typeof type === 'string') return PRIMITIVE_NAMES[type] ?? type
  return 'any'
}

/** Small objects of plain fields read best inline (`{key, value}`, `{model_id, step?: int64}`); undefined otherwise. */
function inlineObject(schema: JsonSchema): string | undefined {
  const props = propertiesOf(schema)
  if (props.length === 0) return 'object'
  if (props.length > 2) return undefined
  const required = requiredOf(schema)
  const parts: string[] = []
  for (const [name, prop] of props) {
    const type = typeName(prop)
    if (type.includes('{') || type.includes('[]') || type === 'object') return undefined
    parts.push(`${name}${required.has(name) ? '' : '?'}${type === 'string' ? '' : `: ${type}`}`)
  }
  return `{${parts.join(', ')}}`
}

/** The object whose fields get rows of their own under a field: an object, or the items of a list of objects. */
function nestedObject(schema: JsonSchema): { object: JsonSchema; list: boolean } | undefined {
  if (schema['type'] === 'object' && inlineObject(schema) === undefined) return { object: schema, list: false }
  const items = schema['items']
  if (schema['type'] === 'array' && isSchema(items) && items['type'] === 'object' && inlineObject(items) === undefined) {
    return { object: items, list: true }
  }
  return undefined
}

function notesOf(schema: JsonSchema): string {
  const kind = schema[WIRE_KIND]
  const values = schema['enum']
  if ((kind === 'enum' || kind === undefined) && Array.isArray(values)) {
    return `one of ${values.map((v) => `\`${String(v)}\``).join(', ')}`
  }
  const description = schema['description']
  if (kind === undefined && typeof description === 'string') return description
  // A list without a note of its own says what its items are (`events`: a list of webhookEventField).
  const items = schema['items']
  if (schema['type'] === 'array' && description === undefined && isSchema(items) && items[WIRE_KIND] === undefined) {
    const itemDescription = items['description']
    if (typeof itemDescription === 'string') return itemDescription
  }
  return ''
}

const MAX_FIELD_DEPTH = 4

function fieldRows(name: string, schema: JsonSchema, required: boolean, where: string, depth: number): FieldRow[] {
  const rows: FieldRow[] = [{ name, in: where, type: typeName(schema), required, notes: notesOf(schema) }]
  const nested = nestedObject(schema)
  if (nested === undefined || depth >= MAX_FIELD_DEPTH) return rows
  const prefix = nested.list ? `${name}[]` : name
  const childRequired = requiredOf(nested.object)
  for (const [key, child] of propertiesOf(nested.object)) {
    rows.push(...fieldRows(`${prefix}.${key}`, child, childRequired.has(key), '', depth + 1))
  }
  return rows
}

/** `{run: {info, data, inputs, outputs}}`: a response's fields, two levels deep. */
export function responseShape(schema: JsonSchema, depth = 0): string {
  const items = schema['items']
  if (schema['type'] === 'array') return isSchema(items) && items['type'] === 'object' ? `[${responseShape(items, depth)}]` : '[]'
  const props = propertiesOf(schema)
  const loose = schema['additionalProperties'] === true || isSchema(schema['additionalProperties'])
  const parts = props.map(([name, prop]) => {
    const isList = prop['type'] === 'array'
    const propItems = prop['items']
    const ofObjects = isList && isSchema(propItems) && propItems['type'] === 'object'
    if (depth === 0 && (prop['type'] === 'object' || ofObjects) && propertiesOf(ofObjects ? (propItems as JsonSchema) : prop).length > 0) {
      return `${name}: ${responseShape(prop, depth + 1)}`
    }
    return isList ? `${name}[]` : name
  })
  if (loose) parts.push('…')
  return `{${parts.join(', ')}}`
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
}

function endpointOperation(ep: Endpoint): HttpOperation {
  const inPath = new Set(pathParams(ep.path))
  const request = toJsonSchema(ep.request, 'input')
  const required = requiredOf(request)
  const where = (name: string): string =>
    inPath.has(name) ? 'path' : ep.method === 'GET' ? 'query' : ep.alsoGet === true ? 'body or query' : 'body'
  const op: HttpOperation = {
    operationId: ep.operationId,
    method: ep.method,
    alsoGet: ep.alsoGet === true,
    path: endpointPaths(ep)[0] ?? ep.path,
    group: ep.tag,
    summary: ep.summary,
    fields: propertiesOf(request).flatMap(([name, schema]) => fieldRows(name, schema, required.has(name), where(name), 0)),
    response: `\`${responseShape(toJsonSchema(ep.response, 'output'))}\``,
  }
  // As in /openapi.json, which says the same of the wildcard parameter.
  for (const field of op.fields) if (field.name === ep.wildcard) field.notes = 'may contain slashes'
  if (ep.wildcard !== undefined) op.wildcard = ep.wildcard
  return op
}

type OpenApiOperation = {
  operationId?: string
  summary?: string
  tags?: string[]
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: JsonSchema; description?: string }>
  requestBody?: { content?: Record<string, unknown> }
}

/** The operations /openapi.json describes by hand (byte streams, plain text): not in the endpoint catalogue. */
function openApiOnlyOperations(): HttpOperation[] {
  const catalogued = new Set(allEndpoints().flatMap((ep) => [ep.operationId, `${ep.operationId}Get`]))
  const paths = buildOpenApi('docs')['paths'] as Record<string, Record<string, OpenApiOperation>>
  const out: HttpOperation[] = []
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const id = op.operationId ?? ''
      if (catalogued.has(id)) continue
      const response = RAW_RESPONSES[id]
      if (response === undefined) throw new Error(`Describe what ${id} (${method} ${path}) answers in RAW_RESPONSES of scripts/docs/http-api-reference.ts.`)
      const params = op.parameters ?? []
      const operation: HttpOperation = {
        operationId: id,
        method: method.toUpperCase() as HttpMethod,
        alsoGet: false,
        path,
        group: op.tags?.[0] ?? 'misc',
        summary: op.summary ?? '',
        fields: params.map((p) => ({
          name: p.name,
          in: p.in,
          type: p.schema === undefined ? 'string' : typeName(p.schema),
          required: p.required === true,
          notes: p.description ?? '',
        })),
        response,
      }
      const wildcard = params.find((p) => p.in === 'path' && p.description === 'may contain slashes')
      if (wildcard !== undefined) operation.wildcard = wildcard.name
      if (op.requestBody?.content?.['application/octet-stream'] !== undefined) {
        operation.rawBody = "the file's bytes, any `Content-Type`, streamed (the JSON body limit does not apply); an existing file is replaced"
      }
      out.push(operation)
    }
  }
  return out
}

/** Every operation of the HTTP API, grouped as documented: hand-described ones first, then the catalogue's. */
export function collectHttpOperations(): HttpOperation[] {
  const all = [...openApiOnlyOperations(), ...allEndpoints().map(endpointOperation), OPENAPI_OPERATION]
  const known = new Set(GROUPS.map((g) => g.tag))
  const unknown = all.find((op) => !known.has(op.group))
  if (unknown !== undefined) throw new Error(`Add the tag '${unknown.group}' (${unknown.operationId}) to GROUPS in scripts/docs/http-api-reference.ts.`)
  return GROUPS.flatMap((group) => all.filter((op) => op.group === group.tag))
}

function methods(op: HttpOperation): string {
  return op.alsoGet ? `${op.method}, GET` : op.method
}

function renderGroup(group: Group, ops: readonly HttpOperation[]): string {
  const rows = ops.map((op) => `| ${methods(op)} | [\`${op.path}\`](#${slugOf(op.operationId)}) | ${cell(op.summary)} |`)
  const details = ops.map((op) => {
    const also = op.alsoGet ? ' (also `GET`, with the fields as query parameters)' : ''
    const parts = [`#### ${op.operationId}`, `\`${op.method} ${op.path}\`${also}`, cell(op.summary)]
    if (op.fields.length > 0) {
      const fieldRowsText = op.fields.map(
        (f) => `| \`${f.name}\` | ${f.in} | ${cell(f.type)} | ${f.required ? 'yes' : ''} | ${cell(f.notes)} |`,
      )
      parts.push(`| field | in | type | required | notes |\n|---|---|---|---|---|\n${fieldRowsText.join('\n')}`)
    } else if (op.rawBody === undefined) {
      parts.push('No request fields.')
    }
    if (op.rawBody !== undefined) parts.push(`Body: ${op.rawBody}.`)
    parts.push(`Response: ${op.response}.`)
    return parts.join('\n\n')
  })
  return [`### ${group.title}`, group.intro, `| method | path | summary |\n|---|---|---|\n${rows.join('\n')}`, ...details].join('\n\n')
}

/** The "Endpoint reference" section of docs/http-api.md: every operation, by group, with its request fields. */
export function httpApiReference(): string {
  const ops = collectHttpOperations()
  const groups = GROUPS.map((group) => renderGroup(group, ops.filter((op) => op.group === group.tag)))
  return `## Endpoint reference

Generated from the endpoint catalogue (\`src/protocol/*-endpoints.ts\`): the same zod schemas the server validates
requests with, so this list cannot drift from the server. Paths are shown under their first base; every
\`/api/2.0\` path also answers under \`/ajax-api/2.0\`. In the request tables, *in* says where a field goes:
\`query\` for GET, \`body\` (JSON) otherwise, \`path\` for a segment of the path. A nested field
(\`metrics[].value\`) is required only when its parent is given. Types: \`int64\` and \`double\` follow the
[number conventions](#wire-conventions), \`enum\` fields take the names listed. Responses list their fields two
levels deep; fields that are unset or empty may be left out, as MLflow does.

${groups.join('\n\n')}`
}
