import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../../src/core/clock.js'
import { describeAliasContract } from './registry-aliases.contract.js'
import { allPages, expectCode } from './registry-contract-support.js'
import type { ContractContext, MakeRegistryStore, ManualClock, RegistryStoreHandle } from './registry-contract-support.js'
import { describeEventContract } from './registry-events.contract.js'

export type { MakeRegistryStore, RegistryStoreHandle } from './registry-contract-support.js'


/**
 * The behaviour every `RegistryStore` adapter must have. Run it once per adapter:
 * `describeRegistryStore('sqlite', (clock) => ...)`; pass `skipReason` to skip with a reason.
 */
export function describeRegistryStore(label: string, makeStore: MakeRegistryStore, options: { skipReason?: string } = {}): void {
  describe.skipIf(options.skipReason !== undefined)(`RegistryStore contract: ${label}${options.skipReason ? ` (skipped: ${options.skipReason})` : ''}`, () => {
    let handle: RegistryStoreHandle | undefined
    let clock: ManualClock
    const ctx: ContractContext = { store: () => handle!.store, clock: () => clock }

    beforeEach(async () => {
      clock = manualClock(1_700_000_000_000)
      handle = await makeStore(clock)
    })
    afterEach(async () => {
      await handle?.close()
      handle = undefined
    })

    describeModelContract(ctx)
    describeVersionContract(ctx)
    describeAliasContract(ctx)
    describeEventContract(ctx)
  })
}

