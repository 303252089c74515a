import { Command } from 'commander'
import { Keel } from '../../client/keel.js'
import { readTrainingSpec, train } from '../../training/index.js'
import type { TrainingProgress, TrainResult } from '../../training/index.js'
import { examples, resolveOpenOptions, resolveStoreUri, withStoreOptions } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { Output } from '../output.js'
import type { CliIo } from '../output.js'

interface TrainCommandOptions extends StoreOptions {
  config: string
}

/** Headline metrics shown in the text summary, when present. */
const HEADLINE = ['roc_auc', 'pr_auc', 'accuracy', 'f1', 'log_loss', 'r2', 'rmse', 'mae']

export function trainCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('train')
      .description('train a model from a training spec (YAML or JSON), log it as a run, and register it when the spec says so')
      .requiredOption('-c, --config <file>', 'the training spec: .yaml, .yml or .json (see docs/training.md)'),
  ).action(async (options: TrainCommandOptions) => {
    const spec = await readTrainingSpec(options.config)
    const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
    const out = new Output(ctx.io, options.json === true)
    const reporter = progressReporter(ctx.io.stderr)
    let result: TrainResult
    try {
      result = await train(spec, { keel, progress: reporter.report })
    } finally {
      reporter.done()
      await keel.close()
    }
    const summary = {
      runId: result.runId,
      task: result.task,
      metrics: result.metrics,
      ...(result.cv === undefined ? {} : { cv: result.cv }),
      ...(result.search === undefined ? {} : { search: result.search }),
      ...(result.version === undefined ? {} : { model: result.version.name, version: result.version.version }),
      ...(spec.register?.alias === undefined ? {} : { alias: spec.register.alias, aliasMoved: result.aliasMoved === true }),
      ...(result.gate === undefined ? {} : { gate: result.gate }),
    }
    if (out.json) {
      out.printJson(summary)
      return
    }
    out.line(`run       ${result.runId} (experiment '${spec.experiment}')`)
    const shown = HEADLINE.filter((m) => result.metrics[m] !== undefined).map((m) => `${m} ${fmt(result.metrics[m]!)}`)
    out.line(`holdout   ${shown.join(', ')}`)
    if (result.cv !== undefined) {
      const cvShown = HEADLINE.filter((m) => result.cv!.mean[m] !== undefined).map((m) => `${m} ${fmt(result.cv!.mean[m]!)} ± ${fmt(result.cv!.std[m]!)}`)
      out.line(`cv        ${cvShown.join(', ')}`)
    }
    if (result.search !== undefined) {
      out.line(`search    best ${result.search.metric} ${fmt(result.search.bestScore)} of ${result.search.trials} trials: ${JSON.stringify(result.search.bestParams)}`)
    }
    if (result.gate !== undefined) {
      out.line(`gate      ${result.gate.passed ? 'passed' : 'FAILED'}${result.gate.baselineVersion === undefined ? '' : ` (baseline version ${result.gate.baselineVersion})`}`)
      for (const reason of result.gate.results.flatMap((r) => r.reasons)) out.line(`          - ${reason}`)
    }
    if (result.version !== undefined) {
      const alias = spec.register?.alias
      const aliasText = alias === undefined ? '' : result.aliasMoved === true ? `, @${alias} → ${result.version.version}` : `, @${alias} not moved (gate failed)`
      out.line(`model     ${result.version.name} version ${result.version.version}${aliasText}`)
    }
    out.note(`see: keel runs show ${result.runId}`)
    if (result.gate?.passed === false) ctx.exitCode = 1
  })
  return examples(command, [
    'keel train --config train.yaml',
    'keel train -c train.json --store postgres://keel@db:5432/keel --json',
    'keel train --config examples/fraud/candidate.yaml --store http://127.0.0.1:5000',
  ])
}

function fmt(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value)
}

/** A redrawn status line on a terminal; one line per stage otherwise (logs stay short). */
function progressReporter(stream: CliIo['stderr'] & { isTTY?: boolean; columns?: number }): { report: (e: TrainingProgress) => void; done: () => void } {
  const tty = stream.isTTY === true
  let lastStage = ''
  let lastDraw = 0
  let drawn = false
  return {
    report: (e) => {
      if (!tty) {
        if (e.stage !== lastStage) stream.write(`[${e.stage}] ${e.message}\n`)
        lastStage = e.stage
        return
      }
      const now = Date.now()
      if (e.stage === lastStage && now - lastDraw < 100) return
      lastStage = e.stage
      lastDraw = now
      const width = Math.max(20, (stream.columns ?? 80) - 1)
      let bar = ''
      if (e.done !== undefined && e.total !== undefined && e.total > 0) {
        const filled = Math.round(Math.min(1, e.done / e.total) * 20)
        bar = ` [${'#'.repeat(filled)}${'.'.repeat(20 - filled)}] ${Math.round((100 * e.done) / e.total)}%`
      }
      stream.write(`\r\x1b[K${`${e.stage.padEnd(9)}${e.message}${bar}`.slice(0, width)}`)
      drawn = true
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K')
    },
  }
}
