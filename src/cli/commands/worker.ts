import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command, InvalidArgumentError, Option } from 'commander'
import { pino } from 'pino'
import { Keel } from '../../client/keel.js'
import type { Logger } from '../../core/logger.js'
import { DEFAULT_STEP_QUEUE, redisConnectionOptions } from '../../pipelines/bullmq-executor.js'
import { startPipelineWorker } from '../../pipelines/pipeline-worker.js'
import type { WorkerEvent } from '../../pipelines/pipeline-worker.js'
import { StepRegistry } from '../../pipelines/step-registry.js'
import { builtInSteps } from '../../pipelines/steps/index.js'
import { examples, positiveInt, resolveOpenOptions, resolveStoreUri } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import type { CliIo } from '../output.js'

interface WorkerCliOptions extends StoreOptions {
  redis?: string
  concurrency: number
  queue: string
  steps?: string[]
  id?: string
  lockDuration?: number
  stalledInterval?: number
  logLevel?: string
}

const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const

export function workerCommand(ctx: CommandContext): Command {
  const worker = new Command('worker')
    .description('join the pool of pipeline workers on a Redis queue: runs the steps that pipelines started with --executor bullmq dispatch (SIGTERM drains)')
    .option('--redis <url>', 'Redis of the step queue (env: KEEL_REDIS_URL, default: redis://127.0.0.1:6379)')
    .option('--concurrency <n>', 'steps run at once by this worker', positiveInt, 1)
    .option('--queue <name>', 'queue name; engines and workers must agree', DEFAULT_STEP_QUEUE)
    .option('--steps <module>', 'a module exporting register(registry) that registers your step kinds (repeatable); built-in keel.* steps are always loaded', collect)
    .option('--id <id>', 'worker id shown in step records (default: <host>-<pid>-<random>)')
    .option('--lock-duration <ms>', "how long this worker's claim on a step lasts without renewal; a dead worker's step reruns elsewhere after about this long (default 30000)", positiveInt)
    .option('--stalled-interval <ms>', 'how often to look for steps whose worker died (default 30000)', positiveInt)
    .option('--store <uri>', 'metadata store: sqlite:<file>, postgres://..., http(s)://<keel server> (env: KEEL_STORE, default: sqlite:.keel/keel.db)')
    .option('--artifacts <dir>', 'artifact root for SQL stores (env: KEEL_ARTIFACTS, default: beside the SQLite file)')
    .addOption(new Option('--log-level <level>', 'JSON logs on stderr from this level (env: KEEL_LOG_LEVEL, default: warn)').choices(LOG_LEVELS))
    .action(async (options: WorkerCliOptions) => {
      ctx.exitCode = await runWorker(ctx.io, options)
    })
  return examples(worker, [
    'keel worker --redis redis://127.0.0.1:6379 --store postgres://keel@db:5432/keel --concurrency 2',
    'keel worker --redis redis://queue:6379 --store http://keel-server:5000 --steps ./dist/fraud-steps.js',
    'keel pipeline run training --executor bullmq --redis redis://127.0.0.1:6379   # on the machine that orchestrates',
  ])
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

async function runWorker(io: CliIo, options: WorkerCliOptions): Promise<number> {
  const redis = options.redis ?? nonEmpty(io.env['KEEL_REDIS_URL']) ?? 'redis://127.0.0.1:6379'
  try {
    redisConnectionOptions(redis)
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error))
  }
  const registry = builtInSteps(new StepRegistry())
  for (const module of options.steps ?? []) await loadSteps(module, registry)

  const level = options.logLevel ?? io.env['KEEL_LOG_LEVEL'] ?? 'warn'
  const logger: Logger = pino({ level, base: { service: 'keel-worker', pid: process.pid } }, pino.destination(2))
  const keel = await Keel.open(resolveStoreUri(options, io.env), resolveOpenOptions(options, io.env))
  const worker = startPipelineWorker({
    connection: redis,
    keel,
    registry,
    concurrency: options.concurrency,
    queue: options.queue,
    logger,
    onEvent: (event) => io.stdout.write(`${describe(event)}\n`),
    ...(options.id === undefined ? {} : { id: options.id }),
    ...(options.lockDuration === undefined ? {} : { lockDurationMs: options.lockDuration }),
    ...(options.stalledInterval === undefined ? {} : { stalledIntervalMs: options.stalledInterval }),
  })
  let stop!: () => void
  const stopped = new Promise<void>((resolve) => (stop = resolve))
  let signals = 0
  // The first signal drains; a second one stops at once, leaving the running steps to other workers.
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++
    if (signals === 1) {
      io.stdout.write(`worker ${worker.id}: ${signal}, draining ${worker.running()} running step(s) (send it again to stop now)\n`)
      stop()
    } else {
      // Like a crash: the locks of the running steps expire and other workers rerun them.
      io.stdout.write(`worker ${worker.id}: ${signal} again, exiting now; ${worker.running()} running step(s) will rerun on other workers\n`)
      process.exit(130)
    }
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  try {
    await worker.ready()
    io.stdout.write(
      `worker ${worker.id} on ${redactUrl(redis)} queue ${options.queue}, concurrency ${options.concurrency}, ${registry.names().length} step kinds: ${registry.names().join(', ')}\n`,
    )
    io.onServerStarted?.({ url: redis, close: async () => stop() })
    await stopped
    await worker.close()
    io.stdout.write(`worker ${worker.id}: stopped\n`)
    return 0
  } finally {
    process.off('SIGTERM', onSignal)
    process.off('SIGINT', onSignal)
    await worker.close()
    await keel.close()
  }
}

/** Loads a user's step module: it exports `register(registry)` (or a default function doing the same). */
async function loadSteps(module: string, registry: StepRegistry): Promise<void> {
  const url = module.startsWith('file:') ? module : pathToFileURL(resolve(module)).href
  let loaded: Record<string, unknown>
  try {
    loaded = (await import(url)) as Record<string, unknown>
  } catch (error) {
    throw new InvalidArgumentError(`--steps ${module} could not be loaded: ${error instanceof Error ? error.message : String(error)}`)
  }
  const register = loaded['register'] ?? loaded['default']
  if (typeof register !== 'function') {
    throw new InvalidArgumentError(`--steps ${module} must export a function register(registry) that registers its step kinds.`)
  }
  await (register as (r: StepRegistry) => unknown)(registry)
}

function describe(event: WorkerEvent): string {
  const where = `${event.job.pipeline} run ${event.job.runId} step ${event.job.step} (${event.job.kind}, attempt ${event.job.attempt})`
  if (event.type === 'started') return `start  ${where}${event.restart ? ' again: its previous worker stopped mid-step' : ''}`
  const outcome = event.outcome
  return outcome.ok ? `done   ${where} in ${event.ms} ms` : `failed ${where} in ${event.ms} ms: ${outcome.error}${outcome.retryable ? ' (retryable)' : ''}`
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@')
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}
