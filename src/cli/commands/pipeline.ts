import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Command, InvalidArgumentError, Option } from 'commander'
import { Keel } from '../../client/keel.js'
import { invalidParameter, notFound } from '../../core/errors.js'
import { BullmqExecutor } from '../../pipelines/bullmq-executor.js'
import { definePipeline, parseParamText } from '../../pipelines/define.js'
import type { PipelineInput } from '../../pipelines/define.js'
import { LocalExecutor } from '../../pipelines/local-executor.js'
import { PipelineEngine } from '../../pipelines/run-engine.js'
import { StepRegistry } from '../../pipelines/step-registry.js'
import { builtInSteps, stepTable } from '../../pipelines/steps/index.js'
import type { PipelineDefinition, PipelineRunRecord, RunStatus, StepExecutor, StepValue } from '../../pipelines/types.js'
import { examples, positiveInt, resolveOpenOptions, resolveStoreUri, withStoreOptions } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { Output } from '../output.js'
import type { CliIo } from '../output.js'
import { scheduleCommand, triggerCommand } from './pipeline-schedule.js'

/** Looked for in the working directory when `--file` is not given. */
export const DEFAULT_PIPELINE_FILES = ['keel.pipelines.ts', 'keel.pipelines.js', 'keel.pipelines.mjs'] as const

export interface EngineCliOptions extends StoreOptions {
  file?: string
  executor: 'local' | 'bullmq'
  redis?: string
  queue?: string
  concurrency?: number
}

