import { Command, Option } from 'commander'
import type { Experiment } from '../../tracking/types.js'
import { resolveExperiment, viewType } from '../lookup.js'
import { collect, examples, keyValue, positiveInt, withStoreOptions, withStores } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { formatTime } from '../output.js'
import type { Output } from '../output.js'

interface ListOptions extends StoreOptions {
  view?: string
  filter?: string
  orderBy?: string[]
  maxResults?: number
  pageToken?: string
}

const viewOption = (): Option =>
  new Option('--view <view>', 'which experiments: active, deleted or all').choices(['active', 'deleted', 'all']).default('active')

export function experimentsCommand(ctx: CommandContext): Command {
  const experiments = new Command('experiments').description('list, inspect, create, delete and restore experiments')
  examples(experiments, ['keel experiments list', 'keel experiments create fraud-detection', 'keel experiments show fraud-detection --json'])

  const list = withStoreOptions(
    new Command('list')
      .description('list experiments (newest first), one page at a time')
      .addOption(viewOption())
      .option('--filter <filter>', "MLflow filter, e.g. \"name LIKE 'fraud%'\" or \"tags.team = 'risk'\"")
      .option('--order-by <clause>', "sort, e.g. 'name ASC' (repeatable)", collect)
      .option('--max-results <n>', 'page size', positiveInt, 100)
      .option('--page-token <token>', 'the token printed after the previous page'),
  ).action((options: ListOptions) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const input: Parameters<typeof tracking.searchExperiments>[0] = { viewType: viewType(options.view) }
      if (options.filter !== undefined) input.filter = options.filter
      if (options.orderBy !== undefined) input.orderBy = options.orderBy
      if (options.maxResults !== undefined) input.maxResults = options.maxResults
      if (options.pageToken !== undefined) input.pageToken = options.pageToken
      const page = await tracking.searchExperiments(input)
      if (out.json) {
        out.printJson(page.nextPageToken === undefined ? { experiments: page.items } : { experiments: page.items, nextPageToken: page.nextPageToken })
        return
      }
      out.table(
        ['ID', 'NAME', 'STAGE', 'CREATED', 'ARTIFACT LOCATION'],
        page.items.map((e) => [e.experimentId, e.name, e.lifecycleStage, formatTime(e.creationTime), e.artifactLocation]),
        '(no experiments)',
      )
      if (page.nextPageToken !== undefined) out.note(`more: --page-token ${page.nextPageToken}`)
    }),
  )
  examples(list, ['keel experiments list', "keel experiments list --filter \"name LIKE 'fraud%'\" --json", 'keel experiments list --view deleted'])

  const show = withStoreOptions(
    new Command('show').description('show one experiment by id or name').argument('<experiment>', 'experiment id or name'),
  ).action((ref: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const experiment = await resolveExperiment(tracking, ref)
      if (out.json) out.printJson(experiment)
      else printExperiment(out, experiment)
    }),
  )
  examples(show, ['keel experiments show 0', 'keel experiments show fraud-detection --json'])

  const create = withStoreOptions(
    new Command('create')
      .description('create an experiment and print its id')
      .argument('<name>', 'a unique name')
      .option('--artifact-location <uri>', 'where its runs store artifacts (default mlflow-artifacts:/<id>)')
      .option('--tag <key=value>', 'a tag (repeatable)', keyValue),
  ).action((name: string, options: StoreOptions & { artifactLocation?: string; tag?: Array<{ key: string; value: string }> }) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const input: Parameters<typeof tracking.createExperiment>[0] = { name }
      if (options.artifactLocation !== undefined) input.artifactLocation = options.artifactLocation
      if (options.tag !== undefined) input.tags = options.tag
      const experimentId = await tracking.createExperiment(input)
      if (out.json) out.printJson({ experimentId })
      else out.line(`Created experiment '${name}' with id ${experimentId}.`)
    }),
  )
  examples(create, ['keel experiments create fraud-detection', 'keel experiments create churn --tag team=growth --json'])

  const remove = withStoreOptions(
    new Command('delete')
      .description('soft-delete an experiment and its runs (restore it, or purge it with keel gc)')
      .argument('<experiment>', 'experiment id or name'),
  ).action((ref: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const experiment = await resolveExperiment(tracking, ref)
      await tracking.deleteExperiment(experiment.experimentId)
      if (out.json) out.printJson({ experimentId: experiment.experimentId, lifecycleStage: 'deleted' })
      else out.line(`Deleted experiment '${experiment.name}' (id ${experiment.experimentId}); 'keel experiments restore ${experiment.experimentId}' undoes it.`)
    }),
  )
  examples(remove, ['keel experiments delete fraud-detection', 'keel experiments delete 3'])

  const restore = withStoreOptions(
    new Command('restore').description('restore a deleted experiment').argument('<experiment>', 'experiment id or name'),
  ).action((ref: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const experiment = await resolveExperiment(tracking, ref)
      await tracking.restoreExperiment(experiment.experimentId)
      if (out.json) out.printJson({ experimentId: experiment.experimentId, lifecycleStage: 'active' })
      else out.line(`Restored experiment '${experiment.name}' (id ${experiment.experimentId}).`)
    }),
  )
  examples(restore, ['keel experiments restore 3', 'keel experiments restore fraud-detection'])

  const rename = withStoreOptions(
    new Command('rename')
      .description('rename an experiment')
      .argument('<experiment>', 'experiment id or name')
      .argument('<new-name>', 'the new, unique name'),
  ).action((ref: string, newName: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ tracking }, out) => {
      const experiment = await resolveExperiment(tracking, ref)
      await tracking.renameExperiment(experiment.experimentId, newName)
      if (out.json) out.printJson({ experimentId: experiment.experimentId, name: newName })
      else out.line(`Renamed experiment ${experiment.experimentId} from '${experiment.name}' to '${newName}'.`)
    }),
  )
  examples(rename, ['keel experiments rename 3 fraud-v2'])

  for (const command of [list, show, create, remove, restore, rename]) experiments.addCommand(command)
  return experiments
}

function printExperiment(out: Output, e: Experiment): void {
  out.fields([
    ['ID', e.experimentId],
    ['Name', e.name],
    ['Stage', e.lifecycleStage],
    ['Artifact location', e.artifactLocation],
    ['Created', formatTime(e.creationTime)],
    ['Updated', formatTime(e.lastUpdateTime)],
  ])
  if (e.tags.length > 0) {
    out.section('Tags')
    out.table(['KEY', 'VALUE'], e.tags.map((t) => [t.key, t.value]))
  }
}
