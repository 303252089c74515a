import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Command, InvalidArgumentError, Option } from 'commander'
import { pino } from 'pino'
import { isKeelError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { forwardingPredictionStore } from '../../serving/cluster-capture.js'
import { runServingWorker, superviseWorkers } from '../../serving/cluster.js'
import { PredictionCapture } from '../../serving/prediction-capture.js'
import { openStores } from '../../store/open-stores.js'
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, parseBatching, parseServedModelUri, parseTrafficPolicy, startServing } from '../../serving/serve.js'
import type { ServedModelInfo, ServeOptions } from '../../serving/serve.js'
import { ServingMetrics } from '../../serving/serving-metrics.js'
import { examples, positiveInt, resolveOpenOptions, resolveStoreUri } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import type { CliIo } from '../output.js'

interface ServeCliOptions extends StoreOptions {
  host: string
  port: number
  workers?: number
  challenger?: string
  policy?: ServeOptions['policy']
  batch?: ServeOptions['batching']
  maxQueue?: number
  captureSample?: number
  capture: 'on' | 'off'
  pollMs?: number
  bodyLimit?: number
  maxRows?: number
  timeoutMs?: number
  logLevel?: string
}

const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const

/** A commander argument parser from a keel parser: its KeelError message becomes the usage error. */
function usage<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text)
    } catch (error) {
      throw new InvalidArgumentError(isKeelError(error) ? error.message : String(error))
    }
  }
}

function port(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError('expected a port from 0 to 65535.')
  return n
}

function nonNegativeInt(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('expected an integer of 0 or more.')
  return n
}

function fraction(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number from 0 to 1.')
  return n
}

/** `5242880`, `512kb`, `5mb` → bytes. */
function byteSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib)?$/i.exec(value.trim())
  const unit = (match?.[2] ?? 'b').toLowerCase()
  const n = Math.round(Number(match?.[1]) * (unit === 'b' ? 1 : unit.startsWith('k') ? 1024 : 1024 * 1024))
  if (match === null || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a size such as 5242880, 512kb or 5mb.')
  return n
}

function modelUri(value: string, previous: string[] | undefined): string[] {
  usage(parseServedModelUri)(value)
  return [...(previous ?? []), value]
}

export function serveCommand(ctx: CommandContext): Command {
  const serve = new Command('serve')
    .description('serve registered models over HTTP: Open Inference Protocol v2 and MLflow /invocations, on all cores (Ctrl-C drains and stops)')
    .argument('<models...>', 'models:/<name>@<alias> or models:/<name>/<version>; the first also answers /invocations', modelUri)
    .option('--host <host>', 'interface to listen on (0.0.0.0 for every one)', DEFAULT_SERVE_HOST)
    .option('--port <port>', 'TCP port (0 picks a free one)', port, DEFAULT_SERVE_PORT)
    .option('--workers <n>', 'worker processes sharing the port (default: the number of cores); 1 serves in this process', positiveInt)
    .option('--challenger <alias>', 'alias (or version) of a challenger for each model, e.g. challenger')
    .option('--policy <policy>', 'traffic policy: single | canary:<w> | shadow[:<f>] | ab:<w> (default: single)', usage(parseTrafficPolicy))
    .option('--batch <batching>', 'adaptive batching: auto (ONNX on, trees off) | off | <max rows>:<max wait ms> (default: auto)', usage(parseBatching))
    .option('--max-queue <n>', 'requests queued per model at most with --batch <rows>:<ms>; beyond it 503 + Retry-After', positiveInt)
    .option('--capture-sample <rate>', 'fraction of predictions captured to the store, 0 to 1 (default: 1)', fraction)
    .addOption(new Option('--capture <on|off>', 'prediction capture to the store').choices(['on', 'off']).default('on'))
    .option('--poll-ms <ms>', 'how often aliases are re-read, in ms; 0 = never (default: 2000)', nonNegativeInt)
    .option('--body-limit <size>', 'largest request body; larger is 413 (default: 5mb)', byteSize)
    .option('--max-rows <n>', 'rows per request at most; more is 413 (default: 10000)', positiveInt)
    .option('--timeout-ms <ms>', 'time to answer a prediction; past it 503 + Retry-After (default: 10000)', positiveInt)
    .option('--store <uri>', 'metadata store: sqlite:<file>, postgres://..., http(s)://<keel server> (env: KEEL_STORE, default: sqlite:.keel/keel.db)')
    .option('--artifacts <dir>', 'artifact root for SQL stores (env: KEEL_ARTIFACTS, default: beside the SQLite file)')
    .addOption(new Option('--log-level <level>', 'JSON logs on stderr from this level (env: KEEL_LOG_LEVEL, default: info)').choices(LOG_LEVELS))
    .action(async (models: string[], options: ServeCliOptions) => {
      ctx.exitCode = await runServe(ctx, models, options)
    })
  return examples(serve, [
    'keel serve models:/fraud@champion',
    'keel serve models:/fraud@champion models:/churn/3 --port 8080 --workers 4',
    'keel serve models:/fraud@champion --challenger challenger --policy canary:0.1',
    'keel serve models:/fraud@champion --challenger challenger --policy shadow --capture-sample 0.2',
    'keel serve models:/mlp@champion --batch 64:2 --max-queue 2048 --timeout-ms 500',
    'keel serve models:/fraud@champion --store http://keel-server:5000 --host 0.0.0.0',
    `curl -s -X POST http://127.0.0.1:8080/invocations -H 'content-type: application/json' -d '{"dataframe_split":{"columns":["amount"],"data":[[12.5]]}}'`,
  ])
}

