import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { KeelError } from '../core/errors.js'
import { endpointPaths } from '../protocol/endpoint.js'
import type { Endpoint, HttpMethod } from '../protocol/endpoint.js'
import { fastVariant } from '../protocol/fast-schema.js'
import { parseRequest, queryToMessage } from '../protocol/parse-request.js'

export type EndpointHandler<S extends z.ZodObject> = (
  input: z.output<S>,
  request: FastifyRequest,
  reply: FastifyReply,
) => Promise<unknown>

/** `/mlflow/logged-models/{model_id}` → `/mlflow/logged-models/:model_id`; the wildcard parameter → `*`. */
export function toFastifyPath(path: string, wildcard?: string): string {
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => (name === wildcard ? '*' : `:${name}`))
}

/**
 * Mounts one endpoint on every base path of its family. The request message is the query string for GET
 * (MLflow's repeated-key lists) or the JSON body otherwise, with path parameters merged in; it is fully
 * validated before the handler runs, so a rejected request never reaches a store.
 */
export function addEndpoint<S extends z.ZodObject>(
  app: FastifyInstance,
  ep: Endpoint<S>,
  handler: EndpointHandler<S>,
): void {
  const methods: HttpMethod[] = ep.alsoGet === true && ep.method !== 'GET' ? [ep.method, 'GET'] : [ep.method]
  const shape = ep.request.shape as Readonly<Record<string, z.ZodType>>
  const fast = fastVariant(ep.request)
  for (const path of endpointPaths(ep)) {
    app.route({
      method: methods,
      url: toFastifyPath(path, ep.wildcard),
      ...(ep.bodyLimitBytes === undefined ? {} : { bodyLimit: ep.bodyLimitBytes }),
      handler: async (request, reply) => {
        const message = requestMessage(request, shape, ep.wildcard)
        const input = parseRequest(ep.request, message, fast)
        const result = await handler(input, request, reply)
        if (reply.sent) return reply
        return result ?? {}
      },
    })
  }
}

function requestMessage(
  request: FastifyRequest,
  shape: Readonly<Record<string, z.ZodType>>,
  wildcard: string | undefined,
): Record<string, unknown> {
  let message: Record<string, unknown>
  if (request.method === 'GET' || request.method === 'HEAD') {
    message = queryToMessage((request.query ?? {}) as Record<string, unknown>, shape)
  } else {
    const body: unknown = request.body
    // No body at all is an empty message; a JSON `null`, list or scalar is a mistake.
    if (body === undefined) message = {}
    else if (body === null || typeof body !== 'object' || Array.isArray(body) || isStream(body)) {
      const kind = body === null ? 'null' : Array.isArray(body) ? 'a list' : `a ${typeof body}`
      throw new KeelError('BAD_REQUEST', `The request body must be a JSON object, got ${kind}.`)
    } else message = { ...(body as Record<string, unknown>) }
  }
  const params = (request.params ?? {}) as Record<string, string>
  for (const [name, value] of Object.entries(params)) {
    message[name === '*' && wildcard !== undefined ? wildcard : name] = value
  }
  return message
}

function isStream(value: object): boolean {
  return typeof (value as { pipe?: unknown }).pipe === 'function'
}

/**
 * Who is calling: the user of an `Authorization: Basic` header when present (a proxy or keel's auth vouches
 * for it), else what the request itself claims, else "unknown".
 */
export function requestUser(request: FastifyRequest, claimed?: string): string {
  const header = request.headers.authorization
  if (typeof header === 'string' && header.slice(0, 6).toLowerCase() === 'basic ') {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    const user = colon < 0 ? decoded : decoded.slice(0, colon)
    if (user !== '') return user
  }
  return claimed !== undefined && claimed !== '' ? claimed : 'unknown'
}

type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>
}

/** Drops undefined fields, so optional wire fields map onto `exactOptionalPropertyTypes` inputs. */
export function compact<T extends Record<string, unknown>>(value: T): Compact<T> {
  const out: Record<string, unknown> = {}
  for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = v
  return out as Compact<T>
}

/** Adds `next_page_token` only when there is a next page, as MLflow. */
export function withToken<T extends object>(body: T, token: string | undefined): T & { next_page_token?: string } {
  return token === undefined || token === '' ? body : { ...body, next_page_token: token }
}
