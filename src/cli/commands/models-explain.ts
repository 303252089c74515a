import { Command } from 'commander'
import { Keel } from '../../client/keel.js'
import { formatImportance, type StoredImportance } from '../../training/explanations.js'
import { loadGlobalImportance } from '../../training/explain-rows.js'
import { examples, positiveInt, resolveOpenOptions, resolveStoreUri, withStoreOptions } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { Output } from '../output.js'

interface ExplainOptions extends StoreOptions {
  top: number
}

const BAR_WIDTH = 40

/**
 * `keel models explain`: the global importances `train()` stored with a model version, as a terminal bar chart
 * (or JSON). Nothing is recomputed: this is what the model directory carries.
 */
export function modelsExplainCommand(ctx: CommandContext): Command {
  const command = withStoreOptions(
    new Command('explain')
      .description("show a model version's global feature importances (stored by keel train) as a bar chart")
      .argument('<uri>', 'models:/<name>@<alias>, models:/<name>/<version> or runs:/<run id>/model')
      .option('--top <n>', 'features shown', positiveInt, 10),
  ).action((uri: string, options: ExplainOptions) => explain(ctx, uri, options))
  return examples(command, ['keel models explain models:/fraud@champion', 'keel models explain models:/fraud/3 --top 5', 'keel models explain models:/fraud@champion --json'])
}

async function explain(ctx: CommandContext, uri: string, options: ExplainOptions): Promise<void> {
  const keel = await Keel.open(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
  try {
    const importance = await loadGlobalImportance(keel, uri)
    const out = new Output(ctx.io, options.json === true)
    if (out.json) {
      out.printJson({ model: uri, ...importance, features: importance.features.slice(0, options.top) })
      return
    }
    out.line(`model     ${uri}`)
    out.line(`method    ${describeMethod(importance)}`)
    out.line(`rows      ${importance.rows.toLocaleString('en-US')} of ${importance.holdoutRows.toLocaleString('en-US')} holdout rows (seed ${importance.seed})`)
    out.line()
    for (const line of importanceBars(importance, options.top)) out.line(line)
    const hidden = importance.features.length - Math.min(options.top, importance.features.length)
    if (hidden > 0) out.note(`${hidden} more feature${hidden === 1 ? '' : 's'}: --top ${importance.features.length}`)
  } finally {
    await keel.close()
  }
}

function describeMethod(importance: StoredImportance): string {
  if (importance.method === 'mean_abs_shap') return `TreeSHAP: ${importance.unit}`
  return `permutation (${importance.repeats ?? '?'} shuffles per column): ${importance.unit}`
}

/** `amount    ████████████▌        0.8123` lines, bars scaled to the largest importance shown. */
export function importanceBars(importance: StoredImportance, top: number): string[] {
  const shown = importance.features.slice(0, top)
  const nameWidth = Math.max(7, ...shown.map((f) => f.feature.length))
  const max = Math.max(...shown.map((f) => f.importance), 0)
  return shown.map((f) => {
    const eighths = max > 0 ? Math.max(0, Math.round((f.importance / max) * BAR_WIDTH * 8)) : 0
    const bar = '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 === 0 ? '' : (PARTIAL[eighths % 8] ?? ''))
    const std = f.std === undefined ? '' : ` ± ${formatImportance(f.std)}`
    return `${f.feature.padEnd(nameWidth)}  ${bar.padEnd(BAR_WIDTH)}  ${formatImportance(f.importance)}${std}`
  })
}

const PARTIAL = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
