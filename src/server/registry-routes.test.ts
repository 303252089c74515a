import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { call, startTestServer } from '../../test/support/server-fixture.js'
import type { TestServer } from '../../test/support/server-fixture.js'

const API = '/api/2.0/mlflow'

let server: TestServer
beforeEach(async () => {
  server = await startTestServer()
})
afterEach(async () => {
  await server.close()
})

/** Registers a version, creating the model first as MLflow's register_model does (already-exists tolerated). */
async function version(name: string, source = 's3://bucket/model', extra: Record<string, unknown> = {}): Promise<string> {
  await call(server.app, 'POST', `${API}/registered-models/create`, { name })
  const res = await call(server.app, 'POST', `${API}/model-versions/create`, { name, source, ...extra })
  expect(res.status).toBe(200)
  return res.json.model_version.version as string
}

describe('registered models', () => {
  it('creates, tags, describes, renames, searches and deletes a model', async () => {
    const created = await call(server.app, 'POST', `${API}/registered-models/create`, {
      name: 'fraud',
      description: 'scores payments',
      tags: [{ key: 'team', value: 'risk' }],
    })
    expect(created.json.registered_model).toMatchObject({ name: 'fraud', description: 'scores payments', tags: [{ key: 'team', value: 'risk' }] })
    const dup = await call(server.app, 'POST', `${API}/registered-models/create`, { name: 'fraud' })
    expect(dup).toMatchObject({ status: 400, json: { error_code: 'RESOURCE_ALREADY_EXISTS' } })
    await call(server.app, 'POST', `${API}/registered-models/set-tag`, { name: 'fraud', key: 'tier', value: '1' })
    await call(server.app, 'DELETE', `${API}/registered-models/delete-tag`, { name: 'fraud', key: 'team' })
    const updated = await call(server.app, 'PATCH', `${API}/registered-models/update`, { name: 'fraud', description: 'v2' })
    expect(updated.json.registered_model).toMatchObject({ description: 'v2', tags: [{ key: 'tier', value: '1' }] })
    const renamed = await call(server.app, 'POST', `${API}/registered-models/rename`, { name: 'fraud', new_name: 'fraud-scorer' })
    expect(renamed.json.registered_model.name).toBe('fraud-scorer')
    await call(server.app, 'POST', `${API}/registered-models/create`, { name: 'churn' })
    const search = await call(server.app, 'GET', `${API}/registered-models/search?filter=name%20LIKE%20'fraud%25'`)
    expect(search.json.registered_models.map((m: { name: string }) => m.name)).toEqual(['fraud-scorer'])
    await call(server.app, 'DELETE', `${API}/registered-models/delete`, { name: 'fraud-scorer' })
    expect((await call(server.app, 'GET', `${API}/registered-models/get?name=fraud-scorer`)).status).toBe(404)
  })
})

