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

async function newRun(experimentId = '0', body: Record<string, unknown> = {}): Promise<string> {
  const res = await call(server.app, 'POST', `${API}/runs/create`, { experiment_id: experimentId, ...body })
  expect(res.status).toBe(200)
  return res.json.run.info.run_id as string
}

describe('experiments', () => {
  it('creates, renames, tags, deletes and restores an experiment', async () => {
    const created = await call(server.app, 'POST', `${API}/experiments/create`, {
      name: 'fraud',
      tags: [{ key: 'team', value: 'risk' }],
    })
    const id = created.json.experiment_id as string
    const byName = await call(server.app, 'GET', `${API}/experiments/get-by-name?experiment_name=fraud`)
    expect(byName.json.experiment).toMatchObject({
      experiment_id: id,
      name: 'fraud',
      artifact_location: `mlflow-artifacts:/${id}`,
      lifecycle_stage: 'active',
      tags: [{ key: 'team', value: 'risk' }],
    })
    expect(await call(server.app, 'POST', `${API}/experiments/update`, { experiment_id: id, new_name: 'fraud-v2' })).toMatchObject({
      status: 200,
      body: {},
    })
    await call(server.app, 'POST', `${API}/experiments/set-experiment-tag`, { experiment_id: id, key: 'stage', value: 'dev' })
    await call(server.app, 'POST', `${API}/experiments/delete-experiment-tag`, { experiment_id: id, key: 'team' })
    await call(server.app, 'POST', `${API}/experiments/delete`, { experiment_id: id })
    const deleted = await call(server.app, 'GET', `${API}/experiments/get?experiment_id=${id}`)
    expect(deleted.json.experiment).toMatchObject({ name: 'fraud-v2', lifecycle_stage: 'deleted', tags: [{ key: 'stage', value: 'dev' }] })
    const active = await call(server.app, 'POST', `${API}/experiments/search`, { view_type: 'ACTIVE_ONLY' })
    expect(active.json.experiments.map((e: { name: string }) => e.name)).toEqual(['Default'])
    await call(server.app, 'POST', `${API}/experiments/restore`, { experiment_id: id })
    const all = await call(server.app, 'POST', `${API}/experiments/search`, { view_type: 'ALL', order_by: ['name ASC'] })
    expect(all.json.experiments.map((e: { name: string }) => e.name)).toEqual(['Default', 'fraud-v2'])
  })

  it('answers a duplicate with 400 RESOURCE_ALREADY_EXISTS and an unknown name with 404', async () => {
    await call(server.app, 'POST', `${API}/experiments/create`, { name: 'dup' })
    const again = await call(server.app, 'POST', `${API}/experiments/create`, { name: 'dup' })
    expect(again).toMatchObject({ status: 400, json: { error_code: 'RESOURCE_ALREADY_EXISTS' } })
    const missing = await call(server.app, 'GET', `${API}/experiments/get-by-name?experiment_name=nope`)
    expect(missing).toMatchObject({ status: 404, json: { error_code: 'RESOURCE_DOES_NOT_EXIST' } })
    expect(missing.json.message).toContain("'nope'")
  })

  it('pages through experiments with next_page_token', async () => {
    for (let i = 0; i < 5; i++) await call(server.app, 'POST', `${API}/experiments/create`, { name: `e${i}` })
    const names: string[] = []
    let token: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const res = await call(server.app, 'POST', `${API}/experiments/search`, {
        max_results: 2,
        order_by: ['name'],
        ...(token === undefined ? {} : { page_token: token }),
      })
      names.push(...res.json.experiments.map((e: { name: string }) => e.name))
      token = res.json.next_page_token
      if (token === undefined) break
    }
    expect(names).toEqual(['Default', 'e0', 'e1', 'e2', 'e3', 'e4'])
  })
})

