import { Command, InvalidArgumentError } from 'commander'
import { invalidParameter } from '../../core/errors.js'
import { parseParamText } from '../../pipelines/define.js'
import { PIPELINE_EVENTS, PipelineScheduler } from '../../pipelines/scheduler.js'
import type { PipelineEvent, SchedulerStart } from '../../pipelines/scheduler.js'
import { stepTable } from '../../pipelines/steps/index.js'
import type { PipelineDefinition, StepValue } from '../../pipelines/types.js'
import { examples, parseDuration, positiveInt } from '../options.js'
import type { CommandContext } from '../options.js'
import { collect, withEngine } from './pipeline.js'
import type { EngineCliOptions, EngineScope } from './pipeline.js'

/**
 * `keel pipeline schedule` (the cron scheduler in the foreground) and `keel pipeline trigger <event>` (send one
 * event by hand). Both start runs through the same engine options as `keel pipeline run`.
 */

interface ScheduleOptions extends EngineCliOptions {
  maxFires?: number
  catchUp?: number
}

export function scheduleCommand(ctx: CommandContext, engineOptions: (command: Command) => Command): Command {
  const command = engineOptions(new Command('schedule'))
    .description("run the pipelines' cron schedules (UTC) in the foreground: prints each fire; a fire time that already has a run is skipped, so restarts never run one twice")
    .option('--max-fires <n>', 'stop after this many fire times (started or skipped), then wait for the runs', positiveInt)
    .option('--catch-up <duration>', 'on start, fire the latest time missed within this long (e.g. 1h); default none', parseDuration)
  examples(command, ['keel pipeline schedule --file examples/fraud/pipelines.ts', 'keel pipeline schedule --executor bullmq --redis redis://127.0.0.1:6379 --catch-up 1h'])
  return command.action(async (options: ScheduleOptions) => {
    await withEngine(ctx, options, async (scope) => {
      const { engine, keel, pipelines, out } = scope
      const definitions = [...pipelines.values()]
      if (!definitions.some((d) => (d.schedules ?? []).length > 0)) {
        throw new InvalidArgumentError(`no pipeline in the module has schedules; add schedules: [{ cron: '0 3 * * *' }] to one (pipelines: ${definitions.map((d) => d.name).join(', ')}).`)
      }
      const fires: SchedulerStart[] = []
      let stopped!: () => void
      const done = new Promise<void>((resolve) => {
        stopped = resolve
      })
      const scheduler = new PipelineScheduler(engine, definitions, {
        store: keel.pipelines,
        ...(options.catchUp === undefined ? {} : { catchUpMs: options.catchUp }),
        onStart: (start) => {
          fires.push(start)
          if (!out.json) out.line(fireLine(start))
          if (options.maxFires !== undefined && fires.length >= options.maxFires) stopped()
        },
      })
      scheduler.start()
      if (!out.json) for (const s of scheduler.schedules()) out.note(`${s.pipeline}  ${s.cron}  next ${new Date(s.next ?? 0).toISOString()}`)
      const onSignal = (): void => stopped()
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      try {
        await done
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
        await scheduler.stop()
      }
      await waitForRuns(ctx, scope, fires)
    })
  })
}

interface TriggerOptions extends EngineCliOptions {
  pipeline?: string
  model?: string
  modelVersion?: string
  digest?: string
  uri?: string
  param: string[]
  wait: boolean
}

