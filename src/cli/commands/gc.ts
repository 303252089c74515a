import { Command } from 'commander'
import { examples, parseDuration, withStoreOptions, withStores } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'

interface GcOptions extends StoreOptions {
  olderThan?: number
  runIds?: string
  experimentIds?: string
}

function idList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '')
}

export function gcCommand(ctx: CommandContext): Command {
  const gc = withStoreOptions(
    new Command('gc')
      .description(
        'permanently remove deleted runs and experiments, their artifacts, and artifact content nothing names any more',
      )
      .option('--older-than <duration>', 'only what was deleted at least this long ago: 30d, 12h, 90m, 0', parseDuration, 0)
      .option('--run-ids <ids>', 'only these deleted runs (comma-separated)')
      .option('--experiment-ids <ids>', 'only these deleted experiments and their runs (comma-separated)'),
  ).action((options: GcOptions) =>
    withStores(ctx, options, async (stores, out) => {
      const request: Parameters<typeof stores.collectGarbage>[0] = { olderThanMs: options.olderThan ?? 0 }
      const runIds = idList(options.runIds)
      const experimentIds = idList(options.experimentIds)
      if (runIds !== undefined) request.runIds = runIds
      if (experimentIds !== undefined) request.experimentIds = experimentIds
      const result = await stores.collectGarbage(request)
      if (out.json) {
        out.printJson(result)
        return
      }
      out.line(
        `Purged ${result.runIds.length} run(s) and ${result.experimentIds.length} experiment(s); deleted ${result.artifactFilesDeleted} artifact file(s), freed ${result.bytesFreed} bytes.`,
      )
      for (const skipped of result.skippedArtifactUris ?? []) out.note(`kept ${skipped.uri}: ${skipped.reason}`)
    }),
  )
  return examples(gc, ['keel gc', 'keel gc --older-than 30d', 'keel gc --run-ids 3f2a...e9,77c1...0b --json'])
}
