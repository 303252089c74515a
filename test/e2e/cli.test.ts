import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CliIo } from '../../src/cli/output.js'
import { Keel } from '../../src/client/keel.js'
import { tempDir } from '../support/temp-dir.js'
import { runCli } from '../support/run-cli.js'
import type { CliResult } from '../support/run-cli.js'

let dir: { path: string; remove: () => void }
let store: string

/** Runs `keel <args>` in-process against the test's own SQLite file and captures its output. */
function keel(
  args: string[],
  env: Record<string, string | undefined> = {},
  onServerStarted?: CliIo['onServerStarted'],
): Promise<CliResult> {
  return runCli(args, { KEEL_STORE: store, KEEL_USER: 'cli-tester', ...env }, onServerStarted)
}

async function json<T>(args: string[]): Promise<T> {
  const result = await keel([...args, '--json'])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout) as T
}

/** Seeds runs and a registered model with the TS client on the same file. */
async function seed(): Promise<{ runIds: string[] }> {
  const client = await Keel.open(store, { artifactsRoot: join(dir.path, 'artifacts'), user: 'seeder' })
  try {
    await client.setExperiment('fraud')
    const runIds: string[] = []
    for (const [i, auc] of [0.7, 0.95, 0.85].entries()) {
      const run = await client.startRun({ runName: `gbm-${i}` })
      await run.logParams({ depth: 4 + i, lr: 0.1 })
      for (let step = 0; step < 5; step++) run.logMetric('loss', 1 / (step + 1), step)
      run.logMetric('auc', auc)
      await run.logArtifact({ name: 'model.json', content: `{"auc":${auc}}` }, 'model')
      await run.end()
      runIds.push(run.id)
    }
    await client.registerModel({ name: 'fraud-model', runId: runIds[1]!, artifactPath: 'model' })
    await client.registerModel({ name: 'fraud-model', runId: runIds[2]!, artifactPath: 'model' })
    return { runIds }
  } finally {
    await client.close()
  }
}

beforeEach(() => {
  dir = tempDir('keel-cli-')
  store = `sqlite:${join(dir.path, 'keel.db')}`
})

afterEach(() => {
  dir.remove()
})

describe('keel experiments', () => {
  it('creates, lists (table and JSON), shows, deletes and restores', async () => {
    const created = await keel(['experiments', 'create', 'fraud', '--tag', 'team=risk'])
    expect(created).toMatchObject({ code: 0, stderr: '' })
    expect(created.stdout).toMatch(/Created experiment 'fraud' with id 1\./)

    const listed = await json<{ experiments: Array<{ name: string; experimentId: string; tags: unknown[] }> }>([
      'experiments',
      'list',
    ])
    expect(listed.experiments.map((e) => e.name).sort()).toEqual(['Default', 'fraud'])

    const table = await keel(['experiments', 'list'])
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+NAME\s+STAGE\s+CREATED\s+ARTIFACT LOCATION$/)
    expect(lines).toHaveLength(3)
    // columns are aligned: every row's name starts where the header's NAME does
    const nameColumn = lines[0]!.indexOf('NAME')
    for (const line of lines.slice(1)) expect(line.slice(nameColumn)).toMatch(/^(Default|fraud)\s/)

    const shown = await json<{ name: string; tags: Array<{ key: string; value: string }> }>(['experiments', 'show', 'fraud'])
    expect(shown).toMatchObject({ name: 'fraud', tags: [{ key: 'team', value: 'risk' }] })
    expect((await json<{ name: string }>(['experiments', 'show', '1'])).name).toBe('fraud')

    expect((await keel(['experiments', 'delete', 'fraud'])).code).toBe(0)
    expect((await json<{ experiments: unknown[] }>(['experiments', 'list'])).experiments).toHaveLength(1)
    const deleted = await json<{ experiments: Array<{ name: string; lifecycleStage: string }> }>([
      'experiments',
      'list',
      '--view',
      'deleted',
    ])
    expect(deleted.experiments).toEqual([expect.objectContaining({ name: 'fraud', lifecycleStage: 'deleted' })])
    expect((await keel(['experiments', 'restore', '1'])).code).toBe(0)
    expect((await json<{ experiments: unknown[] }>(['experiments', 'list'])).experiments).toHaveLength(2)
  })

  it('pages with --max-results and --page-token', async () => {
    for (const name of ['a', 'b', 'c']) expect((await keel(['experiments', 'create', name])).code).toBe(0)
    const first = await json<{ experiments: unknown[]; nextPageToken?: string }>(['experiments', 'list', '--max-results', '2'])
    expect(first.experiments).toHaveLength(2)
    expect(first.nextPageToken).toEqual(expect.any(String))
    const second = await json<{ experiments: unknown[]; nextPageToken?: string }>([
      'experiments',
      'list',
      '--max-results',
      '2',
      '--page-token',
      first.nextPageToken!,
    ])
    expect(second.experiments).toHaveLength(2)
    expect(second.nextPageToken).toBeUndefined()
  })

  it('reports store errors with their code on stderr, exit 1 and no stack trace', async () => {
    await keel(['experiments', 'create', 'dup'])
    const again = await keel(['experiments', 'create', 'dup'])
    expect(again.code).toBe(1)
    expect(again.stdout).toBe('')
    expect(again.stderr).toMatch(/^error: .*dup.* \(RESOURCE_ALREADY_EXISTS\)\n$/)
    expect(again.stderr).not.toMatch(/\n\s+at /)

    const missing = await keel(['experiments', 'show', 'nope'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/RESOURCE_DOES_NOT_EXIST/)

    const badFilter = await keel(['experiments', 'list', '--filter', 'name ~ 3'])
    expect(badFilter.code).toBe(1)
    expect(badFilter.stderr).toMatch(/\(INVALID_PARAMETER_VALUE\)/)
  })
})

