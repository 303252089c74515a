import { Command } from 'commander'
import { userInfo } from 'node:os'
import type { ModelVersion, RegisteredModel } from '../../registry/types.js'
import { quoteFilterValue } from '../lookup.js'
import { collect, examples, positiveInt, withStoreOptions, withStores } from '../options.js'
import type { CommandContext, StoreOptions } from '../options.js'
import { formatTime } from '../output.js'
import { modelsImportCommand } from './models-import.js'
import { modelsExplainCommand } from './models-explain.js'
import type { CliIo, Output } from '../output.js'

interface PageOptions extends StoreOptions {
  filter?: string
  orderBy?: string[]
  maxResults?: number
  pageToken?: string
}

const VERSIONS_SHOWN = 10

export function modelsCommand(ctx: CommandContext): Command {
  const models = new Command('models').description('registered models, versions with lineage, aliases and their history')
  examples(models, ['keel models list', 'keel models version fraud 3', 'keel models alias set fraud champion 3'])

  const list = withStoreOptions(
    new Command('list')
      .description('list registered models')
      .option('--filter <filter>', "e.g. \"name LIKE 'fraud%'\" or \"tags.team = 'risk'\"")
      .option('--order-by <clause>', "e.g. 'name ASC' (repeatable)", collect)
      .option('--max-results <n>', 'page size', positiveInt, 100)
      .option('--page-token <token>', 'the token printed after the previous page'),
  ).action((options: PageOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      const page = await registry.searchRegisteredModels(searchInput(options))
      if (out.json) {
        out.printJson(page.nextPageToken === undefined ? { registeredModels: page.items } : { registeredModels: page.items, nextPageToken: page.nextPageToken })
        return
      }
      out.table(
        ['NAME', 'ALIASES', 'UPDATED', 'DESCRIPTION'],
        page.items.map((m) => [m.name, aliasList(m), formatTime(m.lastUpdatedTimestamp), m.description]),
        '(no registered models)',
      )
      if (page.nextPageToken !== undefined) out.note(`more: --page-token ${page.nextPageToken}`)
    }),
  )
  examples(list, ['keel models list', "keel models list --filter \"name LIKE 'fraud%'\" --json"])

  const show = withStoreOptions(new Command('show').description('show a registered model, its aliases and latest versions').argument('<name>')).action(
    (name: string, options: StoreOptions) =>
      withStores(ctx, options, async ({ registry }, out) => {
        const model = await registry.getRegisteredModel(name)
        const versions = await registry.searchModelVersions({
          filter: `name = ${quoteFilterValue(name)}`,
          orderBy: ['version_number DESC'],
          maxResults: VERSIONS_SHOWN,
        })
        if (out.json) {
          out.printJson({ registeredModel: model, latestVersions: versions.items })
          return
        }
        printModel(out, model)
        out.section(`Versions (latest ${VERSIONS_SHOWN})`)
        printVersionTable(out, versions.items)
      }),
  )
  examples(show, ['keel models show fraud', 'keel models show fraud --json'])

  const versions = withStoreOptions(
    new Command('versions')
      .description('list the versions of a registered model, newest first')
      .argument('<name>')
      .option('--max-results <n>', 'page size', positiveInt, 100)
      .option('--page-token <token>', 'the token printed after the previous page'),
  ).action((name: string, options: PageOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      const input: PageOptions = { ...options, filter: `name = ${quoteFilterValue(name)}`, orderBy: ['version_number DESC'] }
      // An unknown model is an error, not an empty list.
      await registry.getRegisteredModel(name)
      const page = await registry.searchModelVersions(searchInput(input))
      if (out.json) {
        out.printJson(page.nextPageToken === undefined ? { modelVersions: page.items } : { modelVersions: page.items, nextPageToken: page.nextPageToken })
        return
      }
      printVersionTable(out, page.items)
      if (page.nextPageToken !== undefined) out.note(`more: --page-token ${page.nextPageToken}`)
    }),
  )
  examples(versions, ['keel models versions fraud', 'keel models versions fraud --json'])

  const version = withStoreOptions(
    new Command('version').description('show one model version with its lineage').argument('<name>').argument('<version>'),
  ).action((name: string, v: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      const mv = await registry.getModelVersion(name, v)
      if (out.json) out.printJson(mv)
      else printVersion(out, mv)
    }),
  )
  examples(version, ['keel models version fraud 3', 'keel models version fraud 3 --json'])

  const resolve = withStoreOptions(
    new Command('resolve')
      .description('resolve a models:/ URI to the version it names today')
      .argument('<uri>', 'models:/<name>@<alias>, models:/<name>/<version> or models:/<name>/latest'),
  ).action((uri: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      const mv = await registry.resolveModelUri(uri)
      if (out.json) out.printJson(mv)
      else printVersion(out, mv)
    }),
  )
  examples(resolve, ['keel models resolve models:/fraud@champion', 'keel models resolve models:/fraud/latest --json'])

  models.addCommand(list).addCommand(show).addCommand(versions).addCommand(version).addCommand(aliasCommand(ctx)).addCommand(resolve)
  models.addCommand(modelsImportCommand(ctx))
  models.addCommand(modelsExplainCommand(ctx))
  return models
}

