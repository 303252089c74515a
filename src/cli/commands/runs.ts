import { Command, Option } from 'commander'
import type { Tracking } from '../../tracking/tracking.js'
import type { Metric, Run } from '../../tracking/types.js'
import { allExperimentIds, resolveExperiment, viewType } from '../lookup.js'
import { collect, examples, positiveInt, withStoreOptions, withStores } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { formatDuration, formatNumber, formatTime } from '../output.js'
import type { Output } from '../output.js'

interface SearchOptions extends StoreOptions {
  experiment?: string[]
  view?: string
  filter?: string
  orderBy?: string[]
  maxResults?: number
  pageToken?: string
}

const MAX_HISTORY_PAGES = 100_000
const METRICS_SHOWN_IN_TABLE = 3

function searchCommand(name: string, description: string, withFilter: boolean): Command {
  const command = new Command(name)
    .description(description)
    .option('--experiment <id|name>', 'experiment to search (repeatable; default: every active experiment)', collect)
    .addOption(new Option('--view <view>', 'which runs: active, deleted or all').choices(['active', 'deleted', 'all']).default('active'))
  if (withFilter) {
    command
      .option('--filter <filter>', "MLflow filter, e.g. \"metrics.auc > 0.9 AND params.depth = '6'\"")
      .option('--order-by <clause>', "sort, e.g. 'metrics.auc DESC' (repeatable)", collect)
  }
  return withStoreOptions(
    command
      .option('--max-results <n>', 'page size', positiveInt, 100)
      .option('--page-token <token>', 'the token printed after the previous page'),
  )
}

export function runsCommand(ctx: CommandContext): Command {
  const runs = new Command('runs').description('search, inspect, delete and restore runs; read metric histories')
  examples(runs, ['keel runs list --experiment fraud', "keel runs search --filter 'metrics.auc > 0.9' --order-by 'metrics.auc DESC'", 'keel runs show <run-id>'])

  const search = async (options: SearchOptions): Promise<void> =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const experimentIds = await experimentIdsOf(tracking, options.experiment)
      const input: Parameters<typeof tracking.searchRuns>[0] = { experimentIds, viewType: viewType(options.view) }
      if (options.filter !== undefined) input.filter = options.filter
      if (options.orderBy !== undefined) input.orderBy = options.orderBy
      if (options.maxResults !== undefined) input.maxResults = options.maxResults
      if (options.pageToken !== undefined) input.pageToken = options.pageToken
      const page = experimentIds.length === 0 ? { items: [] as Run[] } : await tracking.searchRuns(input)
      if (out.json) {
        out.printJson(page.nextPageToken === undefined ? { runs: page.items } : { runs: page.items, nextPageToken: page.nextPageToken })
        return
      }
      printRunTable(out, page.items)
      if (page.nextPageToken !== undefined) out.note(`more: --page-token ${page.nextPageToken}`)
    })

  const list = searchCommand('list', 'list the runs of experiments, newest first', false).action(search)
  examples(list, ['keel runs list --experiment fraud', 'keel runs list --experiment 0 --view all --json'])

  const find = searchCommand('search', "search runs with MLflow's filter grammar", true).action(search)
  examples(find, [
    "keel runs search --experiment fraud --filter \"metrics.auc > 0.9 AND params.depth = '6'\"",
    "keel runs search --order-by 'metrics.auc DESC' --max-results 5 --json",
    "keel runs search --filter \"tags.mlflow.runName LIKE 'gbm%'\"",
  ])

  const show = withStoreOptions(new Command('show').description('show a run: info, params, latest metrics, tags, datasets').argument('<run-id>')).action(
    (runId: string, options: StoreOptions) =>
      withStores(ctx, options, async ({ tracking }, out) => {
        const run = await tracking.getRun(runId)
        if (out.json) out.printJson(run)
        else printRun(out, run)
      }),
  )
  examples(show, ['keel runs show 3f2a...e9', 'keel runs show 3f2a...e9 --json'])

  const remove = withStoreOptions(
    new Command('delete').description('soft-delete a run (restore it, or purge it with keel gc)').argument('<run-id>'),
  ).action((runId: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      await tracking.deleteRun(runId)
      if (out.json) out.printJson({ runId, lifecycleStage: 'deleted' })
      else out.line(`Deleted run ${runId}; 'keel runs restore ${runId}' undoes it.`)
    }),
  )
  examples(remove, ['keel runs delete 3f2a...e9'])

  const restore = withStoreOptions(new Command('restore').description('restore a deleted run').argument('<run-id>')).action(
    (runId: string, options: StoreOptions) =>
      withStores(ctx, options, async ({ tracking }, out) => {
        await tracking.restoreRun(runId)
        if (out.json) out.printJson({ runId, lifecycleStage: 'active' })
        else out.line(`Restored run ${runId}.`)
      }),
  )
  examples(restore, ['keel runs restore 3f2a...e9'])

  const history = withStoreOptions(
    new Command('metric-history')
      .description('every logged point of one metric of a run, in logging order')
      .argument('<run-id>')
      .argument('<key>', 'metric key, e.g. loss')
      .option('--max-results <n>', 'print at most this many points', positiveInt),
  ).action((runId: string, key: string, options: StoreOptions & { maxResults?: number }) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const points = await metricHistory(tracking, runId, key, options.maxResults)
      if (out.json) {
        out.printJson({ runId, key, metrics: points })
        return
      }
      out.table(
        ['STEP', 'VALUE', 'TIMESTAMP'],
        points.map((m) => [m.step, formatNumber(m.value), formatTime(m.timestamp)]),
        `(no points of metric '${key}')`,
      )
    }),
  )
  examples(history, ['keel runs metric-history 3f2a...e9 loss', 'keel runs metric-history 3f2a...e9 auc --json'])

  for (const command of [list, find, show, remove, restore, history]) runs.addCommand(command)
  return runs
}

