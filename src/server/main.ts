import { pino } from 'pino'
import { systemClock } from '../core/clock.js'
import { KeelError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { captureEnvironment } from '../registry/environment.js'
import { WebhookDispatcher, fetchSender } from '../registry/webhook-dispatcher.js'
import { openStores, parseStoreUri } from '../store/open-stores.js'
import { createServer } from './create-server.js'
import type { ServerLimits } from './create-server.js'

/** How long a webhook receiver has to answer one delivery attempt. */
export const WEBHOOK_SEND_TIMEOUT_MS = 10_000
/** How often the server sends due webhook deliveries, unless `webhookIntervalMs` says otherwise. */
export const WEBHOOK_POLL_INTERVAL_MS = 1000

export interface StartServerOptions {
  host?: string
  /** 0 picks a free port (see `url` of the result). */
  port?: number
  /** Metadata store, e.g. `sqlite:.keel/keel.db` or `postgres://...` (see `openStores`). */
  storeUri: string
  /** Root of the filesystem artifact store. */
  artifactsRoot?: string
  logger?: Logger
  limits?: ServerLimits
  /** How often due webhook deliveries are sent (default 1 s). */
  webhookIntervalMs?: number
  /** Close on SIGTERM/SIGINT (default true; tests running several servers in one process pass false). */
  handleSignals?: boolean
}

export interface RunningServer {
  /** `http://host:port` the server listens on. */
  url: string
  port: number
  /** Stops accepting requests, lets in-flight ones finish, stops webhook delivery and closes the stores. */
  close(): Promise<void>
}

/**
 * Opens the stores, starts webhook delivery and listens: the `keel server` command. Idempotent `close()`,
 * also run on SIGTERM/SIGINT.
 * @example
 * const server = await startServer({ host: '127.0.0.1', port: 5000, storeUri: 'sqlite:.keel/keel.db' })
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const logger: Logger =
    options.logger ?? pino({ level: process.env['KEEL_LOG_LEVEL'] ?? 'info', base: { service: 'keel-server' } })
  const location = parseStoreUri(options.storeUri)
  const stores = await openStores(
    options.storeUri,
    options.artifactsRoot === undefined ? {} : { artifactsRoot: options.artifactsRoot },
  )
  let dispatcher: WebhookDispatcher | undefined
  let app: Awaited<ReturnType<typeof createServer>> | undefined
  try {
    const version = (await captureEnvironment({ cwd: process.cwd() })).keel
    // A server proxying another keel server leaves delivery to that server, which owns the outbox.
    if (location.kind !== 'http') {
      const send = fetchSender(WEBHOOK_SEND_TIMEOUT_MS)
      dispatcher = new WebhookDispatcher({ store: stores.registry, send, clock: systemClock, logger })
    }
    app = await createServer({
      tracking: stores.tracking,
      registry: stores.registry,
      artifacts: stores.artifacts,
      predictions: stores.predictions,
      monitoring: stores.monitoring,
      pipelines: stores.pipelines,
      logger,
      version,
      ...(options.limits === undefined ? {} : { limits: options.limits }),
      ...(dispatcher === undefined ? {} : { webhooks: dispatcher }),
    })
    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 5000 })
  } catch (error) {
    await app?.close().catch(() => {})
    await stores.close().catch(() => {})
    throw error
  }
  dispatcher?.start(options.webhookIntervalMs ?? WEBHOOK_POLL_INTERVAL_MS)

  const address = app.server.address()
  if (address === null || typeof address === 'string') {
    throw new KeelError('INTERNAL_ERROR', 'The server is not listening on a TCP port.')
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  logger.info({ url, store: stores.uri }, 'keel server listening')

  const running = app
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      await running.close()
      await dispatcher?.stop()
      await stores.close()
      logger.info({ url }, 'keel server stopped')
    })()
    return closing
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down')
    close().catch((error: unknown) => logger.error({ err: String(error) }, 'shutdown failed'))
  }
  if (options.handleSignals !== false) {
    process.once('SIGTERM', onSignal)
    process.once('SIGINT', onSignal)
  }
  return { url, port: address.port, close }
}
