import type { FastifyInstance } from 'fastify'
import { invalidParameter } from '../../core/errors.js'
import { decodePageToken, encodePageToken } from '../../core/page.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { toWireWebhook } from '../../protocol/mlflow-wire.js'
import { addEndpoint, compact, withToken } from '../route.js'
import type { ServerContext } from '../server-context.js'

/** `max_results` of webhooks/list: the default and the most allowed. */
export const WEBHOOK_PAGE_DEFAULT = 100
export const WEBHOOK_PAGE_MAX = 1000

/** MLflow's webhook CRUD and `/test` (webhooks.proto); deliveries are keel's, see routes/keel.ts. */
export function webhookRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { registry, webhooks } = ctx

  addEndpoint(app, ENDPOINTS.createWebhook, async (input) => {
    const webhook = await registry.createWebhook(
      compact({
        name: input.name,
        url: input.url,
        events: input.events,
        description: input.description,
        secret: input.secret,
        status: input.status,
      }),
    )
    return { webhook: toWireWebhook(webhook) }
  })

  addEndpoint(app, ENDPOINTS.listWebhooks, async (input) => {
    const limit = input.max_results ?? WEBHOOK_PAGE_DEFAULT
    if (limit < 1 || limit > WEBHOOK_PAGE_MAX) {
      throw invalidParameter(`Invalid value ${limit} for parameter 'max_results': pass an integer from 1 to ${WEBHOOK_PAGE_MAX}.`)
    }
    const offset = webhookOffset(input.page_token)
    const all = await registry.listWebhooks()
    const page = all.slice(offset, offset + limit)
    const next = offset + limit < all.length ? encodePageToken({ offset: offset + limit }) : undefined
    return withToken({ webhooks: page.map(toWireWebhook) }, next)
  })

  addEndpoint(app, ENDPOINTS.getWebhook, async (input) => ({
    webhook: toWireWebhook(await registry.getWebhook(input.webhook_id)),
  }))

  addEndpoint(app, ENDPOINTS.updateWebhook, async (input) => {
    const webhook = await registry.updateWebhook(
      input.webhook_id,
      compact({
        name: input.name,
        url: input.url,
        events: input.events,
        description: input.description,
        secret: input.secret,
        status: input.status,
      }),
    )
    return { webhook: toWireWebhook(webhook) }
  })

  addEndpoint(app, ENDPOINTS.deleteWebhook, async (input) => {
    await registry.deleteWebhook(input.webhook_id)
  })

  addEndpoint(app, ENDPOINTS.testWebhook, async (input) => {
    const result = await webhooks.sendTest(input.webhook_id, input.event)
    return {
      result: compact({
        success: result.success,
        response_status: result.responseStatus,
        response_body: result.responseBody,
        error_message: result.errorMessage,
      }),
    }
  })
}

function webhookOffset(token: string | undefined): number {
  const decoded = decodePageToken(token)
  if (decoded === undefined) return 0
  const offset = decoded['offset']
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw invalidParameter('Invalid page token: pass the next_page_token of a previous response.')
  }
  return offset
}
