import type { FastifyInstance } from 'fastify'
import { manualClock } from '../../src/core/clock.js'
import type { Clock } from '../../src/core/clock.js'
import type { MonitoringStore } from '../../src/monitoring/monitoring-store.js'
import type { PredictionStore } from '../../src/monitoring/prediction-store.js'
import type { PipelineStore } from '../../src/pipelines/types.js'
import { Registry } from '../../src/registry/registry.js'
import type { WebhookTestResult } from '../../src/registry/webhook-dispatcher.js'
import { createServer } from '../../src/server/create-server.js'
import type { ServerOptions } from '../../src/server/create-server.js'
import { FsArtifactStore } from '../../src/store/artifacts/fs-artifact-store.js'
import { MIGRATIONS as POSTGRES_MIGRATIONS } from '../../src/store/postgres/migrations/index.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { migrate } from '../../src/store/sql/migrate.js'
import { SqlMonitoringStore } from '../../src/store/sql/monitoring/sql-monitoring-store.js'
import { SqlPipelineStore } from '../../src/store/sql/pipelines/sql-pipeline-store.js'
import { SqlPredictionStore } from '../../src/store/sql/predictions/sql-prediction-store.js'
import { SqlRegistryStore } from '../../src/store/sql/registry/sql-registry-store.js'
import type { SqlDriver } from '../../src/store/sql/sql-driver.js'
import { SqlTrackingStore } from '../../src/store/sql/tracking/sql-tracking-store.js'
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/store/sqlite/migrations/index.js'
import { SqliteDriver } from '../../src/store/sqlite/sqlite-driver.js'
import { Tracking } from '../../src/tracking/tracking.js'
import { freshPostgresDatabase } from './postgres.js'
import { tempDir } from './temp-dir.js'

export interface TestServer {
  app: FastifyInstance
  tracking: Tracking
  registry: Registry
  artifacts: FsArtifactStore
  /** The server's prediction store: `options.server.predictions` if given, else one over the same driver; undefined with `predictions: false`. */
  predictions: PredictionStore | undefined
  /** Likewise the monitoring store (feedback, alerts); undefined with `monitoring: false`. */
  monitoring: MonitoringStore | undefined
  /** Likewise the pipeline run-state store; undefined with `pipelines: false`. */
  pipelines: PipelineStore | undefined
  clock: Clock & { advance(ms: number): void }
  /** Webhook ids passed to the fake test sender, in order. */
  webhookTests: string[]
  close(): Promise<void>
}

/**
 * The real server over real stores: SQLite `:memory:` (or a fresh PostgreSQL database) for tracking, registry
 * and predictions, a temp-dir artifact store and a manual clock. Webhook tests go to a recording fake, never
 * the network. `predictions: false` / `monitoring: false` / `pipelines: false` start a server without that store (its routes answer 501).
 */
export async function startTestServer(
  options: { store?: 'sqlite' | 'postgres'; predictions?: boolean; monitoring?: boolean; pipelines?: boolean; server?: Partial<ServerOptions> } = {},
): Promise<TestServer> {
  let driver: SqlDriver
  if (options.store === 'postgres') {
    driver = new PostgresDriver({ connectionString: await freshPostgresDatabase() })
    await migrate(driver, POSTGRES_MIGRATIONS)
  } else {
    driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, SQLITE_MIGRATIONS)
  }
  const clock = manualClock()
  const tracking = new Tracking(new SqlTrackingStore(driver, { clock }), { clock })
  const registry = new Registry(new SqlRegistryStore(driver, { clock }), { clock })
  const predictions = options.server?.predictions ?? (options.predictions === false ? undefined : new SqlPredictionStore(driver))
  const monitoring = options.server?.monitoring ?? (options.monitoring === false ? undefined : new SqlMonitoringStore(driver))
  const pipelines = options.server?.pipelines ?? (options.pipelines === false ? undefined : new SqlPipelineStore(driver, { clock }))
  const dir = tempDir('keel-server-')
  const artifacts = new FsArtifactStore({ root: dir.path, gcGraceMs: 0 })
  const webhookTests: string[] = []
  const app = await createServer({
    tracking,
    registry,
    artifacts,
    ...(predictions === undefined ? {} : { predictions }),
    ...(monitoring === undefined ? {} : { monitoring }),
    ...(pipelines === undefined ? {} : { pipelines }),
    clock,
    version: '9.9.9-test',
    webhooks: {
      sendTest: async (webhookId: string): Promise<WebhookTestResult> => {
        await registry.getWebhook(webhookId)
        webhookTests.push(webhookId)
        return { success: true, responseStatus: 204 }
      },
    },
    ...options.server,
  })
  return {
    app,
    tracking,
    registry,
    artifacts,
    predictions,
    monitoring,
    pipelines,
    clock,
    webhookTests,
    close: async () => {
      await app.close()
      await driver.close()
      dir.remove()
    },
  }
}

export interface JsonResponse {
  status: number
  headers: Record<string, unknown>
  body: unknown
  /** The parsed body, loosely typed for property access in assertions. */
  json: any
}

/** One in-process request; `body` objects are sent as JSON, strings and buffers as they are. */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const isRaw = typeof body === 'string' || Buffer.isBuffer(body)
  const response = await app.inject({
    method,
    url,
    headers: body === undefined || isRaw ? headers : { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { payload: isRaw ? (body as string | Buffer) : JSON.stringify(body) }),
  })
  let parsed: unknown = response.body
  try {
    parsed = JSON.parse(response.body) as unknown
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.statusCode,
    headers: response.headers,
    body: parsed,
    json: parsed !== null && typeof parsed === 'object' ? parsed : {},
  }
}
