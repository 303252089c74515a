import { Command, InvalidArgumentError, Option } from 'commander'
import { pino } from 'pino'
import { startServer } from '../../server/main.js'
import { examples, resolveOpenOptions, resolveStoreUri } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'

interface ServerOptions extends StoreOptions {
  host: string
  port: number
  logLevel?: string
}

const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const

function port(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535.')
  return n
}

export function serverCommand(ctx: CommandContext): Command {
  const server = new Command('server')
    .description('run the keel server: MLflow REST API 2.0, keel API, artifact proxy (Ctrl-C stops it)')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for every one)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', port, 5000)
    .option('--store <uri>', 'metadata store: sqlite:<file> or postgres://... (env: KEEL_STORE, default: sqlite:.keel/keel.db)')
    .option('--artifacts <dir>', 'artifact root (env: KEEL_ARTIFACTS, default: beside the SQLite file)')
    .addOption(new Option('--log-level <level>', 'JSON logs on stdout from this level (env: KEEL_LOG_LEVEL, default: info)').choices(LOG_LEVELS))
    .action(async (options: ServerOptions) => {
      const storeUri = resolveStoreUri(options, ctx.io.env)
      const open = resolveOpenOptions(options, ctx.io.env)
      const level = options.logLevel ?? ctx.io.env['KEEL_LOG_LEVEL'] ?? 'info'
      const logger = pino({ level, base: { service: 'keel-server' } })
      const start: Parameters<typeof startServer>[0] = { host: options.host, port: options.port, storeUri, logger }
      if (open.artifactsRoot !== undefined) start.artifactsRoot = open.artifactsRoot
      const handle = await startServer(start)
      ctx.io.stderr.write(`keel server listening on ${handle.url} (store: ${storeUri}); Ctrl-C stops it\n`)
      ctx.io.onServerStarted?.(handle)
    })
  return examples(server, [
    'keel server',
    'keel server --host 0.0.0.0 --port 5000 --store postgres://keel@db:5432/keel --artifacts /srv/keel/artifacts',
    'MLFLOW_TRACKING_URI=http://127.0.0.1:5000 python train.py   # MLflow clients log to it',
  ])
}