async function runServe(ctx: CommandContext, models: string[], options: ServeCliOptions): Promise<number> {
  const serveOptions = toServeOptions(ctx.io, models, options)
  const level = options.logLevel ?? ctx.io.env['KEEL_LOG_LEVEL'] ?? 'info'
  const workers = options.workers ?? availableParallelism()

  if (cluster.isWorker) {
    const logger: Logger = pino({ level, base: { service: 'keel-serve', pid: process.pid } }, pino.destination(2))
    const metrics = new ServingMetrics()
    // Captured predictions go to the primary, the one writer of the store (see cluster.ts).
    const capture = serveOptions.capture === false ? false : { ...serveOptions.capture, forwardTo: forwardingPredictionStore() }
    return runServingWorker({
      metrics,
      logger,
      start: (renderMetrics) => startServing({ ...serveOptions, capture, logger, metrics, renderMetrics }),
    })
  }

  const logger: Logger = pino({ level, base: { service: 'keel-serve', pid: process.pid } }, pino.destination(2))
  if (workers === 1) {
    const running = await startServing({ ...serveOptions, logger })
    printBanner(ctx.io, running.url, running.models(), 1)
    let stopped!: () => void
    const done = new Promise<void>((resolve) => (stopped = resolve))
    const close = async (): Promise<void> => {
      process.off('SIGTERM', onSignal)
      process.off('SIGINT', onSignal)
      await running.close()
      stopped()
    }
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down: draining')
      close().catch((error: unknown) => logger.error({ err: String(error) }, 'shutdown failed'))
    }
    process.on('SIGTERM', onSignal)
    process.on('SIGINT', onSignal)
    ctx.io.onServerStarted?.({ url: running.url, close })
    await done
    return 0
  }

  // The primary writes what the workers capture (they sampled already).
  const primaryMetrics = new ServingMetrics({ defaultMetrics: false })
  const stores = serveOptions.capture === false ? undefined : await openStores(serveOptions.storeUri!, serveOptions.storeOptions ?? {})
  const capture =
    stores === undefined
      ? undefined
      : new PredictionCapture(stores.predictions, {
          metrics: primaryMetrics,
          onError: (error: unknown) => logger.warn({ err: String(error) }, 'writing captured predictions failed; retrying'),
        })
  const supervisor = superviseWorkers({ workers, logger, metrics: primaryMetrics, ...(capture === undefined ? {} : { capture }) })
  let code: number
  try {
    const ready = await supervisor.ready
    printBanner(ctx.io, ready.url, ready.models, workers)
    ctx.io.onServerStarted?.({ url: ready.url, close: async () => void (await supervisor.shutdown()) })
    code = await supervisor.done
  } catch (error) {
    ctx.io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`)
    await supervisor.done
    code = 1
  }
  try {
    await capture?.close()
    await stores?.close()
  } catch (error) {
    logger.error({ err: String(error) }, 'flushing captured predictions failed')
    code = 1
  }
  return code
}

function toServeOptions(io: CliIo, models: string[], options: ServeCliOptions): ServeOptions {
  const out: ServeOptions = {
    models,
    storeUri: resolveStoreUri(options, io.env),
    storeOptions: resolveOpenOptions(options, io.env),
    host: options.host,
    port: options.port,
    version: packageVersion(),
  }
  if (options.challenger !== undefined) out.challenger = options.challenger
  if (options.policy !== undefined) out.policy = options.policy
  if (options.maxQueue !== undefined) {
    if (typeof options.batch !== 'object') {
      throw new InvalidArgumentError(`--max-queue sets the queue of explicit batching: add --batch <max rows>:<max wait ms>, e.g. --batch 64:2.`)
    }
    out.batching = { ...options.batch, maxQueue: options.maxQueue }
  } else if (options.batch !== undefined) {
    out.batching = options.batch
  }
  out.capture = options.capture === 'off' ? false : options.captureSample === undefined ? {} : { sampleRate: options.captureSample }
  if (options.pollMs !== undefined) out.pollMs = options.pollMs
  const limits: NonNullable<ServeOptions['limits']> = {}
  if (options.bodyLimit !== undefined) limits.bodyLimitBytes = options.bodyLimit
  if (options.maxRows !== undefined) limits.maxRows = options.maxRows
  if (options.timeoutMs !== undefined) limits.requestTimeoutMs = options.timeoutMs
  out.limits = limits
  return out
}

function printBanner(io: CliIo, url: string, models: readonly ServedModelInfo[], workers: number): void {
  const lines = [`keel serve listening on ${url} (${workers} worker${workers === 1 ? '' : 's'}); Ctrl-C drains and stops`]
  for (const m of models) {
    const versions = m.versions.map((v) => `v${v.version}${v.alias === undefined ? '' : ` (@${v.alias})`}`).join(', ')
    lines.push(`  ${m.name}: ${versions}   POST ${url}/v2/models/${m.name}/infer`)
  }
  const first = models[0]
  if (first !== undefined) {
    const columns = first.inputs.map((c) => c.name)
    const row = first.inputs.map((c) => (c.type === 'string' ? '"a"' : '0'))
    const body = `{"dataframe_split":{"columns":${JSON.stringify(columns)},"data":[[${row.join(',')}]]}}`
    lines.push('Try:', `  curl -s -X POST ${url}/invocations -H 'content-type: application/json' -d '${body}'`)
  }
  lines.push(`Metrics: ${url}/metrics   Ready: ${url}/v2/health/ready`)
  io.stdout.write(`${lines.join('\n')}\n`)
}

/** keel's version from package.json (three levels up from src/cli/commands/ and dist/cli/commands/). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0'
  } catch {
    return '0.0.0'
  }
}