export function pipelineCommand(ctx: CommandContext): Command {
  const pipeline = new Command('pipeline').description('run pipelines (DAGs of typed steps) and inspect their runs: status, attempts, timings, cache hits, logs')
  const engineOptions = (command: Command): Command =>
    withStoreOptions(command)
      .option('--file <module>', `module exporting the pipelines (default: ./${DEFAULT_PIPELINE_FILES.join(' or ./')})`)
      .addOption(new Option('--executor <kind>', 'where steps run: in this process, or on `keel worker`s via BullMQ').choices(['local', 'bullmq']).default('local'))
      .option('--redis <url>', 'Redis of the step queue for --executor bullmq (env: KEEL_REDIS_URL, default: redis://127.0.0.1:6379)')
      .option('--queue <name>', 'BullMQ queue name (the workers must use the same)')
      .option('--concurrency <n>', 'steps in flight at once', positiveInt)

  pipeline.addCommand(
    examples(
      engineOptions(new Command('run'))
        .description('start a run of a pipeline and wait for it; prints each step (exit 1 when the run fails)')
        .argument('<name>', 'pipeline name (as defined in the module)')
        .option('--param <k=v>', 'a parameter (repeatable); typed by the pipeline: numbers, booleans, JSON for json/dataset/model', collect, [])
        .action(async (name: string, options: EngineCliOptions & { param: string[] }) => {
          await withEngine(ctx, options, async (scope) => {
            const { engine, pipelines, out } = scope
            const definition = pick(pipelines, name)
            const params = parseParams(definition, options.param)
            const runId = await engine.start(definition, params)
            if (!out.json) out.note(`run ${runId} of ${name} started`)
            await finish(ctx, scope, runId, definition)
          })
        }),
      ['keel pipeline run training --file examples/fraud/pipelines.ts --param data=.keel/data/fraud.csv', 'keel pipeline run training --executor bullmq --redis redis://127.0.0.1:6379 --json'],
    ),
  )
  pipeline.addCommand(
    withStoreOptions(new Command('list'))
      .description('pipeline runs, newest first')
      .option('--pipeline <name>', 'only runs of this pipeline')
      .addOption(new Option('--status <status>', 'only runs in this state').choices(['pending', 'running', 'succeeded', 'failed', 'cancelled']))
      .option('--max-results <n>', 'at most this many', positiveInt, 50)
      .action(async (options: StoreOptions & { pipeline?: string; status?: RunStatus; maxResults: number }) => {
        await withKeel(ctx, options, async (keel, out) => {
          const runs = await keel.pipelines.listRuns({ maxResults: options.maxResults, ...(options.pipeline === undefined ? {} : { pipeline: options.pipeline }), ...(options.status === undefined ? {} : { status: options.status }) })
          if (out.json) return out.printJson({ runs })
          out.table(
            ['RUN', 'PIPELINE', 'STATUS', 'STARTED', 'TIME', 'ERROR'],
            runs.map((r) => [r.id, r.pipeline, r.status, new Date(r.createdAt).toISOString(), seconds(r.updatedAt - r.createdAt), (r.error ?? '').split('\n')[0]]),
            '(no pipeline runs)',
          )
        })
      }),
  )
  pipeline.addCommand(
    withStoreOptions(new Command('show'))
      .description("a run and each step's status, attempts, timing, worker and cache hit/miss reason")
      .argument('<runId>')
      .action(async (runId: string, options: StoreOptions) => {
        await withKeel(ctx, options, async (keel, out) => {
          const run = await getRun(keel, runId)
          const steps = await keel.pipelines.getSteps(runId)
          if (out.json) return out.printJson({ run, steps })
          printRun(out, run)
          out.line()
          out.line(stepTable(steps))
          const retried = steps.filter((s) => s.attempts.length > 1)
          for (const s of retried) {
            out.section(`${s.step}: ${s.attempts.length} attempts`)
            for (const a of s.attempts) out.line(`  #${a.attempt} on ${a.worker}, ${a.finishedAt === undefined ? 'unfinished' : seconds(a.finishedAt - a.startedAt)}${a.error === undefined ? '' : `: ${a.error.split('\n')[0]}`}`)
          }
        })
      }),
  )
  pipeline.addCommand(
    withStoreOptions(new Command('logs'))
      .description("a run's step log lines, in order")
      .argument('<runId>')
      .option('--step <name>', 'one step only')
      .action(async (runId: string, options: StoreOptions & { step?: string }) => {
        await withKeel(ctx, options, async (keel, out) => {
          await getRun(keel, runId)
          const lines = await keel.pipelines.logs(runId, options.step)
          if (out.json) return out.printJson({ logs: lines })
          for (const l of lines) out.line(`${new Date(l.at).toISOString()} ${l.step}: ${l.line}`)
          if (lines.length === 0) out.note('(no log lines)')
        })
      }),
  )
  pipeline.addCommand(
    engineOptions(new Command('resume'))
      .description('finish a run whose process died: completed steps are kept, steps left running are dispatched again')
      .argument('<runId>')
      .action(async (runId: string, options: EngineCliOptions) => {
        await withEngine(ctx, options, async (scope) => {
          const { engine, pipelines, keel } = scope
          const definition = pick(pipelines, (await getRun(keel, runId)).pipeline)
          await engine.resume(runId, definition)
          await finish(ctx, scope, runId, definition)
        })
      }),
  )
  pipeline.addCommand(
    engineOptions(new Command('retry'))
      .description("rerun a finished run's failed and cancelled steps, or with --step that step (its cache bypassed) and everything after it")
      .argument('<runId>')
      .option('--step <name>', 'rerun from this step')
      .action(async (runId: string, options: EngineCliOptions & { step?: string }) => {
        await withEngine(ctx, options, async (scope) => {
          const { engine, pipelines, keel } = scope
          const definition = pick(pipelines, (await getRun(keel, runId)).pipeline)
          await engine.retry(runId, definition, options.step)
          await finish(ctx, scope, runId, definition)
        })
      }),
  )
  pipeline.addCommand(
    withStoreOptions(new Command('cancel'), { json: false })
      .description('cancel a run: steps not finished are marked cancelled (a live engine elsewhere stops at its next step update)')
      .argument('<runId>')
      .action(async (runId: string, options: StoreOptions) => {
        await withKeel(ctx, options, async (keel, out) => {
          await getRun(keel, runId)
          const engine = new PipelineEngine(keel, new StepRegistry(), new LocalExecutor(keel, new StepRegistry()))
          await engine.cancel(runId)
          const run = await getRun(keel, runId)
          out.line(`run ${runId}: ${run.status}`)
        })
      }),
  )
  pipeline.addCommand(scheduleCommand(ctx, engineOptions))
  pipeline.addCommand(triggerCommand(ctx, engineOptions))
  return pipeline
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

function printRun(out: Output, run: PipelineRunRecord): void {
  out.fields([
    ['run', run.id],
    ['pipeline', `${run.pipeline} (definition ${run.definitionDigest.slice(0, 12)})`],
    ['status', run.status],
    ['params', JSON.stringify(run.params)],
    ['tracking run', run.trackingRunId],
    ['started', new Date(run.createdAt).toISOString()],
    ['time', seconds(run.updatedAt - run.createdAt)],
    ['error', run.error],
  ])
}

async function getRun(keel: Keel, runId: string): Promise<PipelineRunRecord> {
  const run = await keel.pipelines.getRun(runId)
  if (run === undefined) throw notFound(`Pipeline run '${runId}' does not exist; list runs with 'keel pipeline list'.`)
  return run
}

async function withKeel(ctx: CommandContext, options: StoreOptions, fn: (keel: Keel, out: Output) => Promise<void>): Promise<void> {
  const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
  try {
    await fn(keel, new Output(ctx.io, options.json === true))
  } finally {
    await keel.close()
  }
}

export interface EngineScope {
  keel: Keel
  engine: PipelineEngine
  pipelines: Map<string, PipelineDefinition>
  out: Output
}

export async function withEngine(ctx: CommandContext, options: EngineCliOptions, fn: (scope: EngineScope) => Promise<void>): Promise<void> {
  const registry = builtInSteps(new StepRegistry())
  const pipelines = await loadPipelines(options.file, registry, ctx.io)
  const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
  let executor: StepExecutor | undefined
  try {
    if (options.executor === 'bullmq') {
      const redis = options.redis ?? nonEmpty(ctx.io.env['KEEL_REDIS_URL']) ?? 'redis://127.0.0.1:6379'
      executor = new BullmqExecutor({ connection: redis, keel, ...(options.queue === undefined ? {} : { queue: options.queue }) })
    } else {
      executor = new LocalExecutor(keel, registry)
    }
    const engine = new PipelineEngine(keel, registry, executor, options.concurrency === undefined ? {} : { concurrency: options.concurrency })
    await fn({ keel, engine, pipelines, out: new Output(ctx.io, options.json === true) })
  } finally {
    await executor?.close()
    await keel.close()
  }
}

async function finish(ctx: CommandContext, scope: EngineScope, runId: string, definition: PipelineDefinition): Promise<void> {
  const { engine, keel, out } = scope
  const run = await engine.wait(runId)
  const steps = await keel.pipelines.getSteps(runId)
  if (out.json) out.printJson({ run, steps })
  else {
    printRun(out, run)
    out.line()
    out.line(stepTable(steps, definition.steps.map((s) => s.name)))
  }
  if (run.status !== 'succeeded') ctx.exitCode = 1
}

/**
 * Loads the user's pipeline module: every export that looks like a pipeline (`{ name, steps: [...] }`, or an
 * array of them) is defined against `registry` — after `register(registry)` when the module exports one, so
 * its own step kinds are known. `.ts` modules load through tsx when it is installed.
 */
export async function loadPipelines(file: string | undefined, registry: StepRegistry, io: CliIo): Promise<Map<string, PipelineDefinition>> {
  const path = file === undefined ? DEFAULT_PIPELINE_FILES.map((f) => resolve(f)).find((f) => existsSync(f)) : resolve(file)
  if (path === undefined) {
    throw new InvalidArgumentError(`no pipeline module: pass --file <module> or create ./${DEFAULT_PIPELINE_FILES[0]} exporting your pipelines.`)
  }
  if (!existsSync(path)) throw new InvalidArgumentError(`--file ${file ?? path}: no such file.`)
  if (/\.[cm]?ts$/.test(path)) await registerTypeScript(path, io)
  const loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>
  const register = loaded['register']
  if (typeof register === 'function') await (register as (r: StepRegistry) => unknown)(registry)
  const found = new Map<string, PipelineDefinition>()
  const add = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || !('steps' in value) || !('name' in value) || !Array.isArray((value as { steps: unknown }).steps)) return
    const definition = definePipeline(value as PipelineInput, registry)
    found.set(definition.name, definition)
  }
  for (const value of Object.values(loaded)) {
    if (Array.isArray(value)) value.forEach(add)
    else add(value)
  }
  if (found.size === 0) throw new InvalidArgumentError(`${path} exports no pipeline: export objects { name, params, steps } (or an array of them).`)
  return found
}