function aliasCommand(ctx: CommandContext): Command {
  const alias = new Command('alias').description('move, delete and audit aliases (e.g. champion) of a registered model')
  examples(alias, ['keel models alias set fraud champion 3', 'keel models alias history fraud champion'])

  const set = withStoreOptions(
    new Command('set')
      .description('point an alias at a version (recorded in the alias history)')
      .argument('<name>')
      .argument('<alias>', 'e.g. champion')
      .argument('<version>'),
  ).action((name: string, aliasName: string, v: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      const previous = (await registry.getRegisteredModel(name)).aliases.find((a) => a.alias === aliasName)?.version
      await registry.setAlias(name, aliasName, v, actor(ctx.io))
      if (out.json) out.printJson({ name, alias: aliasName, version: v, previousVersion: previous ?? null })
      else out.line(`${name}@${aliasName} → version ${v}${previous === undefined || previous === v ? '' : ` (was ${previous})`}`)
    }),
  )
  examples(set, ['keel models alias set fraud champion 3', 'keel models alias set fraud challenger 4 --store http://keel:5000'])

  const remove = withStoreOptions(
    new Command('delete').description('delete an alias (recorded in the alias history)').argument('<name>').argument('<alias>'),
  ).action((name: string, aliasName: string, options: StoreOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      await registry.deleteAlias(name, aliasName, actor(ctx.io))
      if (out.json) out.printJson({ name, alias: aliasName, deleted: true })
      else out.line(`Deleted alias ${name}@${aliasName}.`)
    }),
  )
  examples(remove, ['keel models alias delete fraud challenger'])

  const history = withStoreOptions(
    new Command('history')
      .description('every move of one alias (or all aliases) of a model, oldest first: who moved what, when')
      .argument('<name>')
      .argument('[alias]'),
  ).action((name: string, aliasName: string | undefined, options: StoreOptions) =>
    withStores(ctx, options, async ({ registry }, out) => {
      const moves = await registry.aliasHistory(name, aliasName)
      if (out.json) {
        out.printJson({ moves })
        return
      }
      out.table(
        ['MOVED AT', 'ALIAS', 'FROM', 'TO', 'BY'],
        moves.map((m) => [formatTime(m.movedAt), m.alias, m.fromVersion ?? '-', m.toVersion ?? '(deleted)', m.movedBy]),
        '(no alias moves)',
      )
    }),
  )
  examples(history, ['keel models alias history fraud', 'keel models alias history fraud champion --json'])

  return alias.addCommand(set).addCommand(remove).addCommand(history)
}

function searchInput(options: PageOptions): { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string } {
  const input: { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string } = {}
  if (options.filter !== undefined) input.filter = options.filter
  if (options.orderBy !== undefined) input.orderBy = options.orderBy
  if (options.maxResults !== undefined) input.maxResults = options.maxResults
  if (options.pageToken !== undefined) input.pageToken = options.pageToken
  return input
}

/** Who moves an alias: `KEEL_USER`, else the OS user. */
function actor(io: CliIo): string {
  const fromEnv = io.env['KEEL_USER']
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}

function aliasList(model: RegisteredModel): string {
  return model.aliases.map((a) => `${a.alias}→${a.version}`).join(' ')
}

function printModel(out: Output, model: RegisteredModel): void {
  out.fields([
    ['Name', model.name],
    ['Description', model.description === '' ? '-' : model.description],
    ['Aliases', model.aliases.length === 0 ? '-' : aliasList(model)],
    ['Created', formatTime(model.creationTimestamp)],
    ['Updated', formatTime(model.lastUpdatedTimestamp)],
  ])
  if (model.tags.length > 0) {
    out.section('Tags')
    out.table(['KEY', 'VALUE'], model.tags.map((t) => [t.key, t.value]))
  }
}

function printVersionTable(out: Output, versions: readonly ModelVersion[]): void {
  out.table(
    ['VERSION', 'ALIASES', 'STATUS', 'STAGE', 'RUN ID', 'CREATED', 'SOURCE'],
    versions.map((v) => [
      v.version,
      v.aliases.join(' '),
      v.status,
      v.currentStage,
      v.runId === '' ? '-' : v.runId,
      formatTime(v.creationTimestamp),
      v.source,
    ]),
    '(no versions)',
  )
}

function printVersion(out: Output, v: ModelVersion): void {
  const { lineage } = v
  out.fields([
    ['Name', v.name],
    ['Version', v.version],
    ['Aliases', v.aliases.length === 0 ? '-' : v.aliases.join(' ')],
    ['Status', v.status],
    ['Stage', v.currentStage],
    ['Source', v.source],
    ['Run ID', v.runId === '' ? '-' : v.runId],
    ['Model ID', v.modelId === '' ? undefined : v.modelId],
    ['User', v.userId === '' ? '-' : v.userId],
    ['Created', formatTime(v.creationTimestamp)],
    ['Description', v.description === '' ? undefined : v.description],
  ])
  out.section('Lineage')
  out.fields([
    ['Artifact digest', lineage.artifactDigest ?? '-'],
    ['Dataset digest', lineage.datasetDigest ?? '-'],
    ['Code version', lineage.codeVersion ?? '-'],
    ['Node', lineage.environment?.node ?? '-'],
    ['keel', lineage.environment?.keel ?? '-'],
    ['Lockfile hash', lineage.environment?.lockfileHash ?? '-'],
    ['Platform', lineage.environment?.platform ?? '-'],
    ['Signature inputs', lineage.signature === undefined ? '-' : columns(lineage.signature.inputs)],
    ['Signature outputs', lineage.signature === undefined ? '-' : columns(lineage.signature.outputs)],
  ])
  if (v.tags.length > 0) {
    out.section('Tags')
    out.table(['KEY', 'VALUE'], v.tags.map((t) => [t.key, t.value]))
  }
}

function columns(specs: ReadonlyArray<{ name: string; type: string }>): string {
  return specs.map((c) => `${c.name}:${c.type}`).join(', ')
}