describe('model versions', () => {
  it('creates READY versions with lineage, updates, tags, transitions and deletes them', async () => {
    await call(server.app, 'POST', `${API}/registered-models/create`, { name: 'm' })
    const created = await call(server.app, 'POST', `${API}/model-versions/create`, {
      name: 'm',
      source: 'mlflow-artifacts:/0/r1/artifacts/model',
      run_id: 'r1',
      description: 'first',
      tags: [{ key: 'k', value: 'v' }],
      lineage: { artifact_digest: 'abc', environment: { node: 'v20.0.0', keel: '0.1.0' }, code_version: 'deadbeef' },
    })
    expect(created.json.model_version).toMatchObject({
      name: 'm',
      version: '1',
      status: 'READY',
      current_stage: 'None',
      run_id: 'r1',
      description: 'first',
      tags: [{ key: 'k', value: 'v' }],
      lineage: { artifact_digest: 'abc', environment: { node: 'v20.0.0', keel: '0.1.0' }, code_version: 'deadbeef' },
    })
    expect(await version('m')).toBe('2')
    const updated = await call(server.app, 'PATCH', `${API}/model-versions/update`, { name: 'm', version: '2', description: 'second' })
    expect(updated.json.model_version.description).toBe('second')
    await call(server.app, 'POST', `${API}/model-versions/set-tag`, { name: 'm', version: 2, key: 'ok', value: 'yes' })
    await call(server.app, 'DELETE', `${API}/model-versions/delete-tag`, { name: 'm', version: '1', key: 'k' })
    const staged = await call(server.app, 'POST', `${API}/model-versions/transition-stage`, {
      name: 'm',
      version: '2',
      stage: 'production',
      archive_existing_versions: false,
    })
    expect(staged.json.model_version.current_stage).toBe('Production')
    const latest = await call(server.app, 'POST', `${API}/registered-models/get-latest-versions`, { name: 'm', stages: ['Production'] })
    expect(latest.json.model_versions.map((v: { version: string }) => v.version)).toEqual(['2'])
    const latestGet = await call(server.app, 'GET', `${API}/registered-models/get-latest-versions?name=m&stages=None`)
    expect(latestGet.json.model_versions.map((v: { version: string }) => v.version)).toEqual(['1'])
    const search = await call(server.app, 'GET', `${API}/model-versions/search?filter=name%3D'm'%20AND%20run_id%3D'r1'`)
    expect(search.json.model_versions.map((v: { version: string }) => v.version)).toEqual(['1'])
    const got = await call(server.app, 'GET', `${API}/model-versions/get?name=m&version=2`)
    expect(got.json.model_version.tags).toEqual([{ key: 'ok', value: 'yes' }])
    await call(server.app, 'DELETE', `${API}/model-versions/delete`, { name: 'm', version: '1' })
    expect((await call(server.app, 'GET', `${API}/model-versions/get?name=m&version=1`)).status).toBe(404)
    expect(await version('m')).toBe('3')
  })

  it('resolves download URIs of runs:/ and logged-model sources', async () => {
    const run = await call(server.app, 'POST', `${API}/runs/create`, { experiment_id: '0' })
    const runId = run.json.run.info.run_id as string
    const logged = await call(server.app, 'POST', `${API}/logged-models`, { experiment_id: '0', name: 'lm' })
    const modelId = logged.json.model.info.model_id as string
    const v1 = await version('m', `runs:/${runId}/model`, { run_id: runId })
    const v2 = await version('m', `models:/${modelId}`, { model_id: modelId })
    const v3 = await version('m', 'mlflow-artifacts:/0/x/artifacts/model')
    const uri = async (v: string): Promise<string> =>
      (await call(server.app, 'GET', `${API}/model-versions/get-download-uri?name=m&version=${v}`)).json.artifact_uri as string
    expect(await uri(v1)).toBe(`mlflow-artifacts:/0/${runId}/artifacts/model`)
    expect(await uri(v2)).toBe(logged.json.model.info.artifact_uri)
    expect(await uri(v3)).toBe('mlflow-artifacts:/0/x/artifacts/model')
  })
})

