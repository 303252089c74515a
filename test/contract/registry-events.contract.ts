import { describe, expect, it } from 'vitest'
import type { RegistryEventType, WebhookDelivery } from '../../src/registry/types.js'
import { expectCode } from './registry-contract-support.js'
import type { ContractContext } from './registry-contract-support.js'

export function describeEventContract(ctx: ContractContext): void {
  const hook = (name: string, events: RegistryEventType[], extra: { status?: 'ACTIVE' | 'DISABLED'; secret?: string } = {}) =>
    ctx.store().createWebhook({ name, url: `http://127.0.0.1:9/${name}`, events, ...extra })

  const due = (): Promise<WebhookDelivery[]> => ctx.store().dueDeliveries(ctx.clock().now(), 1000)

  describe('webhooks', () => {
    it('creates, reads, lists, updates and deletes webhooks without ever returning the secret', async () => {
      const s = ctx.store()
      const created = await s.createWebhook({
        name: 'ci',
        url: 'https://ci.example/hook',
        events: ['model_version.created', 'model_version_alias.created'],
        description: 'deploys',
        secret: 's3cr3t',
      })
      const t = ctx.clock().now()
      expect(created).toEqual({
        webhookId: created.webhookId,
        name: 'ci',
        url: 'https://ci.example/hook',
        events: ['model_version.created', 'model_version_alias.created'],
        description: 'deploys',
        status: 'ACTIVE',
        creationTimestamp: t,
        lastUpdatedTimestamp: t,
        hasSecret: true,
      })
      expect(JSON.stringify(created)).not.toContain('s3cr3t')
      expect(await s.getWebhook(created.webhookId)).toEqual(created)
      ctx.clock().advance(1)
      const other = await s.createWebhook({ name: 'audit', url: 'http://a/', events: ['registered_model.created'], status: 'DISABLED' })
      expect(other.hasSecret).toBe(false)
      expect(other.status).toBe('DISABLED')
      expect((await s.listWebhooks()).map((w) => w.name)).toEqual(['ci', 'audit'])
      ctx.clock().advance(10)
      const updated = await s.updateWebhook(created.webhookId, { events: ['registered_model.deleted'], status: 'DISABLED', secret: '' })
      expect(updated).toMatchObject({ events: ['registered_model.deleted'], status: 'DISABLED', hasSecret: false, name: 'ci' })
      expect(updated.lastUpdatedTimestamp).toBe(t + 11)
      expect(updated.creationTimestamp).toBe(t)
      await s.deleteWebhook(created.webhookId)
      await expectCode(s.getWebhook(created.webhookId), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.deleteWebhook(created.webhookId), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.updateWebhook(created.webhookId, { name: 'x' }), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.listDeliveries(created.webhookId, 10), 'RESOURCE_DOES_NOT_EXIST')
      expect((await s.listWebhooks()).map((w) => w.name)).toEqual(['audit'])
    })
  })

  describe('events outbox and deliveries', () => {
    it('fans each event out only to active webhooks subscribed to its type', async () => {
      const s = ctx.store()
      const versions = await hook('versions', ['model_version.created'], { secret: 'k' })
      await hook('disabled', ['model_version.created'], { status: 'DISABLED' })
      const models = await hook('models', ['registered_model.created', 'registered_model.deleted'])
      await s.createRegisteredModel({ name: 'fraud', description: 'd', tags: [{ key: 'team', value: 'risk' }] })
      await s.createModelVersion({ name: 'fraud', source: 'runs:/abc/model', runId: 'abc', tags: [{ key: 'k', value: 'v' }] })
      const deliveries = await due()
      expect(deliveries.map((d) => [d.webhookId, d.event.type]).sort()).toEqual(
        [
          [models.webhookId, 'registered_model.created'],
          [versions.webhookId, 'model_version.created'],
        ].sort(),
      )
      const forVersions = deliveries.find((d) => d.webhookId === versions.webhookId)!
      expect(forVersions).toMatchObject({ url: versions.url, secret: 'k', attempts: 0, status: 'PENDING', lastError: '' })
      expect(forVersions.nextAttemptAt).toBe(ctx.clock().now())
      expect(forVersions.event.createdAt).toBe(ctx.clock().now())
      expect(forVersions.event.payload).toEqual({
        name: 'fraud',
        version: '1',
        source: 'runs:/abc/model',
        run_id: 'abc',
        tags: { k: 'v' },
        description: null,
      })
      const forModels = deliveries.find((d) => d.webhookId === models.webhookId)!
      expect(forModels.event.payload).toEqual({ name: 'fraud', tags: { team: 'risk' }, description: 'd' })
    })

    it('writes MLflow-style payloads for tag, alias and delete events (keel adds from_version)', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createModelVersion({ name: 'fraud', source: 's1' })
      await s.createModelVersion({ name: 'fraud', source: 's2' })
      await hook('all', [
        'registered_model.deleted',
        'model_version.deleted',
        'model_version_tag.set',
        'model_version_tag.deleted',
        'model_version_alias.created',
        'model_version_alias.deleted',
      ])
      await s.setModelVersionTag('fraud', '1', { key: 'k', value: 'v' })
      await s.setModelVersionTag('fraud', '1', { key: 'k', value: 'v' }) // unchanged: no event
      await s.deleteModelVersionTag('fraud', '1', 'k')
      await s.deleteModelVersionTag('fraud', '1', 'k') // absent: no event
      await s.setAlias('fraud', 'champion', '1', 'ana')
      await s.setAlias('fraud', 'champion', '2', 'ana')
      await s.setAlias('fraud', 'champion', '2', 'ana') // unchanged: no event
      await s.deleteModelVersion('fraud', '2')
      await s.setAlias('fraud', 'old', '1', 'ana')
      await s.deleteAlias('fraud', 'old', 'ana')
      await s.deleteRegisteredModel('fraud')
      const events = (await due()).sort((a, b) => a.event.id - b.event.id).map((d) => [d.event.type, d.event.payload])
      expect(events).toEqual([
        ['model_version_tag.set', { name: 'fraud', version: '1', key: 'k', value: 'v' }],
        ['model_version_tag.deleted', { name: 'fraud', version: '1', key: 'k' }],
        ['model_version_alias.created', { name: 'fraud', alias: 'champion', version: '1', from_version: null }],
        ['model_version_alias.created', { name: 'fraud', alias: 'champion', version: '2', from_version: '1' }],
        ['model_version_alias.deleted', { name: 'fraud', alias: 'champion', from_version: '2' }],
        ['model_version.deleted', { name: 'fraud', version: '2' }],
        ['model_version_alias.created', { name: 'fraud', alias: 'old', version: '1', from_version: null }],
        ['model_version_alias.deleted', { name: 'fraud', alias: 'old', from_version: '1' }],
        ['registered_model.deleted', { name: 'fraud' }],
      ])
    })

    it('writes events for renames, description updates, model tags and stage transitions', async () => {
      const s = ctx.store()
      await s.createRegisteredModel({ name: 'fraud' })
      await s.createModelVersion({ name: 'fraud', source: 's1' })
      await s.createModelVersion({ name: 'fraud', source: 's2' })
      await s.transitionStage('fraud', '1', 'Production', false)
      await hook('all', [
        'registered_model.renamed',
        'registered_model.updated',
        'registered_model_tag.set',
        'registered_model_tag.deleted',
        'model_version.updated',
        'model_version.stage_transitioned',
      ])
      await s.setRegisteredModelTag('fraud', { key: 'team', value: 'risk' })
      await s.setRegisteredModelTag('fraud', { key: 'team', value: 'risk' }) // unchanged: no event
      await s.deleteRegisteredModelTag('fraud', 'team')
      await s.deleteRegisteredModelTag('fraud', 'team') // absent: no event
      await s.updateRegisteredModel('fraud', 'scores card payments')
      await s.updateModelVersion('fraud', '2', 'gbdt, 300 trees')
      await s.transitionStage('fraud', '2', 'Production', true)
      await s.renameRegisteredModel('fraud', 'card-fraud')
      await s.renameRegisteredModel('card-fraud', 'card-fraud') // same name: no event
      const events = (await due()).sort((a, b) => a.event.id - b.event.id).map((d) => [d.event.type, d.event.payload])
      expect(events).toEqual([
        ['registered_model_tag.set', { name: 'fraud', key: 'team', value: 'risk' }],
        ['registered_model_tag.deleted', { name: 'fraud', key: 'team' }],
        ['registered_model.updated', { name: 'fraud', description: 'scores card payments' }],
        ['model_version.updated', { name: 'fraud', version: '2', description: 'gbdt, 300 trees' }],
        ['model_version.stage_transitioned', { name: 'fraud', version: '2', from_stage: 'None', to_stage: 'Production', archived_versions: ['1'] }],
        ['registered_model.renamed', { name: 'card-fraud', previous_name: 'fraud' }],
      ])
    })

    it('writes no event when the mutation fails', async () => {
      const s = ctx.store()
      await hook('all', ['registered_model.created', 'model_version.created', 'model_version_alias.created'])
      await s.createRegisteredModel({ name: 'fraud' })
      expect(await due()).toHaveLength(1)
      await expectCode(s.createRegisteredModel({ name: 'fraud' }), 'RESOURCE_ALREADY_EXISTS')
      await expectCode(s.createModelVersion({ name: 'absent', source: 's' }), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.setAlias('fraud', 'champion', '1', 'ana'), 'RESOURCE_DOES_NOT_EXIST')
      expect(await due()).toEqual([])
    })

    it('hands out due deliveries oldest first, retries them when asked, and lists them newest first', async () => {
      const s = ctx.store()
      const target = await hook('t', ['registered_model.created'])
      for (const name of ['a', 'b', 'c']) {
        await s.createRegisteredModel({ name })
        ctx.clock().advance(1)
      }
      const now = ctx.clock().now()
      const firstTwo = await s.dueDeliveries(now, 2)
      expect(firstTwo.map((d) => d.event.payload['name'])).toEqual(['a', 'b'])
      const [a, b] = firstTwo as [WebhookDelivery, WebhookDelivery]
      await s.recordDeliveryAttempt(a.deliveryId, { status: 'DELIVERED', nextAttemptAt: now, error: '' })
      await s.recordDeliveryAttempt(b.deliveryId, { status: 'PENDING', nextAttemptAt: now + 5000, error: 'HTTP 503' })
      const rest = await s.dueDeliveries(now, 10)
      expect(rest.map((d) => d.event.payload['name'])).toEqual(['c'])
      await s.recordDeliveryAttempt(rest[0]!.deliveryId, { status: 'FAILED', nextAttemptAt: now, error: 'gone' })
      expect(await s.dueDeliveries(now + 4999, 10)).toEqual([])
      const retried = await s.dueDeliveries(now + 5000, 10)
      expect(retried.map((d) => [d.deliveryId, d.attempts, d.lastError])).toEqual([[b.deliveryId, 1, 'HTTP 503']])
      await s.recordDeliveryAttempt(b.deliveryId, { status: 'DELIVERED', nextAttemptAt: now + 5000, error: '' })
      expect(await s.dueDeliveries(now + 1_000_000_000, 10)).toEqual([])
      const listed = await s.listDeliveries(target.webhookId, 10)
      expect(listed.map((d) => [d.event.payload['name'], d.status, d.attempts, d.lastError])).toEqual([
        ['c', 'FAILED', 1, 'gone'],
        ['b', 'DELIVERED', 2, ''],
        ['a', 'DELIVERED', 1, ''],
      ])
      expect((await s.listDeliveries(target.webhookId, 1)).map((d) => d.event.payload['name'])).toEqual(['c'])
      await expectCode(
        s.recordDeliveryAttempt(987654321, { status: 'DELIVERED', nextAttemptAt: now, error: '' }),
        'RESOURCE_DOES_NOT_EXIST',
      )
    })

    it('holds deliveries of a disabled webhook and drops those of a deleted one', async () => {
      const s = ctx.store()
      const paused = await hook('paused', ['registered_model.created'])
      const doomed = await hook('doomed', ['registered_model.created'])
      await s.createRegisteredModel({ name: 'fraud' })
      await s.updateWebhook(paused.webhookId, { status: 'DISABLED' })
      await s.deleteWebhook(doomed.webhookId)
      expect(await due()).toEqual([])
      // new events do not fan out to a disabled webhook
      await s.createRegisteredModel({ name: 'churn' })
      await s.updateWebhook(paused.webhookId, { status: 'ACTIVE' })
      const held = await due()
      expect(held.map((d) => [d.webhookId, d.event.payload['name']])).toEqual([[paused.webhookId, 'fraud']])
    })
  })
}
