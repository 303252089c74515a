import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POSTGRES_URL } from '../support/postgres.js'
import { startTestServer } from '../support/server-fixture.js'
import type { TestServer } from '../support/server-fixture.js'

/** keel adds each file's sha256 to MLflow's FileInfo; MLflow clients ignore unknown fields. */
const SHA256 = expect.stringMatching(/^[0-9a-f]{64}$/)

/**
 * Replays, over real HTTP, the calls the official MLflow Python client makes (reference §2.6): the same
 * methods, paths, query strings, JSON bodies and headers, and checks the JSON shapes the client parses.
 */

const CLIENT_HEADERS = { 'user-agent': 'mlflow-python-client/2.17.0' }

interface Reply {
  status: number
  json: any
  text: string
}

function mlflowClient(base: string) {
  const send = async (method: string, path: string, init: { json?: unknown; body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...CLIENT_HEADERS, ...init.headers }
    let body: Buffer | string | undefined = init.body
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(init.json)
    }
    const response = await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body }) })
    const text = await response.text()
    let json: unknown = undefined
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: response.status, json, text }
  }
  const query = (params: Record<string, string | string[]>): string =>
    Object.entries(params)
      .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((item) => `${encodeURIComponent(k)}=${encodeURIComponent(item)}`))
      .join('&')
  return {
    get: (path: string, params: Record<string, string | string[]> = {}) => send('GET', `/api/2.0/mlflow/${path}?${query(params)}`),
    post: (path: string, json: unknown) => send('POST', `/api/2.0/mlflow/${path}`, { json }),
    patch: (path: string, json: unknown) => send('PATCH', `/api/2.0/mlflow/${path}`, { json }),
    delete: (path: string, json: unknown) => send('DELETE', `/api/2.0/mlflow/${path}`, { json }),
    putArtifact: (path: string, body: Buffer | string, contentType: string) =>
      send('PUT', `/api/2.0/mlflow-artifacts/artifacts/${path}`, { body, headers: { 'content-type': contentType } }),
    getArtifact: (path: string) => send('GET', `/api/2.0/mlflow-artifacts/artifacts/${path}`),
    listArtifacts: (path: string) => send('GET', `/api/2.0/mlflow-artifacts/artifacts?${query({ path })}`),
    raw: send,
  }
}

/** `mlflow-artifacts:/X` resolves to the proxy path X (mlflow_artifacts_repo.py). */
function proxyPath(uri: string): string {
  expect(uri.startsWith('mlflow-artifacts:/')).toBe(true)
  return uri.slice('mlflow-artifacts:/'.length).replace(/^\/+/, '')
}

const stores = POSTGRES_URL === undefined ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const)