async function experimentIdsOf(tracking: Tracking, refs: string[] | undefined): Promise<string[]> {
  if (refs === undefined || refs.length === 0) return allExperimentIds(tracking)
  const ids: string[] = []
  for (const ref of refs) ids.push((await resolveExperiment(tracking, ref)).experimentId)
  return ids
}

async function metricHistory(tracking: Tracking, runId: string, key: string, limit: number | undefined): Promise<Metric[]> {
  const points: Metric[] = []
  let pageToken: string | undefined
  for (let i = 0; i < MAX_HISTORY_PAGES; i++) {
    const page = await tracking.getMetricHistory(runId, key, pageToken === undefined ? {} : { pageToken })
    for (const point of page.items) {
      if (limit !== undefined && points.length >= limit) return points
      points.push(point)
    }
    pageToken = page.nextPageToken
    if (pageToken === undefined) break
  }
  return points
}

function printRunTable(out: Output, runs: readonly Run[]): void {
  out.table(
    ['RUN ID', 'NAME', 'EXPERIMENT', 'STATUS', 'STARTED', 'DURATION', 'METRICS'],
    runs.map((run) => {
      const { info } = run
      const metrics = [...run.data.metrics]
        .sort((a, b) => (a.key < b.key ? -1 : 1))
        .slice(0, METRICS_SHOWN_IN_TABLE)
        .map((m) => `${m.key}=${formatNumber(m.value)}`)
      if (run.data.metrics.length > METRICS_SHOWN_IN_TABLE) metrics.push('...')
      return [
        info.runId,
        info.runName,
        info.experimentId,
        info.lifecycleStage === 'deleted' ? `${info.status} (deleted)` : info.status,
        formatTime(info.startTime),
        info.endTime === null ? '-' : formatDuration(info.endTime - info.startTime),
        metrics.join(' '),
      ]
    }),
    '(no runs)',
  )
}

function printRun(out: Output, run: Run): void {
  const { info, data } = run
  out.fields([
    ['Run ID', info.runId],
    ['Name', info.runName],
    ['Experiment', info.experimentId],
    ['Status', info.status],
    ['Stage', info.lifecycleStage],
    ['User', info.userId],
    ['Started', formatTime(info.startTime)],
    ['Ended', formatTime(info.endTime)],
    ['Duration', info.endTime === null ? '-' : formatDuration(info.endTime - info.startTime)],
    ['Artifact URI', info.artifactUri],
  ])
  out.section('Params')
  out.table(['KEY', 'VALUE'], data.params.map((p) => [p.key, p.value]))
  out.section('Metrics (latest)')
  out.table(['KEY', 'VALUE', 'STEP', 'TIMESTAMP'], data.metrics.map((m) => [m.key, formatNumber(m.value), m.step, formatTime(m.timestamp)]))
  out.section('Tags')
  out.table(['KEY', 'VALUE'], data.tags.map((t) => [t.key, t.value]))
  if (run.inputs.datasetInputs.length > 0) {
    out.section('Datasets')
    out.table(
      ['NAME', 'DIGEST', 'SOURCE', 'CONTEXT'],
      run.inputs.datasetInputs.map((d) => [
        d.dataset.name,
        d.dataset.digest,
        d.dataset.source,
        d.tags.find((t) => t.key === 'mlflow.data.context')?.value,
      ]),
    )
  }
}
