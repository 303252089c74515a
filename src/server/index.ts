/**
 * keel's HTTP server: MLflow's REST API 2.0, the artifact proxy and keel's own API.
 * @example
 * const server = await startServer({ host: '127.0.0.1', port: 5000, storeUri: 'sqlite:.keel/keel.db' })
 */
export { createServer } from './create-server.js'
export type { ServerLimits, ServerOptions } from './create-server.js'
export { startServer } from './main.js'
export type { RunningServer, StartServerOptions } from './main.js'
export { buildOpenApi } from './openapi.js'
