import type { FastifyInstance } from 'fastify'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { buildOpenApi } from '../openapi.js'
import { addEndpoint } from '../route.js'
import type { ServerContext } from '../server-context.js'

/** `/health`, `/version`, MLflow 3's server-info probe and the OpenAPI document. */
export function miscRoutes(app: FastifyInstance, ctx: ServerContext): void {
  app.get('/health', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'))
  app.get('/version', async (_request, reply) => reply.type('text/plain; charset=utf-8').send(ctx.version))

  addEndpoint(app, ENDPOINTS.serverInfo, async () => ({
    store_type: ctx.storeType,
    workspaces_enabled: false,
    server: 'keel',
    version: ctx.version,
  }))

  let document: object | undefined
  app.get('/openapi.json', async (_request, reply) => {
    // Built on first use: converting every schema costs a few milliseconds nobody else should pay.
    document ??= buildOpenApi(ctx.version)
    return reply.type('application/json').send(document)
  })
}