let tsxRegistered = false
async function registerTypeScript(path: string, io: CliIo): Promise<void> {
  if (tsxRegistered || io.env['KEEL_NO_TSX'] !== undefined) return
  try {
    const api = (await import('tsx/esm/api')) as { register: () => unknown }
    api.register()
    tsxRegistered = true
  } catch {
    // Running under tsx (or a Node that strips types) works without it; otherwise the import below says why.
    io.stderr.write(`note: ${path} is TypeScript and tsx is not installed; if loading fails, compile it to .js or run keel through tsx.\n`)
  }
}

function pick(pipelines: Map<string, PipelineDefinition>, name: string): PipelineDefinition {
  const definition = pipelines.get(name)
  if (definition === undefined) throw invalidParameter(`No pipeline '${name}' in the module; it defines: ${[...pipelines.keys()].join(', ')}.`)
  return definition
}

/** `--param k=v`, typed by the pipeline's declaration (`parseParamText`); unknown names are refused with a hint. */
export function parseParams(definition: PipelineDefinition, given: readonly string[]): Record<string, StepValue> {
  const out: Record<string, StepValue> = {}
  for (const item of given) {
    const at = item.indexOf('=')
    if (at <= 0) throw new InvalidArgumentError(`--param '${item}' must be name=value.`)
    out[item.slice(0, at)] = parseParamText(definition, item.slice(0, at), item.slice(at + 1))
  }
  return out
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}