describe('aliases', () => {
  it('sets, moves, reads and deletes aliases with who moved them, and keeps the history', async () => {
    await version('m')
    await version('m')
    const ada = { authorization: `Basic ${Buffer.from('ada:pw').toString('base64')}` }
    await call(server.app, 'POST', `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '1', moved_by: 'ci' })
    server.clock.advance(10)
    await call(server.app, 'POST', `${API}/registered-models/alias`, { name: 'm', alias: 'champion', version: '2', moved_by: 'ci' }, ada)
    const byAlias = await call(server.app, 'GET', `${API}/registered-models/alias?name=m&alias=champion`)
    expect(byAlias.json.model_version).toMatchObject({ version: '2', aliases: ['champion'] })
    const model = await call(server.app, 'GET', `${API}/registered-models/get?name=m`)
    expect(model.json.registered_model.aliases).toEqual([{ alias: 'champion', version: '2' }])
    server.clock.advance(10)
    await call(server.app, 'DELETE', `${API}/registered-models/alias`, { name: 'm', alias: 'champion' })
    const unknown = await call(server.app, 'GET', `${API}/registered-models/alias?name=m&alias=champion`)
    expect(unknown).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE' } })
    const history = await call(server.app, 'GET', '/api/keel/v1/registered-models/alias-history?name=m&alias=champion')
    expect(history.json.moves.map((m: Record<string, unknown>) => [m['from_version'], m['to_version'], m['moved_by']])).toEqual([
      [null, '1', 'ci'],
      ['1', '2', 'ada'],
      ['2', null, 'unknown'],
    ])
    expect(history.json.moves[1].moved_at - history.json.moves[0].moved_at).toBe(10)
  })
})

describe('webhooks', () => {
  it('manages webhooks in MLflow shape, never returns the secret, tests them and lists deliveries', async () => {
    const created = await call(server.app, 'POST', `${API}/webhooks`, {
      name: 'ci',
      url: 'https://ci.example/hook',
      events: [{ entity: 'MODEL_VERSION', action: 'CREATED' }, 'model_version_alias.created'],
      secret: 's3cret',
    })
    expect(created.status).toBe(200)
    const hook = created.json.webhook
    expect(hook).toMatchObject({
      name: 'ci',
      status: 'ACTIVE',
      has_secret: true,
      events: [
        { entity: 'MODEL_VERSION', action: 'CREATED' },
        { entity: 'MODEL_VERSION_ALIAS', action: 'CREATED' },
      ],
    })
    expect(JSON.stringify(created.json)).not.toContain('s3cret')
    const id = hook.webhook_id as string
    const updated = await call(server.app, 'PATCH', `${API}/webhooks/${id}`, { status: 'DISABLED', description: 'paused' })
    expect(updated.json.webhook).toMatchObject({ status: 'DISABLED', description: 'paused' })
    await call(server.app, 'PATCH', `${API}/webhooks/${id}`, { status: 'ACTIVE' })
    const listed = await call(server.app, 'GET', `${API}/webhooks`)
    expect(listed.json.webhooks.map((w: { webhook_id: string }) => w.webhook_id)).toEqual([id])
    const tested = await call(server.app, 'POST', `${API}/webhooks/${id}/test`, {})
    expect(tested.json).toEqual({ result: { success: true, response_status: 204 } })
    expect(server.webhookTests).toEqual([id])

    await version('m')
    const deliveries = await call(server.app, 'GET', `/api/keel/v1/webhooks/${id}/deliveries?max_results=10`)
    expect(deliveries.json.deliveries).toHaveLength(1)
    expect(deliveries.json.deliveries[0]).toMatchObject({ webhook_id: id, status: 'PENDING', attempts: 0, event: { type: 'model_version.created' } })
    expect(JSON.stringify(deliveries.json)).not.toContain('s3cret')

    await call(server.app, 'DELETE', `${API}/webhooks/${id}`)
    expect((await call(server.app, 'GET', `${API}/webhooks/${id}`)).status).toBe(404)
    expect((await call(server.app, 'GET', `/api/keel/v1/webhooks/${id}/deliveries`)).status).toBe(404)
  })

  it('pages the webhook list and refuses a bad token', async () => {
    for (let i = 0; i < 3; i++) {
      await call(server.app, 'POST', `${API}/webhooks`, { name: `w${i}`, url: 'https://x.example', events: ['registered_model.created'] })
    }
    const first = await call(server.app, 'GET', `${API}/webhooks?max_results=2`)
    expect(first.json.webhooks).toHaveLength(2)
    const second = await call(server.app, 'GET', `${API}/webhooks?max_results=2&page_token=${first.json.next_page_token}`)
    expect(second.json.webhooks).toHaveLength(1)
    expect(second.json.next_page_token).toBeUndefined()
    expect((await call(server.app, 'GET', `${API}/webhooks?page_token=garbage`)).status).toBe(400)
  })
})