describe('runs', () => {
  it('logs params, metrics (NaN included) and tags, and reads them back', async () => {
    const runId = await newRun('0', { run_name: 'baseline', start_time: 1000 })
    await call(server.app, 'POST', `${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' })
    await call(server.app, 'POST', `${API}/runs/log-metric`, { run_uuid: runId, key: 'loss', value: 0.5, timestamp: 10, step: 1 })
    await call(server.app, 'POST', `${API}/runs/log-metric`, { run_id: runId, key: 'loss', value: 'NaN', timestamp: '11', step: '2' })
    await call(server.app, 'POST', `${API}/runs/set-tag`, { run_id: runId, key: 'note', value: 'hi' })
    await call(server.app, 'POST', `${API}/runs/log-batch`, {
      run_id: runId,
      metrics: [{ key: 'auc', value: 0.9, timestamp: 12 }],
      params: [{ key: 'depth', value: '6' }],
      tags: [{ key: 'note', value: 'updated' }],
    })
    const run = (await call(server.app, 'GET', `${API}/runs/get?run_id=${runId}`)).json.run
    expect(run.info).toMatchObject({ run_name: 'baseline', start_time: 1000, status: 'RUNNING' })
    expect(run.data.params).toEqual(expect.arrayContaining([{ key: 'lr', value: '0.1' }, { key: 'depth', value: '6' }]))
    expect(run.data.metrics).toEqual(
      expect.arrayContaining([
        { key: 'loss', value: 'NaN', timestamp: 11, step: 2 },
        { key: 'auc', value: 0.9, timestamp: 12, step: 0 },
      ]),
    )
    expect(run.data.tags).toContainEqual({ key: 'note', value: 'updated' })
    await call(server.app, 'POST', `${API}/runs/delete-tag`, { run_id: runId, key: 'note' })
    const ended = await call(server.app, 'POST', `${API}/runs/update`, { run_id: runId, status: 'FINISHED', end_time: 2000 })
    expect(ended.json.run_info).toMatchObject({ status: 'FINISHED', end_time: 2000 })
    const after = (await call(server.app, 'GET', `${API}/runs/get?run_id=${runId}`)).json.run
    expect(after.data.tags.some((t: { key: string }) => t.key === 'note')).toBe(false)
  })

  it('keeps params immutable: a different value is 400 and nothing else of the batch lands', async () => {
    const runId = await newRun()
    await call(server.app, 'POST', `${API}/runs/log-parameter`, { run_id: runId, key: 'lr', value: '0.1' })
    const res = await call(server.app, 'POST', `${API}/runs/log-batch`, {
      run_id: runId,
      params: [{ key: 'lr', value: '0.2' }],
      metrics: [{ key: 'm', value: 1, timestamp: 1 }],
    })
    expect(res).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE' } })
    expect(res.json.message).toContain('Changing param values is not allowed')
    const run = (await call(server.app, 'GET', `${API}/runs/get?run_id=${runId}`)).json.run
    expect(run.data.metrics).toEqual([])
  })

  it('enforces the log-batch limits with a message naming the limit', async () => {
    const runId = await newRun()
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, timestamp: i }))
    const res = await call(server.app, 'POST', `${API}/runs/log-batch`, { run_id: runId, metrics })
    expect(res.status).toBe(400)
    expect(res.json.message).toMatch(/1000/)
  })

  it('searches runs by filter and order, deletes and restores them', async () => {
    const a = await newRun('0', { run_name: 'a' })
    const b = await newRun('0', { run_name: 'b' })
    await call(server.app, 'POST', `${API}/runs/log-metric`, { run_id: a, key: 'auc', value: 0.7, timestamp: 1 })
    await call(server.app, 'POST', `${API}/runs/log-metric`, { run_id: b, key: 'auc', value: 0.9, timestamp: 1 })
    const found = await call(server.app, 'POST', `${API}/runs/search`, {
      experiment_ids: ['0'],
      filter: 'metrics.auc > 0.5',
      order_by: ['metrics.auc DESC'],
    })
    expect(found.json.runs.map((r: { info: { run_name: string } }) => r.info.run_name)).toEqual(['b', 'a'])
    await call(server.app, 'POST', `${API}/runs/delete`, { run_id: b })
    const active = await call(server.app, 'POST', `${API}/runs/search`, { experiment_ids: ['0'] })
    expect(active.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([a])
    const deleted = await call(server.app, 'POST', `${API}/runs/search`, { experiment_ids: ['0'], run_view_type: 'DELETED_ONLY' })
    expect(deleted.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([b])
    await call(server.app, 'POST', `${API}/runs/restore`, { run_id: b })
    expect((await call(server.app, 'POST', `${API}/runs/search`, { experiment_ids: ['0'] })).json.runs).toHaveLength(2)
    const bad = await call(server.app, 'POST', `${API}/runs/search`, { experiment_ids: ['0'], filter: 'metrics.auc >>> 1' })
    expect(bad).toMatchObject({ status: 400, json: { error_code: 'INVALID_PARAMETER_VALUE' } })
  })

  it('records inputs and outputs, and 2.x log-model in the history tag', async () => {
    const runId = await newRun()
    await call(server.app, 'POST', `${API}/runs/log-inputs`, {
      run_id: runId,
      datasets: [
        {
          tags: [{ key: 'mlflow.data.context', value: 'training' }],
          dataset: { name: 'train', digest: 'd1', source_type: 'local', source: 'train.csv' },
        },
      ],
    })
    const model = await call(server.app, 'POST', `${API}/logged-models`, { experiment_id: '0', name: 'm', source_run_id: runId })
    const modelId = model.json.model.info.model_id as string
    await call(server.app, 'POST', `${API}/runs/outputs`, { run_id: runId, models: [{ model_id: modelId, step: 3 }] })
    const modelJson = { artifact_path: 'model', flavors: { python_function: {} }, utc_time_created: '2024-01-01', run_id: runId, signature: { big: true } }
    expect((await call(server.app, 'POST', `${API}/runs/log-model`, { run_id: runId, model_json: JSON.stringify(modelJson) })).status).toBe(200)
    await call(server.app, 'POST', `${API}/runs/log-model`, { run_id: runId, model_json: JSON.stringify({ ...modelJson, artifact_path: 'm2' }) })
    const run = (await call(server.app, 'GET', `${API}/runs/get?run_id=${runId}`)).json.run
    expect(run.inputs.dataset_inputs).toEqual([
      {
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
        dataset: { name: 'train', digest: 'd1', source_type: 'local', source: 'train.csv' },
      },
    ])
    expect(run.outputs.model_outputs).toEqual([{ model_id: modelId, step: 3 }])
    const history = JSON.parse(run.data.tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history').value)
    expect(history.map((m: { artifact_path: string }) => m.artifact_path)).toEqual(['model', 'm2'])
    expect(history[0]).not.toHaveProperty('signature')
    const missing = await call(server.app, 'POST', `${API}/runs/log-model`, { run_id: runId, model_json: '{"flavors": {}}' })
    expect(missing.status).toBe(400)
    expect(missing.json.message).toContain('artifact_path')
  })
})

describe('metrics', () => {
  it('pages the history and samples it in bulk for charts', async () => {
    const runId = await newRun()
    const metrics = Array.from({ length: 50 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: 100 + i, step: i }))
    await call(server.app, 'POST', `${API}/runs/log-batch`, { run_id: runId, metrics })
    const first = await call(server.app, 'GET', `${API}/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=20`)
    expect(first.json.metrics).toHaveLength(20)
    expect(first.json.next_page_token).toBeTypeOf('string')
    const rest = await call(
      server.app,
      'GET',
      `${API}/metrics/get-history?run_id=${runId}&metric_key=loss&max_results=100&page_token=${first.json.next_page_token}`,
    )
    expect(rest.json.metrics.map((m: { step: number }) => m.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 20))
    const bulk = await call(
      server.app,
      'GET',
      `${API}/metrics/get-history-bulk-interval?run_ids=${runId}&metric_key=loss&max_results=10&start_step=0&end_step=49`,
    )
    expect(bulk.json.metrics.length).toBeGreaterThan(2)
    expect(bulk.json.metrics.length).toBeLessThanOrEqual(50)
    expect(bulk.json.metrics[0]).toMatchObject({ run_id: runId, key: 'loss', step: 0, value: 1 })
    const tooMany = await call(
      server.app,
      'GET',
      `${API}/metrics/get-history-bulk-interval?${Array.from({ length: 101 }, (_, i) => `run_ids=r${i}`).join('&')}&metric_key=loss`,
    )
    expect(tooMany.status).toBe(400)
    const sampled = await call(server.app, 'GET', `/api/keel/v1/metrics/sampled?run_ids=${runId}&metric_key=loss&max_points=8`)
    expect(sampled.json.series[0]).toMatchObject({ run_id: runId, key: 'loss', total_points: 50 })
    expect(sampled.json.series[0].steps.length).toBeLessThanOrEqual(50)
    expect(sampled.json.series[0].steps[0]).toBe(0)
    expect(sampled.json.series[0].steps.at(-1)).toBe(49)
  })
})

describe('logged models', () => {
  it('creates, finalizes, tags, searches and deletes logged models', async () => {
    const created = await call(server.app, 'POST', `${API}/logged-models`, {
      experiment_id: '0',
      name: 'clf',
      model_type: 'classifier',
      params: [{ key: 'alpha', value: '1' }],
    })
    expect(created.json.model.info).toMatchObject({ name: 'clf', status: 'LOGGED_MODEL_PENDING', model_type: 'classifier' })
    const id = created.json.model.info.model_id as string
    expect(created.json.model.info.artifact_uri).toBe(`mlflow-artifacts:/0/models/${id}/artifacts`)
    const ready = await call(server.app, 'PATCH', `${API}/logged-models/${id}`, { status: 'LOGGED_MODEL_READY' })
    expect(ready.json.model.info.status).toBe('LOGGED_MODEL_READY')
    await call(server.app, 'PATCH', `${API}/logged-models/${id}/tags`, { tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] })
    await call(server.app, 'DELETE', `${API}/logged-models/${id}/tags/a`)
    await call(server.app, 'POST', `${API}/logged-models/${id}/params`, { params: [{ key: 'beta', value: '2' }] })
    const got = await call(server.app, 'GET', `${API}/logged-models/${id}`)
    expect(got.json.model.info.tags).toEqual([{ key: 'b', value: '2' }])
    expect(got.json.model.data.params).toEqual(expect.arrayContaining([{ key: 'alpha', value: '1' }, { key: 'beta', value: '2' }]))
    const search = await call(server.app, 'POST', `${API}/logged-models/search`, { experiment_ids: ['0'] })
    expect(search.json.models.map((m: { info: { model_id: string } }) => m.info.model_id)).toEqual([id])
    expect((await call(server.app, 'POST', `${API}/logged-models/search`, { experiment_ids: ['0'], max_results: 51 })).status).toBe(400)
    expect(await call(server.app, 'DELETE', `${API}/logged-models/${id}`)).toMatchObject({ status: 200, body: {} })
    expect((await call(server.app, 'GET', `${API}/logged-models/${id}`)).status).toBe(404)
  })
})

describe('keel gc', () => {
  it('purges deleted runs with their artifacts', async () => {
    const runId = await newRun()
    await server.artifacts.put(`0/${runId}/artifacts/model.bin`, Buffer.from('weights'))
    await call(server.app, 'POST', `${API}/runs/delete`, { run_id: runId })
    server.clock.advance(1000)
    const report = await call(server.app, 'POST', '/api/keel/v1/gc', { older_than_ms: 0 })
    expect(report.json).toMatchObject({ run_ids: [runId], experiment_ids: [], artifact_files_deleted: 1 })
    expect(report.json.bytes_freed).toBeGreaterThan(0)
    expect((await call(server.app, 'GET', `${API}/runs/get?run_id=${runId}`)).status).toBe(404)
    expect(await server.artifacts.list(`0/${runId}/artifacts`)).toEqual([])
  })
})
