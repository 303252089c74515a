import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../core/clock.js'
import { migrate } from '../store/sql/migrate.js'
import { SqlRegistryStore } from '../store/sql/registry/sql-registry-store.js'
import { MIGRATIONS } from '../store/sqlite/migrations/index.js'
import { SqliteDriver } from '../store/sqlite/sqlite-driver.js'
import { Registry } from './registry.js'

async function rejects(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as { code?: string; message?: string },
  )
  expect(error, 'expected a rejection').toBeDefined()
  expect(error!.code).toBe(code)
  if (message !== undefined) expect(error!.message).toMatch(message)
}

describe('Registry', () => {
  let driver: SqliteDriver
  let registry: Registry

  beforeEach(async () => {
    driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, MIGRATIONS)
    const clock = manualClock()
    registry = new Registry(new SqlRegistryStore(driver, { clock }), { clock })
    await registry.createRegisteredModel({ name: 'fraud' })
    await registry.createModelVersion({ name: 'fraud', source: 's1' })
  })
  afterEach(async () => {
    await driver.close()
  })

  it('rejects model names that are empty, too long or would break models:/ URIs', async () => {
    await rejects(registry.createRegisteredModel({ name: '' }), 'INVALID_PARAMETER_VALUE', /name/)
    await rejects(registry.createRegisteredModel({ name: '   ' }), 'INVALID_PARAMETER_VALUE')
    await rejects(registry.createRegisteredModel({ name: 'x'.repeat(257) }), 'INVALID_PARAMETER_VALUE', /256/)
    await rejects(registry.createRegisteredModel({ name: 'team/fraud' }), 'INVALID_PARAMETER_VALUE', /'\/'/)
    await rejects(registry.createRegisteredModel({ name: 'fraud@v1' }), 'INVALID_PARAMETER_VALUE', /'@'/)
    await rejects(registry.renameRegisteredModel('fraud', 'a/b'), 'INVALID_PARAMETER_VALUE', /new_name/)
    expect((await registry.createRegisteredModel({ name: 'x'.repeat(256) })).name).toHaveLength(256)
    expect((await registry.searchRegisteredModels()).items.map((m) => m.name.length)).toEqual([5, 256])
  })

  it('applies MLflow alias rules', async () => {
    for (const bad of ['', 'latest', 'LATEST', 'v1', 'V12', 'has space', 'dot.ted', 'a/b', 'x'.repeat(257)]) {
      await rejects(registry.setAlias('fraud', bad, '1', 'ana'), 'INVALID_PARAMETER_VALUE')
    }
    for (const good of ['champion', 'v1beta', 'blue-green_2', 'x'.repeat(256), 'version1']) {
      await registry.setAlias('fraud', good, '1', 'ana')
    }
    expect((await registry.getModelVersion('fraud', '1')).aliases).toHaveLength(5)
    await rejects(registry.getVersionByAlias('fraud', 'latest'), 'INVALID_PARAMETER_VALUE', /reserved/)
  })

  it('accepts only positive integer versions', async () => {
    for (const bad of ['0', '-1', 'abc', '1.5', '', '2147483648']) {
      await rejects(registry.getModelVersion('fraud', bad), 'INVALID_PARAMETER_VALUE', /version/)
    }
    expect((await registry.getModelVersion('fraud', ' 1 ')).version).toBe('1')
    expect((await registry.getModelVersion('fraud', '01')).version).toBe('1')
  })

  it('limits tags, descriptions, sources, stages and page sizes', async () => {
    await rejects(registry.setRegisteredModelTag('fraud', { key: 'k'.repeat(251), value: 'v' }), 'INVALID_PARAMETER_VALUE', /250/)
    await rejects(registry.setRegisteredModelTag('fraud', { key: '', value: 'v' }), 'INVALID_PARAMETER_VALUE')
    await rejects(registry.setModelVersionTag('fraud', '1', { key: 'k', value: 'v'.repeat(5001) }), 'INVALID_PARAMETER_VALUE', /5000/)
    await rejects(registry.updateRegisteredModel('fraud', 'd'.repeat(5001)), 'INVALID_PARAMETER_VALUE', /description/)
    await rejects(registry.createModelVersion({ name: 'fraud', source: '' }), 'INVALID_PARAMETER_VALUE', /source/)
    await rejects(
      registry.createModelVersion({ name: 'fraud', source: 's', lineage: { signature: { inputs: 'x' } } as never }),
      'INVALID_PARAMETER_VALUE',
      /signature/,
    )
    await rejects(registry.transitionStage('fraud', '1', 'Prod' as never, false), 'INVALID_PARAMETER_VALUE', /Production/)
    await rejects(registry.transitionStage('fraud', '1', 'None', true), 'INVALID_PARAMETER_VALUE', /Staging or Production/)
    expect((await registry.transitionStage('fraud', '1', 'production' as never, false)).currentStage).toBe('Production')
    expect((await registry.getLatestVersions('fraud', ['PRODUCTION' as never])).map((v) => v.version)).toEqual(['1'])
    await rejects(registry.searchRegisteredModels({ maxResults: 0 }), 'INVALID_PARAMETER_VALUE', /max_results/)
    await rejects(registry.searchRegisteredModels({ maxResults: 1001 }), 'INVALID_PARAMETER_VALUE', /1000/)
    await rejects(registry.searchModelVersions({ maxResults: 2.5 }), 'INVALID_PARAMETER_VALUE')
    // nothing above reached the store
    const version = await registry.getModelVersion('fraud', '1')
    expect(version.tags).toEqual([])
    expect((await registry.getRegisteredModel('fraud')).description).toBe('')
    expect((await registry.searchModelVersions()).items).toHaveLength(1)
  })

  it('rejects NUL characters, which PostgreSQL cannot store, before they reach the store', async () => {
    await rejects(registry.createRegisteredModel({ name: 'a\u0000b' }), 'INVALID_PARAMETER_VALUE', /NUL/)
    await rejects(registry.setRegisteredModelTag('fraud', { key: 'k', value: 'v\u0000' }), 'INVALID_PARAMETER_VALUE', /tag\.value/)
    await rejects(
      registry.createModelVersion({ name: 'fraud', source: 's', lineage: { inputExample: { rows: [['ok', 'bad\u0000']] } } }),
      'INVALID_PARAMETER_VALUE',
      /lineage\.inputExample\.rows/,
    )
    await rejects(registry.searchModelVersions({ filter: "run_id = '\u0000'" }), 'INVALID_PARAMETER_VALUE', /NUL/)
    await rejects(registry.setAlias('fraud', 'champion', '1', 'a\u0000'), 'INVALID_PARAMETER_VALUE', /moved_by/)
    expect((await registry.searchModelVersions()).items).toHaveLength(1)
  })

  it('validates webhooks', async () => {
    const base = { name: 'ci', url: 'https://ci.example/hook', events: ['model_version.created' as const] }
    await rejects(registry.createWebhook({ ...base, url: 'ftp://x/' }), 'INVALID_PARAMETER_VALUE', /http/)
    await rejects(registry.createWebhook({ ...base, url: 'not a url' }), 'INVALID_PARAMETER_VALUE', /url/)
    await rejects(registry.createWebhook({ ...base, events: [] }), 'INVALID_PARAMETER_VALUE', /events/)
    await rejects(registry.createWebhook({ ...base, events: ['run.created' as never] }), 'INVALID_PARAMETER_VALUE', /run\.created/)
    await rejects(registry.createWebhook({ ...base, status: 'ON' as never }), 'INVALID_PARAMETER_VALUE', /ACTIVE/)
    await rejects(registry.createWebhook({ ...base, name: '' }), 'INVALID_PARAMETER_VALUE', /name/)
    const hook = await registry.createWebhook({ ...base, events: ['model_version.created', 'model_version.created'] })
    expect(hook.events).toEqual(['model_version.created'])
    await rejects(registry.updateWebhook(hook.webhookId, { url: 'javascript:alert(1)' }), 'INVALID_PARAMETER_VALUE')
    await rejects(registry.listDeliveries(hook.webhookId, 0), 'INVALID_PARAMETER_VALUE', /max_results/)
    expect(await registry.listWebhooks()).toHaveLength(1)
  })

  it('resolves models:/ URIs by alias, version, latest and stage', async () => {
    await registry.createModelVersion({ name: 'fraud', source: 's2' })
    await registry.createModelVersion({ name: 'fraud', source: 's3' })
    await registry.setAlias('fraud', 'champion', '2', 'ana')
    await registry.transitionStage('fraud', '1', 'Staging', false)
    expect((await registry.resolveModelUri('models:/fraud@champion')).source).toBe('s2')
    expect((await registry.resolveModelUri('models:/fraud/1')).source).toBe('s1')
    expect((await registry.resolveModelUri('models:/fraud/latest')).version).toBe('3')
    expect((await registry.resolveModelUri('models:/fraud/Staging')).version).toBe('1')
    await registry.deleteModelVersion('fraud', '3')
    expect((await registry.resolveModelUri('models:/fraud/latest')).version).toBe('2')
    await rejects(registry.resolveModelUri('models:/fraud/Production'), 'RESOURCE_DOES_NOT_EXIST', /Production/)
    await rejects(registry.resolveModelUri('models:/fraud@ghost'), 'INVALID_PARAMETER_VALUE', /alias ghost not found/)
    await rejects(registry.resolveModelUri('models:/fraud/9'), 'RESOURCE_DOES_NOT_EXIST')
    await rejects(registry.resolveModelUri('models:/absent/latest'), 'RESOURCE_DOES_NOT_EXIST')
    await rejects(registry.resolveModelUri('runs:/abc/model'), 'INVALID_PARAMETER_VALUE', /models:\/<name>@<alias>/)
    await rejects(registry.resolveModelUri('models:/fraud@latest'), 'INVALID_PARAMETER_VALUE', /reserved/)
    await registry.createRegisteredModel({ name: 'empty' })
    await rejects(registry.resolveModelUri('models:/empty/latest'), 'RESOURCE_DOES_NOT_EXIST', /no versions/)
  })

  it('hands the webhook secret through to the dispatcher', async () => {
    const hook = await registry.createWebhook({ name: 'ci', url: 'http://x/', events: ['model_version.created'], secret: 'k' })
    expect(await registry.webhookSecret(hook.webhookId)).toBe('k')
  })
})