describe('keel runs', () => {
  it('lists, searches with filter and order, shows, reads metric history, deletes and restores', async () => {
    const { runIds } = await seed()

    const listed = await json<{ runs: Array<{ info: { runId: string } }> }>(['runs', 'list', '--experiment', 'fraud'])
    expect(listed.runs.map((r) => r.info.runId).sort()).toEqual([...runIds].sort())

    const searched = await json<{ runs: Array<{ info: { runId: string }; data: { metrics: Array<{ key: string; value: number }> } }> }>([
      'runs',
      'search',
      '--experiment',
      'fraud',
      '--filter',
      'metrics.auc > 0.8',
      '--order-by',
      'metrics.auc DESC',
    ])
    expect(searched.runs.map((r) => r.info.runId)).toEqual([runIds[1], runIds[2]])

    const table = await keel(['runs', 'search', '--filter', "params.depth = '4'"])
    expect(table.code).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(/^RUN ID\s+NAME\s+EXPERIMENT\s+STATUS/)
    expect(table.stdout).toContain(runIds[0])
    expect(table.stdout).not.toContain(runIds[1])

    const shown = await keel(['runs', 'show', runIds[0]!])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toMatch(/Status:\s+FINISHED/)
    expect(shown.stdout).toMatch(/depth\s+4/)

    const history = await json<{ metrics: Array<{ step: number; value: number }> }>(['runs', 'metric-history', runIds[0]!, 'loss'])
    expect(history.metrics.map((m) => m.step)).toEqual([0, 1, 2, 3, 4])
    expect(history.metrics[4]?.value).toBeCloseTo(0.2)
    const capped = await json<{ metrics: unknown[] }>(['runs', 'metric-history', runIds[0]!, 'loss', '--max-results', '2'])
    expect(capped.metrics).toHaveLength(2)

    expect((await keel(['runs', 'delete', runIds[0]!])).code).toBe(0)
    const afterDelete = await json<{ runs: unknown[] }>(['runs', 'list', '--experiment', 'fraud'])
    expect(afterDelete.runs).toHaveLength(2)
    const deletedOnly = await json<{ runs: Array<{ info: { runId: string } }> }>(['runs', 'list', '--view', 'deleted'])
    expect(deletedOnly.runs.map((r) => r.info.runId)).toEqual([runIds[0]])
    expect((await keel(['runs', 'restore', runIds[0]!])).code).toBe(0)
    expect((await json<{ runs: unknown[] }>(['runs', 'list'])).runs).toHaveLength(3)
  })

  it('fails with exit 1 on an unknown run', async () => {
    const result = await keel(['runs', 'show', '0123456789abcdef0123456789abcdef'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: .*\(RESOURCE_DOES_NOT_EXIST\)\n$/)
  })
})

describe('keel models', () => {
  it('lists models and versions, shows lineage, moves aliases with history, resolves URIs', async () => {
    const { runIds } = await seed()

    const models = await json<{ registeredModels: Array<{ name: string }> }>(['models', 'list'])
    expect(models.registeredModels.map((m) => m.name)).toEqual(['fraud-model'])

    const versions = await json<{ modelVersions: Array<{ version: string; runId: string }> }>(['models', 'versions', 'fraud-model'])
    expect(versions.modelVersions.map((v) => [v.version, v.runId])).toEqual([
      ['2', runIds[2]],
      ['1', runIds[1]],
    ])

    const version = await keel(['models', 'version', 'fraud-model', '1'])
    expect(version.code).toBe(0)
    expect(version.stdout).toContain('Lineage')
    expect(version.stdout).toMatch(/Node:\s+v\d+/)
    expect(version.stdout).toMatch(/Artifact digest:\s+[0-9a-f]{64}/)
    const versionJson = await json<{ lineage: { environment: { node: string } } }>(['models', 'version', 'fraud-model', '1'])
    expect(versionJson.lineage.environment.node).toBe(process.version)

    const set = await keel(['models', 'alias', 'set', 'fraud-model', 'champion', '1'])
    expect(set).toMatchObject({ code: 0, stderr: '' })
    expect(set.stdout).toContain('fraud-model@champion → version 1')
    const moved = await keel(['models', 'alias', 'set', 'fraud-model', 'champion', '2'])
    expect(moved.stdout).toContain('(was 1)')

    const resolved = await json<{ version: string; runId: string }>(['models', 'resolve', 'models:/fraud-model@champion'])
    expect(resolved).toMatchObject({ version: '2', runId: runIds[2] })
    expect((await json<{ version: string }>(['models', 'resolve', 'models:/fraud-model/1'])).version).toBe('1')

    expect((await keel(['models', 'alias', 'delete', 'fraud-model', 'champion'])).code).toBe(0)
    const history = await json<{ moves: Array<{ fromVersion: string | null; toVersion: string | null; movedBy: string }> }>([
      'models',
      'alias',
      'history',
      'fraud-model',
      'champion',
    ])
    expect(history.moves.map((m) => [m.fromVersion, m.toVersion, m.movedBy])).toEqual([
      [null, '1', 'cli-tester'],
      ['1', '2', 'cli-tester'],
      ['2', null, 'cli-tester'],
    ])

    const show = await json<{ registeredModel: { name: string }; latestVersions: unknown[] }>(['models', 'show', 'fraud-model'])
    expect(show.registeredModel.name).toBe('fraud-model')
    expect(show.latestVersions).toHaveLength(2)

    const unknownAlias = await keel(['models', 'resolve', 'models:/fraud-model@nobody'])
    expect(unknownAlias.code).toBe(1)
    expect(unknownAlias.stderr).toMatch(/\(INVALID_PARAMETER_VALUE\)/)
    const badUri = await keel(['models', 'resolve', 'fraud-model'])
    expect(badUri.code).toBe(1)
    expect(badUri.stderr).toMatch(/models:\//)
  })
})

describe('keel gc', () => {
  it('purges deleted runs and their artifacts', async () => {
    const { runIds } = await seed()
    await keel(['runs', 'delete', runIds[0]!])
    const result = await json<{ runIds: string[]; artifactFilesDeleted: number }>(['gc', '--older-than', '0'])
    expect(result.runIds).toEqual([runIds[0]])
    expect(result.artifactFilesDeleted).toBe(1)
    expect((await keel(['runs', 'show', runIds[0]!])).code).toBe(1)
    const text = await keel(['gc'])
    expect(text.stdout).toMatch(/^Purged 0 run\(s\) and 0 experiment\(s\)/)
  })

  it('keeps what was deleted more recently than --older-than', async () => {
    const { runIds } = await seed()
    await keel(['runs', 'delete', runIds[0]!])
    const result = await json<{ runIds: string[] }>(['gc', '--older-than', '30d'])
    expect(result.runIds).toEqual([])
  })
})

describe('keel server', () => {
  it('serves the store over HTTP, and other commands reach it with --store http://...', async () => {
    const servers: Array<{ url: string; close(): Promise<void> }> = []
    const started = await keel(['server', '--port', '0', '--log-level', 'silent'], {}, (server) => servers.push(server))
    expect(started.code).toBe(0)
    expect(servers).toHaveLength(1)
    const server = servers[0]!
    try {
      expect(started.stderr).toContain(`listening on ${server.url}`)
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const created = await keel(['experiments', 'create', 'remote-exp', '--store', server.url])
      expect(created).toMatchObject({ code: 0, stderr: '' })
      const remoteDuplicate = await keel(['experiments', 'create', 'remote-exp', '--store', server.url])
      expect(remoteDuplicate.code).toBe(1)
      expect(remoteDuplicate.stderr).toMatch(/\(RESOURCE_ALREADY_EXISTS\)/)
    } finally {
      await server.close()
    }
    // The server wrote into the store named by KEEL_STORE.
    const local = await json<{ experiments: Array<{ name: string }> }>(['experiments', 'list'])
    expect(local.experiments.map((e) => e.name)).toContain('remote-exp')
  })

  it('refuses a bad port as a usage error', async () => {
    expect((await keel(['server', '--port', '70000'])).code).toBe(2)
    expect((await keel(['server', '--port', 'http'])).code).toBe(2)
  })
})

describe('usage', () => {
  it('exits 2 on unknown commands, unknown options and bad option values', async () => {
    const unknownCommand = await keel(['experimints', 'list'])
    expect(unknownCommand.code).toBe(2)
    expect(unknownCommand.stderr).toMatch(/unknown command/)
    expect((await keel(['experiments', 'list', '--bogus'])).code).toBe(2)
    const badNumber = await keel(['experiments', 'list', '--max-results', 'many'])
    expect(badNumber.code).toBe(2)
    expect(badNumber.stderr).toMatch(/positive integer/)
    expect((await keel(['gc', '--older-than', 'soon'])).code).toBe(2)
    expect((await keel(['runs', 'metric-history', 'only-run-id'])).code).toBe(2)
    expect((await keel(['experiments', 'list', '--view', 'sideways'])).code).toBe(2)
  })

  it('prints help with examples for every command, exit 0', async () => {
    const commands = [
      [],
      ['server'],
      ['experiments'],
      ['experiments', 'list'],
      ['experiments', 'show'],
      ['experiments', 'create'],
      ['experiments', 'delete'],
      ['experiments', 'restore'],
      ['runs'],
      ['runs', 'list'],
      ['runs', 'search'],
      ['runs', 'show'],
      ['runs', 'delete'],
      ['runs', 'restore'],
      ['runs', 'metric-history'],
      ['models'],
      ['models', 'list'],
      ['models', 'show'],
      ['models', 'versions'],
      ['models', 'version'],
      ['models', 'alias'],
      ['models', 'alias', 'set'],
      ['models', 'alias', 'delete'],
      ['models', 'alias', 'history'],
      ['models', 'resolve'],
      ['gc'],
    ]
    for (const command of commands) {
      const result = await keel([...command, '--help'])
      expect(result.code, command.join(' ')).toBe(0)
      expect(result.stdout, command.join(' ')).toContain('Examples:')
      expect(result.stdout, command.join(' ')).toMatch(/\$ keel /)
    }
  })

  it('uses --store over KEEL_STORE, and names the accepted forms for a bad URI', async () => {
    const other = `sqlite:${join(dir.path, 'other.db')}`
    expect((await keel(['experiments', 'create', 'only-in-other', '--store', other])).code).toBe(0)
    const here = await json<{ experiments: Array<{ name: string }> }>(['experiments', 'list'])
    expect(here.experiments.map((e) => e.name)).toEqual(['Default'])
    const bad = await keel(['experiments', 'list', '--store', 'mysql://db/keel'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/postgres:\/\//)
  })
})