function describeModelContract(ctx: ContractContext): void {
  describe('registered models', () => {
    it('creates and reads a model with tags, no aliases and the clock time', async () => {
      const created = await ctx.store().createRegisteredModel({
        name: 'fraud',
        description: 'scores card payments',
        tags: [
          { key: 'team', value: 'risk' },
          { key: 'area', value: 'payments' },
        ],
      })
      const t = ctx.clock().now()
      const expected = {
        name: 'fraud',
        creationTimestamp: t,
        lastUpdatedTimestamp: t,
        description: 'scores card payments',
        tags: [
          { key: 'area', value: 'payments' },
          { key: 'team', value: 'risk' },
        ],
        aliases: [],
      }
      expect(created).toEqual(expected)
      expect(await ctx.store().getRegisteredModel('fraud')).toEqual(expected)
      const bare = await ctx.store().createRegisteredModel({ name: 'bare' })
      expect(bare.description).toBe('')
      expect(bare.tags).toEqual([])
    })

    it('rejects a duplicate name and reports unknown names', async () => {
      await ctx.store().createRegisteredModel({ name: 'fraud' })
      await expectCode(ctx.store().createRegisteredModel({ name: 'fraud' }), 'RESOURCE_ALREADY_EXISTS', /fraud/)
      await expectCode(ctx.store().getRegisteredModel('nope'), 'RESOURCE_DOES_NOT_EXIST', /nope/)
      await expectCode(ctx.store().updateRegisteredModel('nope', 'x'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(ctx.store().deleteRegisteredModel('nope'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(ctx.store().renameRegisteredModel('nope', 'other'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(ctx.store().setRegisteredModelTag('nope', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(ctx.store().deleteRegisteredModelTag('nope', 'k'), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('lets exactly one of several concurrent creates of a name win', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => ctx.store().createRegisteredModel({ name: 'fraud', description: `try ${i}` })),
      )
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('RESOURCE_ALREADY_EXISTS')
      }
    })

    it('updates the description and the last-update time only', async () => {
      await ctx.store().createRegisteredModel({ name: 'fraud', description: 'old' })
      const created = ctx.clock().now()
      ctx.clock().advance(5000)
      const updated = await ctx.store().updateRegisteredModel('fraud', 'new')
      expect(updated.description).toBe('new')
      expect(updated.creationTimestamp).toBe(created)
      expect(updated.lastUpdatedTimestamp).toBe(created + 5000)
      expect((await ctx.store().getRegisteredModel('fraud')).description).toBe('new')
    })

    it('sets, overwrites and deletes model tags; deleting an absent tag is a no-op', async () => {
      await ctx.store().createRegisteredModel({ name: 'fraud' })
      await ctx.store().setRegisteredModelTag('fraud', { key: 'team', value: 'risk' })
      await ctx.store().setRegisteredModelTag('fraud', { key: 'team', value: 'ml' })
      await ctx.store().setRegisteredModelTag('fraud', { key: 'tier', value: '1' })
      expect((await ctx.store().getRegisteredModel('fraud')).tags).toEqual([
        { key: 'team', value: 'ml' },
        { key: 'tier', value: '1' },
      ])
      await ctx.store().deleteRegisteredModelTag('fraud', 'team')
      await ctx.store().deleteRegisteredModelTag('fraud', 'absent')
      expect((await ctx.store().getRegisteredModel('fraud')).tags).toEqual([{ key: 'tier', value: '1' }])
    })

    it('renames a model with its versions and aliases, and refuses a taken name', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createModelVersion({ name: 'fraud', source: 'runs:/r1/model' })
      await s.createModelVersion({ name: 'fraud', source: 'runs:/r2/model' })
      await s.setAlias('fraud', 'champion', '2', 'ana')
      await s.createRegisteredModel({ name: 'taken' })
      await expectCode(s.renameRegisteredModel('fraud', 'taken'), 'RESOURCE_ALREADY_EXISTS', /taken/)
      ctx.clock().advance(1000)
      const renamed = await s.renameRegisteredModel('fraud', 'fraud-v2')
      expect(renamed.name).toBe('fraud-v2')
      expect(renamed.aliases).toEqual([{ alias: 'champion', version: '2' }])
      expect(renamed.lastUpdatedTimestamp).toBe(ctx.clock().now())
      await expectCode(s.getRegisteredModel('fraud'), 'RESOURCE_DOES_NOT_EXIST')
      const v2 = await s.getModelVersion('fraud-v2', '2')
      expect(v2).toMatchObject({ name: 'fraud-v2', version: '2', source: 'runs:/r2/model', aliases: ['champion'] })
      expect((await s.getVersionByAlias('fraud-v2', 'champion')).version).toBe('2')
      // the counter moves with the model
      expect((await s.createModelVersion({ name: 'fraud-v2', source: 's' })).version).toBe('3')
      // renaming to itself changes nothing
      expect((await s.renameRegisteredModel('fraud-v2', 'fraud-v2')).name).toBe('fraud-v2')
    })

    it('deletes a model with its versions and aliases; the name can be reused from version 1', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createModelVersion({ name: 'fraud', source: 's1' })
      await s.createModelVersion({ name: 'fraud', source: 's2' })
      await s.setAlias('fraud', 'champion', '1', 'ana')
      await s.deleteRegisteredModel('fraud')
      await expectCode(s.getRegisteredModel('fraud'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.getModelVersion('fraud', '1'), 'RESOURCE_DOES_NOT_EXIST')
      expect((await s.searchModelVersions({ filter: "name = 'fraud'" })).items).toEqual([])
      await s.createRegisteredModel({ name: 'fraud' })
      expect((await s.createModelVersion({ name: 'fraud', source: 's3' })).version).toBe('1')
      expect((await s.getRegisteredModel('fraud')).aliases).toEqual([])
      expect(await s.aliasHistory('fraud')).toEqual([])
      await expectCode(s.getVersionByAlias('fraud', 'champion'), 'INVALID_PARAMETER_VALUE')
    })

    it('searches by name and tags with = != LIKE ILIKE', async () => {
      const s = ctx.store()
      for (const [name, team] of [['fraud-card', 'risk'], ['fraud-wire', 'risk'], ['Churn', 'growth'], ['churn-eu', 'growth']] as const) {
        await s.createRegisteredModel({ name, tags: [{ key: 'team', value: team }] })
      }
      const names = async (filter: string): Promise<string[]> =>
        (await s.searchRegisteredModels({ filter })).items.map((m) => m.name)
      expect(await names("name = 'fraud-card'")).toEqual(['fraud-card'])
      expect(await names("name != 'fraud-card'")).toEqual(['Churn', 'churn-eu', 'fraud-wire'])
      expect(await names("name LIKE 'fraud%'")).toEqual(['fraud-card', 'fraud-wire'])
      expect(await names("name LIKE 'churn%'")).toEqual(['churn-eu'])
      expect(await names("name ILIKE 'churn%'")).toEqual(['Churn', 'churn-eu'])
      expect(await names("name LIKE 'fraud-_ire'")).toEqual(['fraud-wire'])
      expect(await names("tags.team = 'growth'")).toEqual(['Churn', 'churn-eu'])
      expect(await names("tags.team LIKE 'RI%'")).toEqual([])
      expect(await names("tags.team ILIKE 'RI%' AND name LIKE '%wire'")).toEqual(['fraud-wire'])
      expect(await names("tags.team != 'risk'")).toEqual(['Churn', 'churn-eu'])
      expect(await names("tags.absent = 'x'")).toEqual([])
      expect(await names('')).toEqual(['Churn', 'churn-eu', 'fraud-card', 'fraud-wire'])
      await expectCode(s.searchRegisteredModels({ filter: "owner = 'x'" }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchRegisteredModels({ filter: 'name > 3' }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchRegisteredModels({ filter: "name = 'a' OR name = 'b'" }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchRegisteredModels({ filter: "metrics.auc > 0.5" }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchRegisteredModels({ filter: "name LIKE 'fraud\\'" }), 'INVALID_PARAMETER_VALUE', /backslash/)
      expect(await names("name LIKE 'fraud\\-card'")).toEqual(['fraud-card'])
    })

    it('orders models by name, creation and last update, and pages through all of them', async () => {
      const s = ctx.store()
      for (const name of ['b', 'a', 'd', 'c', 'e']) {
        ctx.clock().advance(10)
        await s.createRegisteredModel({ name })
      }
      ctx.clock().advance(10)
      await s.updateRegisteredModel('a', 'touched')
      const order = async (orderBy: string[]): Promise<string[]> =>
        (await s.searchRegisteredModels({ orderBy })).items.map((m) => m.name)
      expect(await order([])).toEqual(['a', 'b', 'c', 'd', 'e'])
      expect(await order(['name DESC'])).toEqual(['e', 'd', 'c', 'b', 'a'])
      expect(await order(['creation_timestamp ASC'])).toEqual(['b', 'a', 'd', 'c', 'e'])
      expect(await order(['last_updated_timestamp DESC'])).toEqual(['a', 'e', 'c', 'd', 'b'])
      await expectCode(s.searchRegisteredModels({ orderBy: ['size'] }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchRegisteredModels({ orderBy: ['name', 'name DESC'] }), 'INVALID_PARAMETER_VALUE')
      const paged = await allPages((pageToken) =>
        s.searchRegisteredModels(pageToken === undefined ? { maxResults: 2 } : { maxResults: 2, pageToken }),
      )
      expect(paged.pages).toBe(3)
      expect(paged.items.map((m) => m.name)).toEqual(['a', 'b', 'c', 'd', 'e'])
      await expectCode(s.searchRegisteredModels({ pageToken: 'not-a-token' }), 'INVALID_PARAMETER_VALUE')
      const hugeOffset = Buffer.from(JSON.stringify({ offset: 1e20 })).toString('base64url')
      await expectCode(s.searchRegisteredModels({ pageToken: hugeOffset }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchModelVersions({ pageToken: hugeOffset }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchRegisteredModels({ maxResults: 1001 }), 'INVALID_PARAMETER_VALUE')
    })

    it('returns 100 models per page by default', async () => {
      const s = ctx.store()
      for (let i = 0; i < 101; i++) await s.createRegisteredModel({ name: `m${String(i).padStart(3, '0')}` })
      const first = await s.searchRegisteredModels({})
      expect(first.items).toHaveLength(100)
      expect(first.nextPageToken).toBeDefined()
      const second = await s.searchRegisteredModels({ pageToken: first.nextPageToken! })
      expect(second.items.map((m) => m.name)).toEqual(['m100'])
      expect(second.nextPageToken).toBeUndefined()
    })
  })
}

function describeVersionContract(ctx: ContractContext): void {
  describe('model versions', () => {
    it('creates READY versions numbered per model and stores lineage, run and user', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createRegisteredModel({ name: 'churn' })
      const lineage = {
        artifactDigest: 'sha256:abc',
        datasetDigest: 'd1g3st',
        codeVersion: '0123456789abcdef0123456789abcdef01234567',
        environment: { node: 'v20.1.0', keel: '0.1.0', lockfileHash: 'ff', platform: 'linux-x64' },
        signature: { inputs: [{ name: 'amount', type: 'double', required: true }], outputs: [{ name: 'score', type: 'double' }] },
        inputExample: { amount: [1.5, 2], nested: { ok: true, none: null } },
      }
      ctx.clock().advance(100)
      const v1 = await s.createModelVersion({
        name: 'fraud',
        source: 'mlflow-artifacts:/1/abc/artifacts/model',
        runId: 'abc',
        runLink: 'http://x/runs/abc',
        description: 'first',
        tags: [{ key: 'k', value: 'v' }],
        modelId: 'm-123',
        userId: 'ana',
        lineage,
      })
      const expected = {
        name: 'fraud',
        version: '1',
        creationTimestamp: ctx.clock().now(),
        lastUpdatedTimestamp: ctx.clock().now(),
        description: 'first',
        userId: 'ana',
        currentStage: 'None',
        source: 'mlflow-artifacts:/1/abc/artifacts/model',
        runId: 'abc',
        runLink: 'http://x/runs/abc',
        status: 'READY',
        statusMessage: '',
        tags: [{ key: 'k', value: 'v' }],
        aliases: [],
        modelId: 'm-123',
        lineage,
      }
      expect(v1).toEqual(expected)
      expect(await s.getModelVersion('fraud', '1')).toEqual(expected)
      const v2 = await s.createModelVersion({ name: 'fraud', source: 's2' })
      expect(v2).toMatchObject({ version: '2', runId: '', runLink: '', userId: '', modelId: '', lineage: {}, description: '' })
      expect((await s.createModelVersion({ name: 'churn', source: 's' })).version).toBe('1')
      expect((await s.getRegisteredModel('fraud')).lastUpdatedTimestamp).toBe(ctx.clock().now())
      await expectCode(s.createModelVersion({ name: 'absent', source: 's' }), 'RESOURCE_DOES_NOT_EXIST', /absent/)
    })

    it('never reuses a version number after a delete', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createModelVersion({ name: 'fraud', source: 's1' })
      await s.createModelVersion({ name: 'fraud', source: 's2' })
      await s.deleteModelVersion('fraud', '2')
      await expectCode(s.getModelVersion('fraud', '2'), 'RESOURCE_DOES_NOT_EXIST')
      expect((await s.createModelVersion({ name: 'fraud', source: 's3' })).version).toBe('3')
      await s.deleteModelVersion('fraud', '1')
      await s.deleteModelVersion('fraud', '3')
      expect((await s.createModelVersion({ name: 'fraud', source: 's4' })).version).toBe('4')
    })

    it('gives 20 concurrent creates the distinct numbers 1..20', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.createModelVersion({ name: 'fraud', source: `runs:/r${i}/model` })),
      )
      const numbers = created.map((v) => Number(v.version)).sort((a, b) => a - b)
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      const sources = new Set(created.map((v) => v.source))
      expect(sources.size).toBe(20)
      const stored = await s.searchModelVersions({ filter: "name = 'fraud'" })
      expect(stored.items).toHaveLength(20)
      for (const v of created) expect((await s.getModelVersion('fraud', v.version)).source).toBe(v.source)
    })

    it('reports unknown and malformed versions', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await expectCode(s.getModelVersion('fraud', '1'), 'RESOURCE_DOES_NOT_EXIST', /version=1/)
      await expectCode(s.getModelVersion('fraud', 'abc'), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.getModelVersion('fraud', '99999999999999'), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.updateModelVersion('fraud', '1', 'd'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.deleteModelVersion('fraud', '1'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.setModelVersionTag('fraud', '1', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.deleteModelVersionTag('fraud', '1', 'k'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.getModelVersion('absent', '1'), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('updates descriptions and tags of a version', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      const v = await s.createModelVersion({ name: 'fraud', source: 's', tags: [{ key: 'a', value: '1' }] })
      ctx.clock().advance(50)
      const updated = await s.updateModelVersion('fraud', '1', 'better')
      expect(updated.description).toBe('better')
      expect(updated.lastUpdatedTimestamp).toBe(v.creationTimestamp + 50)
      await s.setModelVersionTag('fraud', '1', { key: 'b', value: '2' })
      await s.setModelVersionTag('fraud', '1', { key: 'a', value: '3' })
      expect((await s.getModelVersion('fraud', '1')).tags).toEqual([
        { key: 'a', value: '3' },
        { key: 'b', value: '2' },
      ])
      await s.deleteModelVersionTag('fraud', '1', 'a')
      await s.deleteModelVersionTag('fraud', '1', 'absent')
      expect((await s.getModelVersion('fraud', '1')).tags).toEqual([{ key: 'b', value: '2' }])
    })

    it('searches versions by name, run_id (= and IN), source_path, version_number and tags', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createRegisteredModel({ name: 'churn' })
      await s.createModelVersion({ name: 'fraud', source: 's3://b/fraud/1', runId: 'r1', tags: [{ key: 'env', value: 'prod' }] })
      await s.createModelVersion({ name: 'fraud', source: 's3://b/fraud/2', runId: 'r2' })
      await s.createModelVersion({ name: 'churn', source: 's3://b/churn/1', runId: 'r1', tags: [{ key: 'env', value: 'dev' }] })
      const found = async (filter: string): Promise<string[]> =>
        (await s.searchModelVersions({ filter, orderBy: ['name ASC', 'version_number ASC'] })).items.map((v) => `${v.name}/${v.version}`)
      expect(await found("name = 'fraud'")).toEqual(['fraud/1', 'fraud/2'])
      expect(await found("run_id = 'r1'")).toEqual(['churn/1', 'fraud/1'])
      expect(await found("run_id IN ('r2', 'r9')")).toEqual(['fraud/2'])
      expect(await found("source_path LIKE 's3://b/fraud/%'")).toEqual(['fraud/1', 'fraud/2'])
      expect(await found("tags.env = 'prod'")).toEqual(['fraud/1'])
      expect(await found("tags.env ILIKE 'DEV'")).toEqual(['churn/1'])
      expect(await found("name = 'fraud' AND version_number > 1")).toEqual(['fraud/2'])
      expect(await found("name = 'fraud' AND run_id = 'r1'")).toEqual(['fraud/1'])
      await expectCode(s.searchModelVersions({ filter: "stage = 'x'" }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchModelVersions({ filter: "source_path IN ('a')" }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchModelVersions({ filter: "version_number = 'x'" }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchModelVersions({ orderBy: ['run_id'] }), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.searchModelVersions({ maxResults: 200_001 }), 'INVALID_PARAMETER_VALUE')
    })

    it('orders versions by last update DESC, name, version DESC by default and pages', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'a' })
      await s.createRegisteredModel({ name: 'b' })
      for (let i = 0; i < 3; i++) {
        await s.createModelVersion({ name: 'a', source: 's' })
        await s.createModelVersion({ name: 'b', source: 's' })
      }
      ctx.clock().advance(10)
      await s.updateModelVersion('b', '1', 'touched')
      const ids = (items: { name: string; version: string }[]): string[] => items.map((v) => `${v.name}/${v.version}`)
      expect(ids((await s.searchModelVersions({})).items)).toEqual(['b/1', 'a/3', 'a/2', 'a/1', 'b/3', 'b/2'])
      expect(ids((await s.searchModelVersions({ orderBy: ['version_number ASC'] })).items)).toEqual([
        'a/1', 'b/1', 'a/2', 'b/2', 'a/3', 'b/3',
      ])
      const paged = await allPages((pageToken) =>
        s.searchModelVersions(pageToken === undefined ? { maxResults: 4 } : { maxResults: 4, pageToken }),
      )
      expect(paged.pages).toBe(2)
      expect(ids(paged.items)).toEqual(['b/1', 'a/3', 'a/2', 'a/1', 'b/3', 'b/2'])
    })

    it('keeps legacy stages: transitions, archiving others, latest per stage', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      for (let i = 0; i < 4; i++) await s.createModelVersion({ name: 'fraud', source: `s${i}` })
      await s.transitionStage('fraud', '1', 'Production', false)
      await s.transitionStage('fraud', '2', 'Production', false)
      await s.transitionStage('fraud', '3', 'Staging', false)
      const latest = await s.getLatestVersions('fraud', [])
      expect(latest.map((v) => [v.currentStage, v.version])).toEqual([
        ['None', '4'],
        ['Staging', '3'],
        ['Production', '2'],
      ])
      expect((await s.getLatestVersions('fraud', ['Production'])).map((v) => v.version)).toEqual(['2'])
      expect(await s.getLatestVersions('fraud', ['Archived'])).toEqual([])
      ctx.clock().advance(7)
      const promoted = await s.transitionStage('fraud', '4', 'Production', true)
      expect(promoted.currentStage).toBe('Production')
      expect(promoted.lastUpdatedTimestamp).toBe(ctx.clock().now())
      expect((await s.getModelVersion('fraud', '1')).currentStage).toBe('Archived')
      expect((await s.getModelVersion('fraud', '2')).currentStage).toBe('Archived')
      expect((await s.getModelVersion('fraud', '3')).currentStage).toBe('Staging')
      await expectCode(s.transitionStage('fraud', '3', 'Archived', true), 'INVALID_PARAMETER_VALUE')
      await expectCode(s.transitionStage('fraud', '9', 'Staging', false), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.getLatestVersions('absent', []), 'RESOURCE_DOES_NOT_EXIST')
    })
  })
}
