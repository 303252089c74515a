import { z } from 'zod'
import { REGISTRY_EVENT_TYPES } from '../registry/types.js'
import type { RegistryEventType } from '../registry/types.js'

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'

/** Where an endpoint family is mounted. MLflow's own UI uses the `/ajax-api` twin of every path. */
export const API_BASES = {
  mlflow: ['/api/2.0', '/ajax-api/2.0'],
  mlflow3: ['/api/3.0', '/ajax-api/3.0'],
  keel: ['/api/keel/v1'],
} as const
export type ApiFamily = keyof typeof API_BASES

/**
 * One RPC of the HTTP API: its route, its request message (query parameters for GET, a JSON body otherwise,
 * plus path parameters) and its response. Routes and /openapi.json are both built from these.
 */
export interface Endpoint<Req extends z.ZodObject = z.ZodObject> {
  readonly operationId: string
  readonly method: HttpMethod
  readonly api: ApiFamily
  /** Under the API base, OpenAPI syntax: `/mlflow/logged-models/{model_id}`. */
  readonly path: string
  readonly summary: string
  readonly tag: string
  readonly request: Req
  readonly response: z.ZodType
  /** A tighter body limit than the server's, e.g. MLflow's 1 MB for log-batch. */
  readonly bodyLimitBytes?: number
  /** The last path parameter when it spans slashes (an artifact path). */
  readonly wildcard?: string
  /** MLflow also answers this RPC on GET (same message as query parameters). */
  readonly alsoGet?: boolean
}

export function endpoint<Req extends z.ZodObject>(spec: Endpoint<Req>): Endpoint<Req> {
  return spec
}

/** The paths an endpoint answers on, OpenAPI syntax. */
export function endpointPaths(ep: Pick<Endpoint, 'api' | 'path'>): string[] {
  return API_BASES[ep.api].map((base) => `${base}${ep.path}`)
}

// Field schemas shared by the request messages.

export const requiredString = (what?: string): z.ZodString =>
  what === undefined ? z.string() : z.string().meta({ description: what })

export const tagInput = z.object({ key: z.string(), value: z.string() })
export const tagList = z.array(tagInput)
export const stringList = z.array(z.string())
export const pageToken = z.string().optional()
export const empty = z.object({})

/** A model version number; MLflow sends a string, a number is accepted too. */
export const versionField = z
  .union([z.string(), z.number().int()], { error: 'expected a version number such as "3"' })
  .transform((v) => String(v))

/** A registry event type: `"model_version.created"` or MLflow's `{entity: "MODEL_VERSION", action: "CREATED"}`. */
export const webhookEventField = z
  .union([z.string(), z.object({ entity: z.union([z.string(), z.number()]), action: z.union([z.string(), z.number()]) })], {
    error: `expected an event such as {"entity": "MODEL_VERSION", "action": "CREATED"} or "model_version.created"`,
  })
  .transform((value, ctx): RegistryEventType => {
    const type = typeof value === 'string' ? value.toLowerCase() : eventFromParts(value.entity, value.action)
    if ((REGISTRY_EVENT_TYPES as readonly string[]).includes(type)) return type as RegistryEventType
    ctx.issues.push({
      code: 'custom',
      input: value,
      message: `unknown event; use one of ${REGISTRY_EVENT_TYPES.join(', ')}`,
    })
    return z.NEVER
  })
  .meta({
    description: 'a registry event type, such as "model_version.created", or MLflow\'s {"entity": "MODEL_VERSION", "action": "CREATED"}',
  })

const ENTITIES = ['registered_model', 'model_version', 'model_version_tag', 'model_version_alias'] as const
const ACTIONS = ['created', 'updated', 'deleted', 'set'] as const

/** Enum numbers as in MLflow's webhooks.proto (REGISTERED_MODEL = 1, ...; CREATED = 1, ...). */
function eventFromParts(entity: string | number, action: string | number): string {
  const e = typeof entity === 'number' ? (ENTITIES[entity - 1] ?? '') : entity.toLowerCase()
  const a = typeof action === 'number' ? (ACTIONS[action - 1] ?? '') : action.toLowerCase()
  return `${e}.${a}`
}