export function triggerCommand(ctx: CommandContext, engineOptions: (command: Command) => Command): Command {
  const command = engineOptions(new Command('trigger'))
    .description(`send an event (${PIPELINE_EVENTS.join(', ')}) to the pipelines whose triggers include it, then wait for the runs it started`)
    .argument('<event>', PIPELINE_EVENTS.join(' or '))
    .option('--pipeline <name>', 'the pipeline to start (required for monitoring.retrain; narrows dataset.registered)')
    .option('--model <name>', 'monitoring.retrain: the registered model (passed as param `model` when declared)')
    .option('--model-version <version>', 'monitoring.retrain: the model version (param `version` when declared)')
    .option('--digest <digest>', 'dataset.registered: content digest; the same digest starts a pipeline once')
    .option('--uri <uri>', 'dataset.registered: where the dataset is (param `uri` when declared)')
    .option('--param <k=v>', 'dataset.registered: a run parameter (repeatable), typed by the pipeline declaring it', collect, [])
    .option('--no-wait', 'return once the runs are stored')
  examples(command, [
    'keel pipeline trigger monitoring.retrain --pipeline retraining --model fraud --model-version 3 --file examples/fraud/pipelines.ts',
    'keel pipeline trigger dataset.registered --uri file:///data/2025-01.csv --digest sha256:ab12… --param data=/data/2025-01.csv',
  ])
  return command.action(async (eventName: string, options: TriggerOptions) => {
    if (!(PIPELINE_EVENTS as readonly string[]).includes(eventName)) {
      throw invalidParameter(`Unknown pipeline event '${eventName}'; events that start pipelines are: ${PIPELINE_EVENTS.join(', ')}.`)
    }
    await withEngine(ctx, options, async (scope) => {
      const definitions = [...scope.pipelines.values()]
      const event = buildEvent(eventName as PipelineEvent['type'], options, definitions)
      const scheduler = new PipelineScheduler(scope.engine, definitions, { store: scope.keel.pipelines })
      const started = await scheduler.onEvent(event)
      if (started.length === 0) {
        scope.out.note(`no pipeline in the module is triggered by ${eventName}; add triggers: [{ event: '${eventName}' }] to one.`)
        ctx.exitCode = 1
        return
      }
      if (!scope.out.json) for (const start of started) scope.out.line(fireLine(start))
      if (options.wait) await waitForRuns(ctx, scope, started)
      else if (scope.out.json) scope.out.printJson({ started })
    })
  })
}

function buildEvent(type: PipelineEvent['type'], options: TriggerOptions, definitions: PipelineDefinition[]): PipelineEvent {
  if (type === 'monitoring.retrain') {
    if (options.param.length > 0) throw new InvalidArgumentError('monitoring.retrain takes no --param: its params are the trigger\'s plus model and version.')
    const { pipeline, model, modelVersion } = options
    if (pipeline === undefined || model === undefined || modelVersion === undefined) throw new InvalidArgumentError('monitoring.retrain needs --pipeline, --model and --model-version.')
    return { type, pipeline, model, version: modelVersion }
  }
  const params: Record<string, StepValue> = {}
  for (const item of options.param) {
    const at = item.indexOf('=')
    if (at <= 0) throw new InvalidArgumentError(`--param '${item}' must be name=value.`)
    const name = item.slice(0, at)
    const declaring = definitions.find((d) => name in d.params && (options.pipeline === undefined || d.name === options.pipeline))
    if (declaring === undefined) throw new InvalidArgumentError(`--param ${name}: no pipeline triggered by dataset.registered declares it.`)
    params[name] = parseParamText(declaring, name, item.slice(at + 1))
  }
  const event: PipelineEvent = { type, params }
  if (options.pipeline !== undefined) event.pipeline = options.pipeline
  if (options.digest !== undefined) event.digest = options.digest
  if (options.uri !== undefined) event.uri = options.uri
  return event
}

function fireLine(start: SchedulerStart): string {
  const when = start.fireTime === undefined ? new Date().toISOString() : new Date(start.fireTime).toISOString()
  const why = start.reason === 'schedule' ? `schedule ${start.cron ?? ''}` : `event ${start.event ?? ''}`
  return `${when}  ${start.pipeline}  ${why}  ${start.runId === undefined ? `skipped: ${start.skipped ?? ''}` : `run ${start.runId} started`}`
}

/** Waits for every run started, prints each (or all as JSON), exit 1 when one did not succeed. */
async function waitForRuns(ctx: CommandContext, scope: EngineScope, starts: readonly SchedulerStart[]): Promise<void> {
  const { engine, keel, out } = scope
  const results = []
  for (const start of starts) {
    if (start.runId === undefined) continue
    const run = await engine.wait(start.runId)
    const steps = await keel.pipelines.getSteps(start.runId)
    results.push({ run, steps })
    if (run.status !== 'succeeded') ctx.exitCode = 1
    if (!out.json) {
      out.line()
      out.line(`run ${run.id} of ${run.pipeline}: ${run.status}${run.error === undefined ? '' : ` (${run.error.split('\n')[0] ?? ''})`}`)
      out.line(stepTable(steps))
    }
  }
  if (out.json) out.printJson({ fires: starts, runs: results })
}
