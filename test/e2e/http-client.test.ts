import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer, text } from 'node:stream/consumers'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { createServer } from '../../src/server/create-server.js'
import { openStores } from '../../src/store/open-stores.js'
import type { Stores } from '../../src/store/open-stores.js'
import { freshPostgresDatabase, POSTGRES_URL } from '../support/postgres.js'
import { tempDir } from '../support/temp-dir.js'

/**
 * The same scenarios against local SQLite stores and against the HTTP adapters talking to a real keel
 * server (on 127.0.0.1, port 0) over those stores: the adapters must behave exactly like the local ones,
 * error codes included.
 */
interface Harness {
  stores: Stores
  /** The server side's own stores (the local stores themselves when there is no server). */
  backing: Stores
  close(): Promise<void>
}

async function localHarness(dir: string): Promise<Harness> {
  const stores = await openStores(`sqlite:${join(dir, 'keel.db')}`, { artifactsRoot: join(dir, 'artifacts') })
  return { stores, backing: stores, close: () => stores.close() }
}

async function httpHarness(dir: string, backingUri = `sqlite:${join(dir, 'keel.db')}`): Promise<Harness> {
  const backing = await openStores(backingUri, { artifactsRoot: join(dir, 'artifacts') })
  const app = await createServer({ tracking: backing.tracking, registry: backing.registry, artifacts: backing.artifacts })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const stores = await openStores(`http://127.0.0.1:${port}`, { http: { maxRetries: 0 } })
  return {
    stores,
    backing,
    async close() {
      await stores.close()
      await app.close()
      await backing.close()
    },
  }
}

const now = (): number => Date.now()

const harnesses: Array<[string, (dir: string) => Promise<Harness>]> = [
  ['local SQLite', localHarness],
  ['HTTP adapters → keel server', (dir) => httpHarness(dir)],
]
if (POSTGRES_URL !== undefined) {
  harnesses.push(['HTTP adapters → keel server on PostgreSQL', async (dir) => httpHarness(dir, await freshPostgresDatabase())])
}

