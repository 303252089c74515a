/**
 * The bare-Fastify ceiling of bench/serving: POST /invocations and /v2/models/:name/infer JSON-parse the body with
 * Fastify's own parser, check its shape, and answer a constant. WORKERS processes share the port through
 * node:cluster exactly like `keel serve --workers N` (same scheduling policy). Env: PORT, WORKERS (default 1).
 */
import cluster from 'node:cluster'
import Fastify from 'fastify'

const workers = Number(process.env['WORKERS'] ?? 1)
const port = Number(process.env['PORT'] ?? 8081)

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork()
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
} else {
  const app = Fastify({ logger: false })
  const BODY = JSON.stringify({ predictions: [0.0123] })
  app.post('/invocations', async (request, reply) => {
    const body = request.body as { dataframe_split?: unknown } | null
    if (body === null || typeof body !== 'object' || body.dataframe_split === undefined) return reply.code(400).send({ error: 'bad request' })
    return reply.type('application/json; charset=utf-8').send(BODY)
  })
  app.post('/v2/models/:name/infer', async (request, reply) => {
    const body = request.body as { inputs?: unknown } | null
    if (body === null || typeof body !== 'object' || !Array.isArray(body.inputs)) return reply.code(400).send({ error: 'bad request' })
    return reply.type('application/json; charset=utf-8').send(BODY)
  })
  await app.listen({ port, host: '127.0.0.1' })
  const close = (): void => void app.close().then(() => process.exit(0))
  process.on('SIGTERM', close)
  process.on('SIGINT', close)
}