describe.each(stores)('MLflow Python client flow over HTTP (%s)', (store) => {
  let server: TestServer
  let client: ReturnType<typeof mlflowClient>

  beforeAll(async () => {
    server = await startTestServer({ store })
    await server.app.listen({ port: 0, host: '127.0.0.1' })
    const address = server.app.server.address()
    if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
    client = mlflowClient(`http://127.0.0.1:${address.port}`)
  })
  afterAll(async () => {
    await server.close()
  })

  it('tracks a run, logs an artifact, registers and resolves a model, and downloads it', async () => {
    // mlflow.set_experiment("fraud"): get-by-name 404 → create → get
    const absent = await client.get('experiments/get-by-name', { experiment_name: 'fraud' })
    expect(absent.status).toBe(404)
    expect(absent.json).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' })
    expect(absent.json.message).toEqual(expect.any(String))
    const created = await client.post('experiments/create', { name: 'fraud' })
    expect(created.status).toBe(200)
    expect(created.json).toEqual({ experiment_id: expect.stringMatching(/^\d+$/) })
    const experimentId = created.json.experiment_id as string
    const experiment = await client.get('experiments/get', { experiment_id: experimentId })
    expect(experiment.json.experiment).toMatchObject({
      experiment_id: experimentId,
      name: 'fraud',
      artifact_location: `mlflow-artifacts:/${experimentId}`,
      lifecycle_stage: 'active',
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
    })

    // mlflow.start_run()
    const startTime = 1_700_000_123_456
    const started = await client.post('runs/create', {
      experiment_id: experimentId,
      user_id: 'ada',
      start_time: startTime,
      run_name: 'baseline',
      tags: [
        { key: 'mlflow.user', value: 'ada' },
        { key: 'mlflow.source.name', value: 'train.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.source.git.commit', value: 'a'.repeat(40) },
        { key: 'mlflow.runName', value: 'baseline' },
      ],
    })
    expect(started.status).toBe(200)
    const info = started.json.run.info
    expect(info).toMatchObject({
      run_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      run_name: 'baseline',
      experiment_id: experimentId,
      user_id: 'ada',
      status: 'RUNNING',
      start_time: startTime,
      lifecycle_stage: 'active',
    })
    const runId = info.run_id as string
    expect(info.run_uuid).toBe(runId)
    expect(info.artifact_uri).toBe(`mlflow-artifacts:/${experimentId}/${runId}/artifacts`)
    expect(started.json.run.data.tags).toEqual(expect.arrayContaining([{ key: 'mlflow.source.name', value: 'train.py' }]))

    // mlflow.log_params({...}) → log-batch with params only
    expect(
      await client.post('runs/log-batch', {
        run_id: runId,
        metrics: [],
        params: [
          { key: 'learning_rate', value: '0.1' },
          { key: 'max_depth', value: '6' },
        ],
        tags: [],
      }),
    ).toMatchObject({ status: 200, json: {} })
    // mlflow.log_metric("loss", 0.5) sends run_uuid too
    expect(
      await client.post('runs/log-metric', {
        run_id: runId,
        run_uuid: runId,
        key: 'loss',
        value: 0.5,
        timestamp: startTime + 1,
        step: 0,
      }),
    ).toMatchObject({ status: 200, json: {} })
    // mlflow.log_metrics(...) / autolog → log-batch with metrics (NaN as the string protobuf writes)
    const batch = await client.post('runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'loss', value: 0.25, timestamp: startTime + 2, step: 1 },
        { key: 'val_loss', value: 'NaN', timestamp: startTime + 2, step: 1 },
        { key: 'auc', value: 0.91, timestamp: startTime + 2, step: 1 },
      ],
      params: [],
      tags: [{ key: 'stage', value: 'dev' }],
    })
    expect(batch).toMatchObject({ status: 200, json: {} })
    // mlflow.set_tag
    expect(await client.post('runs/set-tag', { run_id: runId, run_uuid: runId, key: 'owner', value: 'risk-team' })).toMatchObject({
      status: 200,
    })

    // mlflow.log_artifact("report.txt"): runs/get (artifact_uri), then PUT
    const beforeUpload = await client.get('runs/get', { run_id: runId })
    const artifactUri = beforeUpload.json.run.info.artifact_uri as string
    const report = 'precision=0.9\nrecall=0.8\n'
    const put = await client.putArtifact(`${proxyPath(artifactUri)}/report.txt`, report, 'text/plain')
    expect(put).toMatchObject({ status: 200, json: {} })
    const modelFile = Buffer.from(JSON.stringify({ trees: [1, 2, 3] }))
    expect((await client.putArtifact(`${proxyPath(artifactUri)}/model/model.json`, modelFile, 'application/json')).status).toBe(200)
    expect((await client.putArtifact(`${proxyPath(artifactUri)}/model/MLmodel`, 'flavors: {}\n', 'application/octet-stream')).status).toBe(200)

    // mlflow.end_run()
    const ended = await client.post('runs/update', { run_id: runId, run_uuid: runId, status: 'FINISHED', end_time: startTime + 60_000 })
    expect(ended.json.run_info).toMatchObject({ run_id: runId, status: 'FINISHED', end_time: startTime + 60_000 })

    // MlflowClient().get_run → latest metric values, params, tags
    const run = (await client.get('runs/get', { run_id: runId })).json.run
    expect(run.data.metrics).toEqual(
      expect.arrayContaining([
        { key: 'loss', value: 0.25, timestamp: startTime + 2, step: 1 },
        { key: 'val_loss', value: 'NaN', timestamp: startTime + 2, step: 1 },
        { key: 'auc', value: 0.91, timestamp: startTime + 2, step: 1 },
      ]),
    )
    expect(run.data.params).toEqual(expect.arrayContaining([{ key: 'learning_rate', value: '0.1' }]))
    expect(run.data.tags).toEqual(expect.arrayContaining([{ key: 'owner', value: 'risk-team' }, { key: 'stage', value: 'dev' }]))
    const history = await client.get('metrics/get-history', { run_id: runId, metric_key: 'loss' })
    expect(history.json.metrics.map((m: { value: number }) => m.value)).toEqual([0.5, 0.25])

    // mlflow.search_runs(experiment_ids=[...], filter_string=..., order_by=[...])
    const other = await client.post('runs/create', { experiment_id: experimentId, start_time: startTime + 5, tags: [] })
    await client.post('runs/log-batch', {
      run_id: other.json.run.info.run_id,
      metrics: [{ key: 'auc', value: 0.7, timestamp: startTime, step: 0 }],
      params: [],
      tags: [],
    })
    const search = await client.post('runs/search', {
      experiment_ids: [experimentId],
      filter: "metrics.auc > 0.8 and params.max_depth = '6'",
      run_view_type: 'ACTIVE_ONLY',
      max_results: 1000,
      order_by: ['metrics.auc DESC'],
    })
    expect(search.status).toBe(200)
    expect(search.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([runId])
    expect(search.json).not.toHaveProperty('next_page_token')
    const all = await client.post('runs/search', { experiment_ids: [experimentId], max_results: 1, order_by: ['attributes.start_time ASC'] })
    expect(all.json.runs).toHaveLength(1)
    expect(all.json.next_page_token).toEqual(expect.any(String))

    // mlflow.register_model("runs:/<id>/model", "fraud"): create (already-exists tolerated), version, poll get
    const modelSource = `${artifactUri}/model`
    const registered = await client.post('registered-models/create', { name: 'fraud' })
    expect(registered.json.registered_model).toMatchObject({ name: 'fraud', creation_timestamp: expect.any(Number) })
    const again = await client.post('registered-models/create', { name: 'fraud' })
    expect(again.status).toBe(400)
    expect(again.json.error_code).toBe('RESOURCE_ALREADY_EXISTS')
    const v1 = await client.post('model-versions/create', { name: 'fraud', source: modelSource, run_id: runId, tags: [], run_link: '' })
    expect(v1.json.model_version).toMatchObject({
      name: 'fraud',
      version: '1',
      source: modelSource,
      run_id: runId,
      status: 'READY',
      current_stage: 'None',
    })
    const polled = await client.get('model-versions/get', { name: 'fraud', version: '1' })
    expect(polled.json.model_version.status).toBe('READY')

    // client.set_registered_model_alias / get_model_version_by_alias
    expect(await client.post('registered-models/alias', { name: 'fraud', alias: 'champion', version: '1' })).toMatchObject({
      status: 200,
      json: {},
    })
    const byAlias = await client.get('registered-models/alias', { name: 'fraud', alias: 'champion' })
    expect(byAlias.json.model_version).toMatchObject({ name: 'fraud', version: '1', aliases: ['champion'] })

    // mlflow.pyfunc.load_model("models:/fraud@champion"): alias → download URI → list → GET each file
    const download = await client.get('model-versions/get-download-uri', { name: 'fraud', version: '1' })
    expect(download.json).toEqual({ artifact_uri: modelSource })
    const listing = await client.listArtifacts(proxyPath(download.json.artifact_uri))
    expect(listing.json.files).toEqual([
      { path: 'MLmodel', is_dir: false, file_size: 12, digest: SHA256 },
      { path: 'model.json', is_dir: false, file_size: modelFile.length, digest: SHA256 },
    ])
    const fetched = await client.getArtifact(`${proxyPath(download.json.artifact_uri)}/model.json`)
    expect(fetched.status).toBe(200)
    expect(fetched.text).toBe(modelFile.toString())
    const runListing = await client.get('artifacts/list', { run_id: runId })
    expect(runListing.json).toEqual({
      root_uri: artifactUri,
      files: [
        { path: 'model', is_dir: true },
        { path: 'report.txt', is_dir: false, file_size: Buffer.byteLength(report), digest: SHA256 },
      ],
    })
  })

  it('serves the MLflow 3 log_model flow: logged model, outputs, upload, finalize, register by model id', async () => {
    const run = await client.post('runs/create', { experiment_id: '0', start_time: 1, tags: [] })
    const runId = run.json.run.info.run_id as string
    const logged = await client.post('logged-models', {
      experiment_id: '0',
      name: 'model',
      model_type: 'sklearn',
      source_run_id: runId,
      params: [{ key: 'C', value: '1.0' }],
      tags: [{ key: 'mlflow.user', value: 'ada' }],
    })
    expect(logged.status).toBe(200)
    const modelInfo = logged.json.model.info
    expect(modelInfo).toMatchObject({ model_id: expect.stringMatching(/^m-[0-9a-f]{32}$/), status: 'LOGGED_MODEL_PENDING', source_run_id: runId })
    expect((await client.post('runs/outputs', { run_id: runId, models: [{ model_id: modelInfo.model_id, step: 0 }] })).status).toBe(200)
    expect((await client.putArtifact(`${proxyPath(modelInfo.artifact_uri)}/MLmodel`, 'artifact_path: model\n', 'text/plain')).status).toBe(200)
    const finalized = await client.patch(`logged-models/${modelInfo.model_id}`, { model_id: modelInfo.model_id, status: 'LOGGED_MODEL_READY' })
    expect(finalized.json.model.info.status).toBe('LOGGED_MODEL_READY')
    await client.post('registered-models/create', { name: 'm3' })
    const version = await client.post('model-versions/create', {
      name: 'm3',
      source: `models:/${modelInfo.model_id}`,
      run_id: runId,
      model_id: modelInfo.model_id,
    })
    expect(version.json.model_version).toMatchObject({ version: '1', model_id: modelInfo.model_id, status: 'READY' })
    const tagged = await client.patch(`logged-models/${modelInfo.model_id}/tags`, {
      tags: [{ key: 'mlflow.modelVersions', value: JSON.stringify([{ name: 'm3', version: '1' }]) }],
    })
    expect(tagged.status).toBe(200)
    const download = await client.get('model-versions/get-download-uri', { name: 'm3', version: '1' })
    expect(download.json.artifact_uri).toBe(modelInfo.artifact_uri)
    const files = await client.listArtifacts(proxyPath(download.json.artifact_uri))
    expect(files.json.files).toEqual([{ path: 'MLmodel', is_dir: false, file_size: 21, digest: SHA256 }])
  })

  it('answers the error cases the client branches on with MLflow codes and statuses', async () => {
    await client.post('experiments/create', { name: 'dup' })
    const duplicate = await client.post('experiments/create', { name: 'dup' })
    expect(duplicate.status).toBe(400)
    expect(duplicate.json).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.any(String) })

    const unknownExperiment = await client.get('experiments/get-by-name', { experiment_name: 'no-such-experiment' })
    expect(unknownExperiment.status).toBe(404)
    expect(unknownExperiment.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST')

    await client.post('registered-models/create', { name: 'aliased' })
    await client.post('model-versions/create', { name: 'aliased', source: 's3://b/m' })
    const unknownAlias = await client.get('registered-models/alias', { name: 'aliased', alias: 'nope' })
    expect(unknownAlias.status).toBe(400)
    expect(unknownAlias.json.error_code).toBe('INVALID_PARAMETER_VALUE')

    // get_latest_versions tries POST, then GET only on ENDPOINT_NOT_FOUND; both must work
    const latest = await client.post('registered-models/get-latest-versions', { name: 'aliased', stages: [] })
    expect(latest.json.model_versions.map((v: { version: string }) => v.version)).toEqual(['1'])
    const unknownRoute = await client.raw('POST', '/api/2.0/mlflow/registered-models/get-latest-versions-v9', { json: {} })
    expect(unknownRoute.status).toBe(404)
    expect(unknownRoute.json.error_code).toBe('ENDPOINT_NOT_FOUND')

    const unknownRun = await client.get('runs/get', { run_id: 'f'.repeat(32) })
    expect(unknownRun.status).toBe(404)
    expect(unknownRun.json.error_code).toBe('RESOURCE_DOES_NOT_EXIST')

    const serverInfo = await client.raw('GET', '/api/3.0/mlflow/server-info')
    expect(serverInfo.json).toMatchObject({ store_type: 'SqlStore', workspaces_enabled: false })
    const health = await client.raw('GET', '/health')
    expect(health).toMatchObject({ status: 200, text: 'OK' })
  })
})