describe.each(harnesses)('%s', (label, makeHarness) => {
  let dir: { path: string; remove: () => void }
  let h: Harness
  let stores: Stores

  beforeEach(async () => {
    dir = tempDir('keel-http-')
    h = await makeHarness(dir.path)
    stores = h.stores
  })

  afterEach(async () => {
    await h.close()
    dir.remove()
  })

  it('experiments: create, get by name, duplicates, search, rename, delete and restore', async () => {
    const { tracking } = stores
    const id = await tracking.createExperiment({ name: 'fraud', tags: [{ key: 'team', value: 'risk' }] })
    const experiment = await tracking.getExperiment(id)
    expect(experiment).toMatchObject({ name: 'fraud', artifactLocation: `mlflow-artifacts:/${id}`, lifecycleStage: 'active' })
    expect(experiment.tags).toEqual([{ key: 'team', value: 'risk' }])
    expect((await tracking.getExperimentByName('fraud'))?.experimentId).toBe(id)
    expect(await tracking.getExperimentByName('nope')).toBeUndefined()
    await expect(tracking.createExperiment({ name: 'fraud' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' })
    await expect(tracking.getExperiment('99999')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })

    await tracking.createExperiment({ name: 'churn' })
    const found = await tracking.searchExperiments({ filter: "name LIKE 'fr%'" })
    expect(found.items.map((e) => e.name)).toEqual(['fraud'])

    await tracking.renameExperiment(id, 'fraud-v2')
    await tracking.deleteExperiment(id)
    const deleted = await tracking.searchExperiments({ viewType: 'DELETED_ONLY' })
    expect(deleted.items.map((e) => e.name)).toEqual(['fraud-v2'])
    await tracking.restoreExperiment(id)
    expect((await tracking.getExperiment(id)).lifecycleStage).toBe('active')
  })

  it('runs: log batch with NaN/Infinity, immutable params keep their error code, tags, latest metrics', async () => {
    const { tracking } = stores
    const run = await tracking.createRun({
      experimentId: '0',
      runName: 'first',
      startTime: 1_700_000_000_000,
      tags: [{ key: 'mlflow.user', value: 'ana' }],
    })
    expect(run.info).toMatchObject({ runName: 'first', status: 'RUNNING', experimentId: '0', userId: 'ana' })
    expect(run.info.artifactUri).toBe(`mlflow-artifacts:/0/${run.info.runId}/artifacts`)
    const id = run.info.runId
    await tracking.logBatch(id, {
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 1, step: 0 },
        { key: 'loss', value: Number.NaN, timestamp: 2, step: 1 },
        { key: 'up', value: Number.POSITIVE_INFINITY, timestamp: 3, step: 0 },
        { key: 'down', value: Number.NEGATIVE_INFINITY, timestamp: 3, step: 0 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'stage', value: 'dev' }],
    })
    await tracking.logBatch(id, { params: [{ key: 'lr', value: '0.1' }] }) // same value: a no-op

    const error = await tracking.logBatch(id, { params: [{ key: 'lr', value: '0.2' }] }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'KeelError', code: 'INVALID_PARAMETER_VALUE', status: 400 })
    expect((error as Error).message).toContain('Changing param values is not allowed')

    const got = await tracking.getRun(id)
    const metrics = Object.fromEntries(got.data.metrics.map((m) => [m.key, m.value]))
    expect(metrics['loss']).toBeNaN()
    expect(metrics['up']).toBe(Number.POSITIVE_INFINITY)
    expect(metrics['down']).toBe(Number.NEGATIVE_INFINITY)
    expect(got.data.params).toEqual([{ key: 'lr', value: '0.1' }])
    expect(got.data.tags).toEqual(expect.arrayContaining([{ key: 'stage', value: 'dev' }]))

    await tracking.deleteTag(id, 'stage')
    expect((await tracking.getRun(id)).data.tags.some((t) => t.key === 'stage')).toBe(false)

    const info = await tracking.updateRun(id, { status: 'FINISHED', endTime: 1_700_000_001_000 })
    expect(info).toMatchObject({ status: 'FINISHED', endTime: 1_700_000_001_000 })

    await tracking.deleteRun(id)
    await expect(tracking.logBatch(id, { tags: [{ key: 'a', value: 'b' }] })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
    await tracking.restoreRun(id)
    await expect(tracking.getRun('0123456789abcdef0123456789abcdef')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
  })

  it('search runs with a filter and order, paging through every result', async () => {
    const { tracking } = stores
    const ids: string[] = []
    for (let i = 0; i < 7; i++) {
      const run = await tracking.createRun({ experimentId: '0', startTime: 1_000 + i })
      await tracking.logBatch(run.info.runId, {
        metrics: [{ key: 'auc', value: i / 10, timestamp: 1, step: 0 }],
        params: [{ key: 'depth', value: String(i % 2) }],
      })
      ids.push(run.info.runId)
    }
    const seen: string[] = []
    let pageToken: string | undefined
    for (let page = 0; page < 10; page++) {
      const result = await tracking.searchRuns({
        experimentIds: ['0'],
        filter: 'metrics.auc > 0.15',
        orderBy: ['metrics.auc DESC'],
        maxResults: 2,
        ...(pageToken === undefined ? {} : { pageToken }),
      })
      seen.push(...result.items.map((r) => r.info.runId))
      pageToken = result.nextPageToken
      if (pageToken === undefined) break
    }
    expect(seen).toEqual([ids[6], ids[5], ids[4], ids[3], ids[2]])

    const byParam = await tracking.searchRuns({ experimentIds: ['0'], filter: "params.depth = '1'" })
    expect(byParam.items.map((r) => r.info.runId).sort()).toEqual([ids[1], ids[3], ids[5]].sort())
    await expect(tracking.searchRuns({ experimentIds: ['0'], filter: 'metrics.auc >>> 1' })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
    })
  })

  it('metric history pages in logging order, and sampled history reduces it', async () => {
    const { tracking } = stores
    const run = await tracking.createRun({ experimentId: '0', startTime: now() })
    const metrics = Array.from({ length: 500 }, (_, step) => ({ key: 'loss', value: 1 / (step + 1), timestamp: 10 + step, step }))
    await tracking.logBatch(run.info.runId, { metrics })

    const steps: number[] = []
    let pageToken: string | undefined
    for (let page = 0; page < 100; page++) {
      const result = await tracking.getMetricHistory(run.info.runId, 'loss', {
        maxResults: 120,
        ...(pageToken === undefined ? {} : { pageToken }),
      })
      steps.push(...result.items.map((m) => m.step))
      pageToken = result.nextPageToken
      if (pageToken === undefined) break
    }
    expect(steps).toEqual(metrics.map((m) => m.step))

    const [series] = await tracking.getSampledHistory({ runIds: [run.info.runId], key: 'loss', maxPoints: 50 })
    expect(series?.totalPoints).toBe(500)
    expect(series?.steps.length).toBeGreaterThan(10)
    expect(series?.steps.length).toBeLessThanOrEqual(60)
    expect(series?.steps[0]).toBe(0)
    expect(series?.steps.at(-1)).toBe(499)
  })

  it('registry: register with lineage, aliases with history, model URIs, search', async () => {
    const keel = new Keel(stores, { user: 'ana', cwd: dir.path })
    const v1 = await keel.registerModel({
      name: 'fraud',
      source: 'mlflow-artifacts:/0/abc/artifacts/model',
      lineage: {
        codeVersion: 'deadbeef',
        datasetDigest: 'd1',
        signature: { inputs: [{ name: 'amount', type: 'double' }], outputs: [{ name: 'score', type: 'double' }] },
        inputExample: { amount: [12.5] },
      },
      tags: { team: 'risk' },
    })
    expect(v1).toMatchObject({ name: 'fraud', version: '1', status: 'READY', userId: 'ana' })
    expect(v1.lineage).toMatchObject({
      codeVersion: 'deadbeef',
      datasetDigest: 'd1',
      environment: { node: process.version },
      signature: { inputs: [{ name: 'amount', type: 'double' }] },
      inputExample: { amount: [12.5] },
    })
    const v2 = await keel.registerModel({ name: 'fraud', source: 'mlflow-artifacts:/0/def/artifacts/model' })
    expect(v2.version).toBe('2')
    expect((await stores.registry.getModelVersion('fraud', '1')).lineage).toEqual(v1.lineage)

    await keel.setAlias('fraud', 'champion', 1)
    await keel.setAlias('fraud', 'champion', '2')
    expect((await keel.resolve('models:/fraud@champion')).version).toBe('2')
    expect((await keel.resolve('models:/fraud/1')).source).toBe('mlflow-artifacts:/0/abc/artifacts/model')
    expect((await keel.resolve('models:/fraud/latest')).version).toBe('2')
    expect((await stores.registry.getRegisteredModel('fraud')).aliases).toEqual([{ alias: 'champion', version: '2' }])
    await expect(keel.resolve('models:/fraud@nobody')).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    await expect(stores.registry.getRegisteredModel('ghost')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })

    await stores.registry.deleteAlias('fraud', 'champion', 'bob')
    const history = await stores.registry.aliasHistory('fraud', 'champion')
    expect(history.map((m) => [m.fromVersion, m.toVersion, m.movedBy])).toEqual([
      [null, '1', 'ana'],
      ['1', '2', 'ana'],
      ['2', null, 'bob'],
    ])

    const versions = await stores.registry.searchModelVersions({ filter: "name = 'fraud'", orderBy: ['version_number DESC'] })
    expect(versions.items.map((v) => v.version)).toEqual(['2', '1'])
    const models = await stores.registry.searchRegisteredModels({ filter: "name LIKE 'fr%'" })
    expect(models.items.map((m) => m.name)).toEqual(['fraud'])
    await expect(stores.registry.createRegisteredModel({ name: 'fraud' })).rejects.toMatchObject({ code: 'RESOURCE_ALREADY_EXISTS' })
  })

  it('artifacts: put, stream a large file, get, list, stat, delete, refuse traversal', async () => {
    const { artifacts } = stores
    const small = await artifacts.put('0/r1/artifacts/model/model.json', Buffer.from('{"w":[1,2,3]}'))
    expect(small.size).toBe(13)
    expect(small.digest).toMatch(/^[0-9a-f]{64}$/)

    const chunk = Buffer.alloc(64 * 1024, 7)
    const chunks = 48 // 3 MiB, streamed
    const big = await artifacts.put(
      '0/r1/artifacts/data/big.bin',
      Readable.from((function* () { for (let i = 0; i < chunks; i++) yield chunk })()),
    )
    expect(big.size).toBe(chunk.length * chunks)

    const got = await artifacts.get('0/r1/artifacts/data/big.bin')
    expect(got.size).toBe(chunk.length * chunks)
    expect(got.digest).toBe(big.digest)
    const bytes = await buffer(got.body)
    expect(bytes.length).toBe(chunk.length * chunks)
    expect(bytes.every((b) => b === 7)).toBe(true)
    expect(await text((await artifacts.get('0/r1/artifacts/model/model.json')).body)).toBe('{"w":[1,2,3]}')

    const root = await artifacts.list('0/r1/artifacts')
    expect(root.map((e) => [e.path, e.isDir])).toEqual([
      ['data', true],
      ['model', true],
    ])
    const model = await artifacts.list('0/r1/artifacts/model')
    expect(model).toEqual([expect.objectContaining({ path: 'model.json', isDir: false, fileSize: 13, digest: small.digest })])
    expect(await artifacts.list('0/nothing/here')).toEqual([])
    expect(await artifacts.stat('0/r1/artifacts/model/model.json')).toMatchObject({ isDir: false, fileSize: 13 })
    expect(await artifacts.stat('0/r1/artifacts/none.txt')).toBeUndefined()

    await expect(artifacts.get('0/r1/artifacts/none.txt')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(artifacts.put('../escape.txt', Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })

    expect(await artifacts.delete('0/r1/artifacts/data')).toBe(1)
    expect((await artifacts.list('0/r1/artifacts')).map((e) => e.path)).toEqual(['model'])
  })

  it('the Keel client: buffered metrics, params, artifacts, datasets, end, registration from a run', async () => {
    const keel = new Keel(stores, { user: 'ana', cwd: dir.path })
    await keel.setExperiment('fraud')
    const run = await keel.startRun({ runName: 'gbm', tags: { purpose: 'test' } })
    for (let step = 0; step < 2500; step++) run.logMetric('loss', 1 / (step + 1), step)
    run.logMetrics({ auc: 0.91, f1: 0.8 }, 2500)
    await run.logParams({ depth: 6, lr: 0.05, early_stop: true })
    await expect(run.logParam('depth', 7)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' })
    const [artifact] = await run.logArtifact({ name: 'model.json', content: '{"trees":[]}' }, 'model')
    expect(artifact?.path).toBe('model/model.json')
    await run.logDataset({ name: 'transactions', digest: 'abc123', source: 'file://data.csv' }, 'training')
    const info = await run.end()
    expect(info.status).toBe('FINISHED')
    expect(() => run.logMetric('late', 1)).toThrow(/has ended/)

    const stored = await stores.tracking.getRun(run.id)
    expect(stored.data.params).toEqual(
      expect.arrayContaining([
        { key: 'depth', value: '6' },
        { key: 'early_stop', value: 'true' },
      ]),
    )
    expect(stored.data.tags).toEqual(expect.arrayContaining([{ key: 'purpose', value: 'test' }, { key: 'mlflow.user', value: 'ana' }]))
    expect(stored.inputs.datasetInputs[0]?.dataset).toMatchObject({ name: 'transactions', digest: 'abc123' })
    const history = await stores.tracking.getMetricHistory(run.id, 'loss', { maxResults: 25_000 })
    expect(history.items).toHaveLength(2500)
    expect(history.items.map((m) => m.step)).toEqual(Array.from({ length: 2500 }, (_, i) => i))

    const version = await keel.registerModel({ name: 'fraud', runId: run.id, artifactPath: 'model' })
    expect(version.source).toBe(`${run.artifactUri}/model`)
    expect(version.runId).toBe(run.id)
    expect(version.lineage.datasetDigest).toBe('abc123')
    // Through `runs:/` too, as MLflow users write it.
    const again = await keel.registerModel({ name: 'fraud', source: `runs:/${run.id}/model` })
    expect(again).toMatchObject({ version: '2', source: version.source, runId: run.id })
    expect(again.lineage.artifactDigest).toBe(version.lineage.artifactDigest)
    // The digest of the model directory, from the digests the artifact store keeps (listed over HTTP too).
    expect(version.lineage.artifactDigest).toMatch(/^[0-9a-f]{64}$/)
  })

  it('garbage collection purges deleted runs with their artifacts', async () => {
    const { tracking, artifacts } = stores
    const run = await tracking.createRun({ experimentId: '0', startTime: now() })
    const root = run.info.artifactUri.replace('mlflow-artifacts:/', '')
    await artifacts.put(`${root}/a.txt`, Buffer.from('a'))
    await artifacts.put(`${root}/b/c.txt`, Buffer.from('c'))
    await tracking.deleteRun(run.info.runId)
    const result = await stores.collectGarbage({ olderThanMs: 0 })
    expect(result.runIds).toEqual([run.info.runId])
    expect(result.artifactFilesDeleted).toBe(2)
    await expect(h.backing.tracking.getRun(run.info.runId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    expect(await h.backing.artifacts.list(root)).toEqual([])
  })

  it('webhooks: create, read without the secret, update, list deliveries, delete', async () => {
    const { registry } = stores
    const hook = await registry.createWebhook({
      name: 'ci',
      url: 'http://127.0.0.1:9/hook',
      events: ['model_version.created', 'model_version_alias.created'],
      secret: 's3cret',
    })
    expect(hook).toMatchObject({ name: 'ci', status: 'ACTIVE', hasSecret: true })
    expect(hook.events).toEqual(['model_version.created', 'model_version_alias.created'])
    expect((await registry.listWebhooks()).map((w) => w.webhookId)).toEqual([hook.webhookId])

    await registry.createRegisteredModel({ name: 'm' })
    await registry.createModelVersion({ name: 'm', source: 'mlflow-artifacts:/0/x' })
    const deliveries = await registry.listDeliveries(hook.webhookId, 10)
    expect(deliveries).toHaveLength(1)
    expect(deliveries[0]).toMatchObject({ status: 'PENDING', event: { type: 'model_version.created' } })

    const updated = await registry.updateWebhook(hook.webhookId, { status: 'DISABLED', description: 'off' })
    expect(updated).toMatchObject({ status: 'DISABLED', description: 'off' })
    await registry.deleteWebhook(hook.webhookId)
    await expect(registry.getWebhook(hook.webhookId)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    expect(label).toBeTruthy()
  })
})

describe('HTTP adapters only', () => {
  it('write through the server: what the client writes, the server stores', async () => {
    const dir = tempDir('keel-http-only-')
    const h = await httpHarness(dir.path)
    try {
      const id = await h.stores.tracking.createExperiment({ name: 'seen-by-server' })
      expect((await h.backing.tracking.getExperimentByName('seen-by-server'))?.experimentId).toBe(id)
      await h.stores.artifacts.put('x/y.txt', Buffer.from('hello'))
      expect(await text((await h.backing.artifacts.get('x/y.txt')).body)).toBe('hello')
      expect(h.stores.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    } finally {
      await h.close()
      dir.remove()
    }
  })
})
