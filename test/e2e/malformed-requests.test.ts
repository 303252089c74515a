import type { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { endpointPaths } from '../../src/protocol/endpoint.js'
import type { Endpoint, HttpMethod } from '../../src/protocol/endpoint.js'
import { ENDPOINTS } from '../../src/protocol/endpoints.js'
import type { EndpointName } from '../../src/protocol/endpoints.js'
import { MAX_FEEDBACK_PER_REQUEST } from '../../src/protocol/monitoring-endpoints.js'
import { MAX_PREDICTIONS_PER_REQUEST } from '../../src/protocol/prediction-endpoints.js'
import { call, startTestServer } from '../support/server-fixture.js'
import type { TestServer } from '../support/server-fixture.js'

/**
 * A corpus of malformed requests against every route. Each must be answered 4xx in the error shape (never
 * 5xx), and none may change stored state: a snapshot of everything (searches, histories, alias moves,
 * webhooks, deliveries, stored predictions, feedback and alerts, artifact listing) is identical before and after the whole corpus.
 */

const API = '/api/2.0/mlflow'
const KEEL = '/api/keel/v1'
const PREDICTIONS = `${KEEL}/predictions`
const PROXY = '/api/2.0/mlflow-artifacts/artifacts'
const UNKNOWN_RUN = 'f'.repeat(32)
const UNKNOWN_MODEL_ID = `m-${'0'.repeat(32)}`

interface Seed {
  experimentId: string
  runId: string
  loggedModelId: string
  webhookId: string
  root: string
}

interface Case {
  label: string
  method: HttpMethod
  url: string
  body?: string | Buffer
  contentType?: string
}

let server: TestServer
let seed: Seed

async function ok(method: HttpMethod, url: string, body?: unknown): Promise<any> {
  const res = await call(server.app, method, url, body)
  if (res.status !== 200) throw new Error(`seeding ${method} ${url} failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.json
}

/** A valid captured prediction on the wire. */
function wirePrediction(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `pred-${i}`,
    deployment: 'fraud',
    model: 'seeded-model',
    version: '1',
    arm: i % 3 === 0 ? 'challenger' : 'champion',
    timestamp: 1_700_000_000_000 + i,
    inputs: { amount: i, country: 'DE', missing: null },
    outputs: { prediction: i % 2, probability_0: 0.75, probability_1: 0.25 },
    ...extra,
  }
}

/** A valid fired alert on the wire. */
function wireAlert(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    rule: 'psi-high',
    model: 'seeded-model',
    version: '1',
    metric: 'psi',
    value: 0.4,
    threshold: 0.2,
    severity: 'warning',
    window: { index: 0, from: 1_700_000_000_000, to: 1_700_000_060_000, rows: 5 },
    fired_at: 1_700_000_061_000,
    ...extra,
  }
}

/** A valid pipeline run on the wire. */
function wirePipelineRun(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    pipeline: 'fraud-training',
    definition_digest: 'sha256:def',
    params: { rows: 10, region: 'EU' },
    status: 'running',
    tracking_run_id: `tr-${id}`,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...extra,
  }
}

/** A valid pipeline step on the wire. */
function wireStep(runId: string, step: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { run_id: runId, step, status: 'pending', attempt: 0, cache_key: `key-${step}`, cache_reason: 'no previous run', attempts: [], ...extra }
}

const PIPELINE_RUN = 'prun-1'

async function seedStores(): Promise<Seed> {
  const { experiment_id: experimentId } = await ok('POST', `${API}/experiments/create`, { name: 'seeded', tags: [{ key: 'team', value: 'risk' }] })
  const run = await ok('POST', `${API}/runs/create`, { experiment_id: experimentId, run_name: 'seeded-run', start_time: 5 })
  const runId = run.run.info.run_id as string
  await ok('POST', `${API}/runs/log-batch`, {
    run_id: runId,
    metrics: Array.from({ length: 30 }, (_, i) => ({ key: 'loss', value: 1 / (i + 1), timestamp: i, step: i })),
    params: [{ key: 'lr', value: '0.1' }],
    tags: [{ key: 't', value: 'v' }],
  })
  const deleted = await ok('POST', `${API}/runs/create`, { experiment_id: experimentId, run_name: 'deleted-run' })
  await ok('POST', `${API}/runs/delete`, { run_id: deleted.run.info.run_id })
  const logged = await ok('POST', `${API}/logged-models`, { experiment_id: experimentId, name: 'lm', tags: [{ key: 'k', value: 'v' }] })
  await ok('POST', `${API}/registered-models/create`, { name: 'seeded-model', tags: [{ key: 'k', value: 'v' }] })
  await ok('POST', `${API}/model-versions/create`, { name: 'seeded-model', source: `runs:/${runId}/model`, run_id: runId })
  await ok('POST', `${API}/model-versions/create`, { name: 'seeded-model', source: 's3://bucket/model' })
  await ok('POST', `${API}/model-versions/set-tag`, { name: 'seeded-model', version: '1', key: 'k', value: 'v' })
  await ok('POST', `${API}/registered-models/alias`, { name: 'seeded-model', alias: 'champion', version: '1' })
  const webhook = await ok('POST', `${API}/webhooks`, {
    name: 'hook',
    url: 'https://hooks.example/keel',
    events: ['model_version.created', 'model_version_alias.created'],
    secret: 'sh',
  })
  await ok('POST', `${API}/model-versions/create`, { name: 'seeded-model', source: 's3://bucket/model-3' })
  const root = `${experimentId}/${runId}/artifacts`
  await server.artifacts.put(`${root}/model/MLmodel`, Buffer.from('flavors: {}\n'))
  await server.artifacts.put(`${root}/report.txt`, Buffer.from('fine'))
  await ok('POST', `${PREDICTIONS}/batch`, { predictions: Array.from({ length: 5 }, (_, i) => wirePrediction(i)) })
  await ok('POST', `${KEEL}/feedback`, { feedback: [{ prediction_id: 'pred-0', outcome: 1 }, { prediction_id: 'pred-1', outcome: 0 }] })
  await ok('POST', `${KEEL}/alerts`, { alert: wireAlert('alert-1') })
  await ok('POST', `${KEEL}/pipelines/runs`, {
    run: wirePipelineRun(PIPELINE_RUN),
    steps: [
      wireStep(PIPELINE_RUN, 'ingest', { status: 'succeeded', attempt: 1, outputs: { rows: 10 }, worker: 'local', started_at: 1, finished_at: 2, attempts: [{ attempt: 1, worker: 'local', started_at: 1, finished_at: 2 }] }),
      wireStep(PIPELINE_RUN, 'train'),
    ],
  })
  await ok('POST', `${KEEL}/pipelines/logs`, { run_id: PIPELINE_RUN, step: 'ingest', line: 'read 10 rows', at: 2 })
  return { experimentId, runId, loggedModelId: logged.model.info.model_id, webhookId: webhook.webhook.webhook_id, root }
}

async function listTree(dir: string, depth = 0): Promise<unknown[]> {
  if (depth > 10) return []
  const out: unknown[] = []
  for (const entry of await server.artifacts.list(dir)) {
    const path = dir === '' ? entry.path : `${dir}/${entry.path}`
    out.push({ path, isDir: entry.isDir, size: entry.fileSize, digest: entry.digest })
    if (entry.isDir) out.push(...(await listTree(path, depth + 1)))
  }
  return out
}

/** Everything the stores hold, read through the services (not HTTP). */
async function snapshot(): Promise<unknown> {
  const { tracking, registry } = server
  const experiments = (await tracking.searchExperiments({ viewType: 'ALL', maxResults: 1000 })).items
  const experimentIds = experiments.map((e) => e.experimentId)
  const runs = (await tracking.searchRuns({ experimentIds, viewType: 'ALL', maxResults: 1000 })).items
  const histories = []
  for (const run of runs) {
    for (const metric of run.data.metrics) {
      histories.push((await tracking.getMetricHistory(run.info.runId, metric.key, { maxResults: 25_000 })).items)
    }
  }
  const loggedModels = (await tracking.searchLoggedModels({ experimentIds, maxResults: 50 })).items
  const models = (await registry.searchRegisteredModels({ maxResults: 1000 })).items
  const versions = (await registry.searchModelVersions({ maxResults: 1000 })).items
  const aliasMoves = []
  for (const model of models) aliasMoves.push(await registry.aliasHistory(model.name))
  const webhooks = await registry.listWebhooks()
  const deliveries = []
  for (const webhook of webhooks) deliveries.push(await registry.listDeliveries(webhook.webhookId, 1000))
  const store = server.predictions
  if (store === undefined) throw new Error('the test server has no prediction store')
  const predictions = { count: await store.countPredictions({}), page: await store.listPredictions({ maxResults: 50_000 }) }
  const monitoring = server.monitoring
  if (monitoring === undefined) throw new Error('the test server has no monitoring store')
  const feedback = await monitoring.listFeedback({ maxResults: 50_000 })
  const alerts = await monitoring.listAlerts({ maxResults: 50_000 })
  const pipelineStore = server.pipelines
  if (pipelineStore === undefined) throw new Error('the test server has no pipeline store')
  const pipelineRuns = await pipelineStore.listRuns({ maxResults: 10_000 })
  const pipelineSteps = []
  const pipelineLogs = []
  for (const run of pipelineRuns) {
    pipelineSteps.push(await pipelineStore.getSteps(run.id))
    pipelineLogs.push(await pipelineStore.logs(run.id))
  }
  return {
    experiments,
    runs,
    histories,
    loggedModels,
    models,
    versions,
    aliasMoves,
    webhooks,
    deliveries,
    predictions,
    feedback,
    alerts,
    pipelineRuns,
    pipelineSteps,
    pipelineLogs,
    artifacts: await listTree(''),
  }
}

/** A valid request message per endpoint (path parameters included); every case breaks it in one way. */
function validMessages(s: Seed): Record<EndpointName, Record<string, unknown>> {
  const run_id = s.runId
  const experiment_id = s.experimentId
  const name = 'seeded-model'
  return {
    createExperiment: { name: 'new-experiment' },
    getExperiment: { experiment_id },
    getExperimentByName: { experiment_name: 'seeded' },
    searchExperiments: { max_results: 10 },
    updateExperiment: { experiment_id, new_name: 'renamed' },
    deleteExperiment: { experiment_id },
    restoreExperiment: { experiment_id },
    setExperimentTag: { experiment_id, key: 'k', value: 'v' },
    deleteExperimentTag: { experiment_id, key: 'team' },
    createRun: { experiment_id, run_name: 'r', start_time: 1 },
    updateRun: { run_id, status: 'FINISHED', end_time: 9 },
    deleteRun: { run_id },
    restoreRun: { run_id },
    getRun: { run_id },
    searchRuns: { experiment_ids: [experiment_id], max_results: 10 },
    logMetric: { run_id, key: 'm', value: 1, timestamp: 1, step: 0 },
    logParam: { run_id, key: 'p2', value: 'v' },
    setTag: { run_id, key: 't2', value: 'v' },
    deleteTag: { run_id, key: 't' },
    logBatch: { run_id, metrics: [{ key: 'm', value: 1, timestamp: 1 }], params: [{ key: 'p3', value: 'x' }], tags: [{ key: 'a', value: 'b' }] },
    logInputs: { run_id, datasets: [{ dataset: { name: 'd', digest: 'x', source_type: 'local', source: 's' } }] },
    logOutputs: { run_id, models: [{ model_id: s.loggedModelId, step: 1 }] },
    logModel: { run_id, model_json: JSON.stringify({ artifact_path: 'm', flavors: {}, utc_time_created: 'now', run_id }) },
    getMetricHistory: { run_id, metric_key: 'loss', max_results: 10 },
    getMetricHistoryBulkInterval: { run_ids: [run_id], metric_key: 'loss', max_results: 10 },
    listArtifacts: { run_id, path: 'model' },
    createLoggedModel: { experiment_id, name: 'lm2' },
    getLoggedModel: { model_id: s.loggedModelId },
    finalizeLoggedModel: { model_id: s.loggedModelId, status: 'LOGGED_MODEL_READY' },
    deleteLoggedModel: { model_id: s.loggedModelId },
    searchLoggedModels: { experiment_ids: [experiment_id], max_results: 10 },
    setLoggedModelTags: { model_id: s.loggedModelId, tags: [{ key: 'a', value: 'b' }] },
    deleteLoggedModelTag: { model_id: s.loggedModelId, tag_key: 'k' },
    logLoggedModelParams: { model_id: s.loggedModelId, params: [{ key: 'a', value: 'b' }] },
    listArtifactsProxy: { path: s.root },
    createMultipartUpload: { artifact_path: `${s.root}/big.bin`, path: 'big.bin', num_parts: 2 },
    completeMultipartUpload: { artifact_path: `${s.root}/big.bin`, path: 'big.bin', upload_id: 'u' },
    abortMultipartUpload: { artifact_path: `${s.root}/big.bin`, path: 'big.bin', upload_id: 'u' },
    createRegisteredModel: { name: 'another-model' },
    renameRegisteredModel: { name, new_name: 'renamed-model' },
    updateRegisteredModel: { name, description: 'd' },
    deleteRegisteredModel: { name },
    getRegisteredModel: { name },
    searchRegisteredModels: { max_results: 10 },
    getLatestVersions: { name, stages: ['None'] },
    setRegisteredModelTag: { name, key: 'k2', value: 'v' },
    deleteRegisteredModelTag: { name, key: 'k' },
    setAlias: { name, alias: 'challenger', version: '2' },
    deleteAlias: { name, alias: 'champion' },
    getAlias: { name, alias: 'champion' },
    createModelVersion: { name, source: 's3://bucket/new' },
    updateModelVersion: { name, version: '1', description: 'd' },
    transitionStage: { name, version: '1', stage: 'Staging', archive_existing_versions: false },
    deleteModelVersion: { name, version: '1' },
    getModelVersion: { name, version: '1' },
    searchModelVersions: { max_results: 10 },
    getDownloadUri: { name, version: '1' },
    setModelVersionTag: { name, version: '1', key: 'k2', value: 'v' },
    deleteModelVersionTag: { name, version: '1', key: 'k' },
    createWebhook: { name: 'w', url: 'https://x.example/h', events: ['model_version.created'] },
    listWebhooks: { max_results: 10 },
    getWebhook: { webhook_id: s.webhookId },
    updateWebhook: { webhook_id: s.webhookId, name: 'renamed' },
    deleteWebhook: { webhook_id: s.webhookId },
    testWebhook: { webhook_id: s.webhookId },
    aliasHistory: { name, alias: 'champion' },
    sampledMetrics: { run_ids: [run_id], metric_key: 'loss', max_points: 10 },
    collectGarbage: { older_than_ms: 1000 },
    webhookDeliveries: { webhook_id: s.webhookId, max_results: 10 },
    serverInfo: {},
    appendPredictions: { predictions: [wirePrediction(100)] },
    listPredictions: { deployment: 'fraud', arm: 'champion', from: 1_700_000_000_000, to: 1_800_000_000_000, max_results: 10 },
    countPredictions: { deployment: 'fraud', model: 'seeded-model', version: '1', arm: 'champion', from: 1, to: 2_000_000_000_000 },
    postFeedback: { feedback: [{ prediction_id: 'pred-2', outcome: 1 }] },
    listFeedback: { prediction_ids: ['pred-0', 'pred-1'], max_results: 10 },
    appendAlert: { alert: wireAlert('alert-2') },
    lastAlert: { rule: 'psi-high', model: 'seeded-model' },
    listAlerts: { model: 'seeded-model', rule: 'psi-high', from: 1, to: 2_000_000_000_000, max_results: 10 },
    createPipelineRun: { run: wirePipelineRun('prun-2'), steps: [wireStep('prun-2', 'a')] },
    getPipelineRun: { run_id: PIPELINE_RUN },
    listPipelineRuns: { pipeline: 'fraud-training', status: 'running', max_results: 10 },
    setPipelineRunStatus: { run_id: PIPELINE_RUN, status: 'failed', error: 'boom' },
    getPipelineSteps: { run_id: PIPELINE_RUN },
    updatePipelineStep: { step: wireStep(PIPELINE_RUN, 'train', { status: 'running', attempt: 1 }), expected: ['pending'] },
    findCachedPipelineStep: { cache_key: 'key-ingest' },
    appendPipelineLog: { run_id: PIPELINE_RUN, step: 'train', line: 'hello', at: 3 },
    pipelineLogs: { run_id: PIPELINE_RUN, step: 'ingest' },
  }
}

const pathParams = (ep: Endpoint): string[] => [...ep.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')

function urlOf(ep: Endpoint, message: Record<string, unknown>, base = 0): string {
  const template = endpointPaths(ep)[base] ?? ''
  return template.replace(/\{([^}]+)\}/g, (_, p: string) =>
    p === ep.wildcard ? String(message[p]) : encodeURIComponent(String(message[p])),
  )
}

function query(message: Record<string, unknown>, skip: readonly string[]): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(message)) {
    if (skip.includes(key)) continue
    for (const item of Array.isArray(value) ? value : [value]) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(item))}`)
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`
}

function bodyOf(message: Record<string, unknown>, skip: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(Object.entries(message).filter(([k]) => !skip.includes(k))))
}

function request(ep: Endpoint, method: HttpMethod, message: Record<string, unknown>, label: string): Case {
  const inPath = pathParams(ep)
  const url = urlOf(ep, message)
  if (method === 'GET') return { label, method, url: `${url}${query(message, inPath)}` }
  return { label, method, url, body: bodyOf(message, inPath), contentType: 'application/json' }
}

/** A value the field's schema refuses, for a wrong-type case. */
function wrongValue(field: z.ZodType, method: HttpMethod): unknown {
  const candidates: unknown[] = method === 'GET' ? ['not-a-number-#', 'NOPE'] : [{ bad: true }, 12345.5, 'not-a-number-#', [[1]], true]
  return candidates.find((c) => !field.safeParse(c).success)
}

const OVERSIZED = Buffer.from(JSON.stringify({ name: 'x'.repeat(4 * 1024 * 1024 + 10) }))

function genericCases(name: EndpointName, ep: Endpoint, valid: Record<string, unknown>): Case[] {
  const cases: Case[] = []
  const shape = ep.request.shape as Record<string, z.ZodType>
  const inPath = pathParams(ep)
  const methods: HttpMethod[] = ep.alsoGet === true ? [ep.method, 'GET'] : [ep.method]
  const required = Object.keys(shape).filter((k) => !inPath.includes(k) && !shape[k]!.safeParse(undefined).success)
  for (const method of methods) {
    const tag = `${name} ${method}`
    if (required.length > 0) {
      const missing = Object.fromEntries(Object.entries(valid).filter(([k]) => inPath.includes(k)))
      cases.push(request(ep, method, missing, `${tag}: missing required fields`))
      for (const field of required) {
        const without = Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field))
        cases.push(request(ep, method, without, `${tag}: missing ${field}`))
      }
    }
    for (const [field, schema] of Object.entries(shape)) {
      if (inPath.includes(field)) continue
      // A query string turns any value into a list item, so GET lists cannot have a wrong type.
      const isList = schema.safeParse(['x']).success
      if (method === 'GET' && isList) continue
      const bad = wrongValue(schema, method)
      if (bad !== undefined) cases.push(request(ep, method, { ...valid, [field]: bad }, `${tag}: wrong type of ${field}`))
      const value = valid[field]
      if (method === 'GET' && value !== undefined) {
        const url = `${urlOf(ep, valid)}${query({ ...valid, [field]: [value, value] }, inPath)}`
        cases.push({ label: `${tag}: ${field} repeated`, method, url })
      }
    }
    if (method !== 'GET') {
      const url = urlOf(ep, valid)
      cases.push({ label: `${tag}: bad JSON`, method, url, body: '{"name": ', contentType: 'application/json' })
      for (const body of ['[1, 2]', '"text"', 'null', '42']) cases.push({ label: `${tag}: JSON ${body}`, method, url, body, contentType: 'application/json' })
      cases.push({ label: `${tag}: text/plain`, method, url, body: bodyOf(valid, inPath), contentType: 'text/plain' })
      cases.push({ label: `${tag}: form`, method, url, body: 'name=x', contentType: 'application/x-www-form-urlencoded' })
      cases.push({ label: `${tag}: no content type`, method, url, body: bodyOf(valid, inPath) })
      cases.push({ label: `${tag}: oversized`, method, url, body: OVERSIZED, contentType: 'application/json' })
    }
  }
  // Methods the path does not serve.
  const served = new Set(
    (Object.values(ENDPOINTS) as Endpoint[]).filter((other) => other.path === ep.path && other.api === ep.api).flatMap((o) => [o.method]),
  )
  if (methods.includes('GET')) served.add('GET')
  for (const method of ['GET', 'POST', 'PATCH', 'DELETE', 'PUT'] as HttpMethod[]) {
    if (served.has(method) || ep.wildcard !== undefined) continue
    cases.push({ label: `${name}: wrong method ${method}`, method, url: urlOf(ep, valid), ...(method === 'GET' ? {} : { body: '{}', contentType: 'application/json' }) })
  }
  return cases
}

/** Ids and names that name nothing; only for calls that would otherwise read or change that thing. */
const UNKNOWN: Partial<Record<EndpointName, Record<string, unknown>>> = {
  getExperiment: { experiment_id: '987654' },
  getExperimentByName: { experiment_name: 'no-such-experiment' },
  updateExperiment: { experiment_id: '987654' },
  deleteExperiment: { experiment_id: '987654' },
  restoreExperiment: { experiment_id: '987654' },
  setExperimentTag: { experiment_id: '987654' },
  deleteExperimentTag: { experiment_id: '987654' },
  createRun: { experiment_id: '987654' },
  updateRun: { run_id: UNKNOWN_RUN },
  deleteRun: { run_id: UNKNOWN_RUN },
  restoreRun: { run_id: UNKNOWN_RUN },
  getRun: { run_id: UNKNOWN_RUN },
  logMetric: { run_id: UNKNOWN_RUN },
  logParam: { run_id: UNKNOWN_RUN },
  setTag: { run_id: UNKNOWN_RUN },
  deleteTag: { run_id: UNKNOWN_RUN },
  logBatch: { run_id: UNKNOWN_RUN },
  logInputs: { run_id: UNKNOWN_RUN },
  logOutputs: { run_id: UNKNOWN_RUN },
  logModel: { run_id: UNKNOWN_RUN },
  listArtifacts: { run_id: UNKNOWN_RUN },
  getMetricHistory: { run_id: UNKNOWN_RUN },
  getMetricHistoryBulkInterval: { run_ids: [UNKNOWN_RUN] },
  sampledMetrics: { run_ids: [UNKNOWN_RUN] },
  aliasHistory: { name: 'no-such-model' },
  createLoggedModel: { experiment_id: '987654' },
  getLoggedModel: { model_id: UNKNOWN_MODEL_ID },
  finalizeLoggedModel: { model_id: UNKNOWN_MODEL_ID },
  deleteLoggedModel: { model_id: UNKNOWN_MODEL_ID },
  setLoggedModelTags: { model_id: UNKNOWN_MODEL_ID },
  deleteLoggedModelTag: { model_id: UNKNOWN_MODEL_ID },
  logLoggedModelParams: { model_id: UNKNOWN_MODEL_ID },
  renameRegisteredModel: { name: 'no-such-model' },
  updateRegisteredModel: { name: 'no-such-model' },
  deleteRegisteredModel: { name: 'no-such-model' },
  getRegisteredModel: { name: 'no-such-model' },
  getLatestVersions: { name: 'no-such-model' },
  setRegisteredModelTag: { name: 'no-such-model' },
  deleteRegisteredModelTag: { name: 'no-such-model' },
  setAlias: { version: '999' },
  getAlias: { alias: 'nope' },
  createModelVersion: { name: 'no-such-model' },
  updateModelVersion: { version: '999' },
  transitionStage: { version: '999' },
  deleteModelVersion: { version: '999' },
  getModelVersion: { version: '999' },
  getDownloadUri: { version: '999' },
  setModelVersionTag: { version: '999' },
  deleteModelVersionTag: { version: '999' },
  getWebhook: { webhook_id: 'wh-nope' },
  updateWebhook: { webhook_id: 'wh-nope' },
  deleteWebhook: { webhook_id: 'wh-nope' },
  testWebhook: { webhook_id: 'wh-nope' },
  webhookDeliveries: { webhook_id: 'wh-nope' },
  collectGarbage: { run_ids: [UNKNOWN_RUN] },
  getPipelineRun: { run_id: 'prun-nope' },
  setPipelineRunStatus: { run_id: 'prun-nope' },
  appendPipelineLog: { run_id: 'prun-nope' },
  updatePipelineStep: { step: wireStep('prun-nope', 'train', { status: 'running', attempt: 1 }) },
}

const b64 = (text: string): string => Buffer.from(text).toString('base64url')
const BAD_TOKENS = ['garbage!!', b64('not json'), b64('[1]'), b64('{"offset":-5}'), b64('{"offset":"x"}')]
const PAGED: EndpointName[] = [
  'searchExperiments',
  'searchRuns',
  'searchRegisteredModels',
  'searchModelVersions',
  'searchLoggedModels',
  'getMetricHistory',
  'listWebhooks',
  'listPredictions',
  'listFeedback',
  'listAlerts',
]
const SIZED: EndpointName[] = [...PAGED, 'getMetricHistoryBulkInterval', 'webhookDeliveries', 'sampledMetrics', 'listPipelineRuns']
const FILTERS: Partial<Record<EndpointName, string[]>> = {
  searchExperiments: ["name = ", "name ~ 'x'", "name = 'a' OR name = 'b'", "'unterminated", 'creation_time > soon', 'tags.x > 3 AND'],
  searchRuns: [
    'metrics.auc >>> 1',
    'params.lr = 0.1',
    "attributes.nope = 'x'",
    "metrics.auc > 'high'",
    "params.a = 'b' OR params.c = 'd'",
    "tags.t = 'unterminated",
    "datasets.foo = 'x'",
    "status IN ('RUNNING')",
    '(metrics.auc > 1)',
  ],
  searchRegisteredModels: ["foo = 'bar'", "name >> 'x'", "name = 'a' OR name = 'b'", "tags.k IN ('x')"],
  searchModelVersions: ["nope = 'x'", "run_id IN 'x'", "name ='unterminated", "name = 'a' OR name = 'b'"],
}
const ORDER_BYS: Partial<Record<EndpointName, string[]>> = {
  searchExperiments: ['name SIDEWAYS', 'nope DESC', 'metrics.x DESC'],
  searchRuns: ['metrics.auc SIDEWAYS', 'nope.x DESC', "'"],
  searchRegisteredModels: ['nope DESC', 'name SIDEWAYS'],
  searchModelVersions: ['nope DESC'],
}

function specificCases(s: Seed, valid: Record<EndpointName, Record<string, unknown>>): Case[] {
  const cases: Case[] = []
  const ep = (name: EndpointName): Endpoint => ENDPOINTS[name] as Endpoint
  for (const [name, override] of Object.entries(UNKNOWN) as Array<[EndpointName, Record<string, unknown>]>) {
    cases.push(request(ep(name), ep(name).method, { ...valid[name], ...override }, `${name}: unknown id`))
  }
  for (const name of PAGED) {
    for (const token of BAD_TOKENS) cases.push(request(ep(name), ep(name).method, { ...valid[name], page_token: token }, `${name}: page token ${token}`))
  }
  for (const name of SIZED) {
    const field = name === 'sampledMetrics' ? 'max_points' : 'max_results'
    for (const size of [1_000_000_000, 0, -1, 1.5]) {
      cases.push(request(ep(name), ep(name).method, { ...valid[name], [field]: size }, `${name}: ${field}=${size}`))
    }
  }
  for (const [name, filters] of Object.entries(FILTERS) as Array<[EndpointName, string[]]>) {
    for (const filter of filters) cases.push(request(ep(name), ep(name).method, { ...valid[name], filter }, `${name}: filter ${filter}`))
  }
  for (const [name, orders] of Object.entries(ORDER_BYS) as Array<[EndpointName, string[]]>) {
    for (const order of orders) cases.push(request(ep(name), ep(name).method, { ...valid[name], order_by: [order] }, `${name}: order_by ${order}`))
  }

  // log-batch limits and MLflow's value rules
  const metric = (i: number) => ({ key: `m${i % 7}`, value: i, timestamp: i, step: i })
  const kv = (i: number) => ({ key: `k${i}`, value: 'v' })
  const batches: Array<[string, Record<string, unknown>]> = [
    ['1001 metrics', { metrics: Array.from({ length: 1001 }, (_, i) => metric(i)) }],
    ['101 params', { params: Array.from({ length: 101 }, (_, i) => kv(i)) }],
    ['101 tags', { tags: Array.from({ length: 101 }, (_, i) => kv(i)) }],
    ['1001 entries', { metrics: Array.from({ length: 1000 }, (_, i) => metric(i)), tags: [kv(1)] }],
    ['changed param', { params: [{ key: 'lr', value: '0.2' }] }],
    ['conflicting params', { params: [{ key: 'new', value: 'a' }, { key: 'new', value: 'b' }] }],
    ['param too long', { params: [{ key: 'long', value: 'x'.repeat(6001) }] }],
    ['tag too long', { tags: [{ key: 'long', value: 'x'.repeat(8001) }] }],
    ['key with ..', { metrics: [{ key: '../etc', value: 1, timestamp: 1 }] }],
    ['empty key', { params: [{ key: '', value: '1' }] }],
    ['bad key characters', { tags: [{ key: 'a;drop', value: '1' }] }],
    ['fractional step', { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 1.5 }] }],
    ['timestamp as word', { metrics: [{ key: 'm', value: 1, timestamp: 'now' }] }],
    ['value as word', { metrics: [{ key: 'm', value: 'high', timestamp: 1 }] }],
  ]
  for (const [label, extra] of batches) {
    cases.push(request(ep('logBatch'), 'POST', { run_id: s.runId, ...extra }, `logBatch: ${label}`))
  }
  cases.push(request(ep('logParam'), 'POST', { run_id: s.runId, key: 'lr', value: '0.3' }, 'logParam: changed value'))
  cases.push(request(ep('logBatch'), 'POST', { run_id: 'bad id!', metrics: [metric(1)] }, 'logBatch: malformed run id'))

  // other domain rules
  const more: Array<[EndpointName, Record<string, unknown>, string]> = [
    ['createExperiment', { name: '' }, 'empty name'],
    ['createExperiment', { name: 'seeded' }, 'duplicate name'],
    ['createExperiment', { name: 'x'.repeat(501) }, 'name too long'],
    ['updateExperiment', { experiment_id: s.experimentId, new_name: '' }, 'empty new name'],
    ['getExperiment', { experiment_id: 'abc' }, 'non-numeric id'],
    ['updateRun', { run_id: s.runId, status: 'DONE' }, 'unknown status'],
    ['createRun', { experiment_id: s.experimentId, run_name: 'x'.repeat(251) }, 'run name too long'],
    ['logMetric', { run_id: s.runId, key: 'm', value: 1 }, 'no timestamp'],
    ['logModel', { run_id: s.runId, model_json: 'not json' }, 'model_json not JSON'],
    ['logModel', { run_id: s.runId, model_json: '{"flavors": {}}' }, 'model_json missing fields'],
    ['logModel', { run_id: s.runId, model_json: '[1]' }, 'model_json a list'],
    ['finalizeLoggedModel', { model_id: s.loggedModelId, status: 'LOGGED_MODEL_PENDING' }, 'finalize as pending'],
    ['searchLoggedModels', { experiment_ids: [s.experimentId], filter: "name = 'x'" }, 'filter'],
    ['createRegisteredModel', { name: 'seeded-model' }, 'duplicate name'],
    ['createRegisteredModel', { name: 'a/b' }, 'slash in name'],
    ['createRegisteredModel', { name: '' }, 'empty name'],
    ['updateRegisteredModel', { name: 'seeded-model', description: 'x'.repeat(100_001) }, 'description too long'],
    ['setAlias', { name: 'seeded-model', alias: 'latest', version: '1' }, 'reserved alias latest'],
    ['setAlias', { name: 'seeded-model', alias: 'v12', version: '1' }, 'reserved alias v12'],
    ['setAlias', { name: 'seeded-model', alias: 'bad alias!', version: '1' }, 'bad alias characters'],
    ['setAlias', { name: 'seeded-model', alias: 'ok', version: 'one' }, 'non-numeric version'],
    ['transitionStage', { name: 'seeded-model', version: '1', stage: 'Prod', archive_existing_versions: false }, 'unknown stage'],
    ['transitionStage', { name: 'seeded-model', version: '1', stage: 'Staging' }, 'archive flag missing'],
    ['getLatestVersions', { name: 'seeded-model', stages: ['Prod'] }, 'unknown stage'],
    ['createModelVersion', { name: 'seeded-model', source: 's3://x', lineage: { environment: 'node' } }, 'lineage of the wrong shape'],
    ['createWebhook', { name: 'w', url: 'not a url', events: ['model_version.created'] }, 'bad url'],
    ['createWebhook', { name: 'w', url: 'ftp://x.example', events: ['model_version.created'] }, 'non-http url'],
    ['createWebhook', { name: 'w', url: 'https://x.example', events: [] }, 'no events'],
    ['createWebhook', { name: 'w', url: 'https://x.example', events: ['prompt.created'] }, 'unknown event'],
    ['updateWebhook', { webhook_id: s.webhookId, status: 'PAUSED' }, 'unknown status'],
    ['getMetricHistoryBulkInterval', { run_ids: [s.runId], metric_key: 'loss', start_step: 5 }, 'start without end'],
    ['getMetricHistoryBulkInterval', { run_ids: [s.runId], metric_key: 'loss', start_step: 5, end_step: 1 }, 'start after end'],
    ['getMetricHistoryBulkInterval', { run_ids: Array.from({ length: 101 }, (_, i) => `r${i}`), metric_key: 'loss' }, '101 runs'],
    ['sampledMetrics', { run_ids: [s.runId], metric_key: 'loss', start_step: 9, end_step: 1 }, 'start after end'],
    ['collectGarbage', { older_than_ms: -5 }, 'negative age'],
    ['aliasHistory', { name: 'seeded-model', alias: 'bad alias!' }, 'bad alias'],
    ['listPredictions', { arm: 'sideways' }, 'unknown arm'],
    ['listPredictions', { from: 10, to: 5 }, 'from after to'],
    ['listPredictions', { from: 'yesterday' }, 'from as word'],
    ['listPredictions', { to: 1.5 }, 'fractional to'],
    ['listPredictions', { from: 2 ** 60 }, 'from beyond 2^53'],
    ['countPredictions', { from: 10, to: 5 }, 'from after to'],
    ['countPredictions', { arm: 'CHAMPION' }, 'arm in capitals'],
    ['countPredictions', { to: 'soon' }, 'to as word'],
    ['postFeedback', { feedback: [] }, 'no outcomes'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: 1 }, { prediction_id: 'no-such-prediction', outcome: 1 }] }, 'unknown prediction last'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: 1 }, { prediction_id: 'pred-0', outcome: 0 }] }, 'relabelled prediction'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: 1 }, { prediction_id: 'pred-2', outcome: 0 }] }, 'two outcomes for one id'],
    ['postFeedback', { feedback: [{ prediction_id: '', outcome: 1 }] }, 'empty prediction id'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: 'seven' }] }, 'outcome not a class'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: '' }] }, 'empty outcome'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: null }] }, 'null outcome'],
    ['postFeedback', { feedback: [{ prediction_id: 'pred-2', outcome: [1] }] }, 'list outcome'],
    ['postFeedback', { feedback: Array.from({ length: MAX_FEEDBACK_PER_REQUEST + 1 }, (_, i) => ({ prediction_id: `pred-${i % 5}`, outcome: 1 })) }, 'too many outcomes'],
    ['appendAlert', { alert: wireAlert('alert-3', { severity: 'urgent' }) }, 'unknown severity'],
    ['appendAlert', { alert: wireAlert('', {}) }, 'empty id'],
    ['appendAlert', { alert: wireAlert('alert-3', { window: { index: 0, from: 'soon', to: 1, rows: 1 } }) }, 'window from as word'],
    ['appendAlert', { alert: wireAlert('alert-3', { window: undefined }) }, 'no window'],
    ['appendAlert', { alert: wireAlert('alert-3', { fired_at: 1.5 }) }, 'fractional fired_at'],
    ['lastAlert', { rule: '', model: 'seeded-model' }, 'empty rule'],
    ['listAlerts', { from: 10, to: 5 }, 'from after to'],
    ['listAlerts', { from: 'yesterday' }, 'from as word'],
    ['createPipelineRun', { run: wirePipelineRun(PIPELINE_RUN), steps: [] }, 'run id already stored'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3'), steps: [wireStep('prun-3', 'a'), wireStep('prun-3', 'a')] }, 'duplicate step names'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3'), steps: [wireStep('prun-3', 'a'), wireStep('prun-other', 'b')] }, 'step of another run'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3', { status: 'exploded' }), steps: [] }, 'unknown run status'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3', { params: [1, 2] }), steps: [] }, 'params a list'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3', { created_at: -1 }), steps: [] }, 'negative created_at'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3', { id: '' }), steps: [] }, 'empty id'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3'), steps: [wireStep('prun-3', 'a', { status: 'done' })] }, 'unknown step status'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3'), steps: [wireStep('prun-3', 'a', { outputs: 'yes' })] }, 'outputs a string'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3'), steps: [wireStep('prun-3', 'a', { attempts: [{ attempt: 0, worker: 'w', started_at: 1 }] })] }, 'attempt 0'],
    ['createPipelineRun', { run: wirePipelineRun('prun-3'), steps: [wireStep('prun-3', 'a', { attempt: 1.5 })] }, 'fractional attempt'],
    ['setPipelineRunStatus', { run_id: PIPELINE_RUN, status: 'done' }, 'unknown status'],
    ['updatePipelineStep', { step: wireStep(PIPELINE_RUN, 'nope', { status: 'running' }), expected: ['pending'] }, 'unknown step'],
    ['updatePipelineStep', { step: wireStep(PIPELINE_RUN, 'train', { status: 'running' }), expected: [] }, 'no expected status'],
    ['updatePipelineStep', { step: wireStep(PIPELINE_RUN, 'train', { status: 'running' }), expected: ['waiting'] }, 'unknown expected status'],
    ['listPipelineRuns', { status: 'exploded' }, 'unknown status'],
    ['appendPipelineLog', { run_id: PIPELINE_RUN, step: 'train', line: 'x', at: 'now' }, 'at as word'],
    ['appendPipelineLog', { run_id: PIPELINE_RUN, step: 'train', line: 'x', at: -5 }, 'negative at'],
    ['findCachedPipelineStep', { cache_key: '' }, 'empty cache key'],
  ]
  for (const [name, message, label] of more) cases.push(request(ep(name), ep(name).method, message, `${name}: ${label}`))

  // prediction batches: a bad record anywhere rejects the whole batch (the snapshot proves nothing was stored)
  const fresh = (i: number, extra: Record<string, unknown> = {}) => wirePrediction(1000 + i, extra)
  const predictionBatches: Array<[string, unknown]> = [
    [`${MAX_PREDICTIONS_PER_REQUEST + 1} predictions`, Array.from({ length: MAX_PREDICTIONS_PER_REQUEST + 1 }, (_, i) => fresh(i))],
    ['a list of lists', [[fresh(1)]]],
    ['a null record', [fresh(1), null]],
    ['unknown arm last', [fresh(1), fresh(2), fresh(3, { arm: 'sideways' })]],
    ['empty id', [fresh(1), fresh(2, { id: '' })]],
    ['no id', [fresh(1), { ...fresh(2), id: undefined }]],
    ['empty deployment', [fresh(1, { deployment: '' })]],
    ['no model', [{ ...fresh(1), model: undefined }]],
    ['version as number', [fresh(1, { version: 2 })]],
    ['timestamp as word', [fresh(1, { timestamp: 'now' })]],
    ['negative timestamp', [fresh(1), fresh(2, { timestamp: -1 })]],
    ['fractional timestamp', [fresh(1, { timestamp: 1.5 })]],
    ['timestamp beyond 2^53', [fresh(1, { timestamp: 2 ** 60 })]],
    ['nested input', [fresh(1, { inputs: { a: [1] } })]],
    ['input object', [fresh(1, { inputs: { a: { b: 1 } } })]],
    ['inputs a list', [fresh(1, { inputs: [1, 2] })]],
    ['outputs a string', [fresh(1, { outputs: 'yes' })]],
    ['boolean output', [fresh(1, { outputs: { prediction: true } })]],
  ]
  for (const [label, predictions] of predictionBatches) {
    cases.push(request(ep('appendPredictions'), 'POST', { predictions }, `appendPredictions: ${label}`))
  }

  // artifact paths that try to leave the store
  const traversal = ['a/../../etc/passwd', 'a/%2e%2e/%2e%2e/x', 'a/b%5Cc', 'a//b', 'a/%00', '%2Fetc%2Fpasswd', '..']
  for (const path of traversal) {
    cases.push({ label: `PUT artifact ${path}`, method: 'PUT', url: `${PROXY}/${path}`, body: 'x', contentType: 'application/octet-stream' })
    cases.push({ label: `GET artifact ${path}`, method: 'GET', url: `${PROXY}/${path}` })
    cases.push({ label: `DELETE artifact ${path}`, method: 'DELETE', url: `${PROXY}/${path}` })
    cases.push({ label: `mpu ${path}`, method: 'POST', url: `/api/2.0/mlflow-artifacts/mpu/create/${path}`, body: '{"path": "x"}', contentType: 'application/json' })
  }
  for (const path of ['../x', '/etc', 'a/../..', 'a\\b']) {
    cases.push({ label: `list proxy ${path}`, method: 'GET', url: `${PROXY}?path=${encodeURIComponent(path)}` })
    cases.push({ label: `list run ${path}`, method: 'GET', url: `${API}/artifacts/list?run_id=${s.runId}&path=${encodeURIComponent(path)}` })
  }
  cases.push({ label: 'GET missing artifact', method: 'GET', url: `${PROXY}/${s.root}/nope.bin` })
  cases.push({ label: 'GET artifact directory', method: 'GET', url: `${PROXY}/${s.root}/model` })
  cases.push({ label: 'PUT artifact over a file as directory', method: 'PUT', url: `${PROXY}/${s.root}/report.txt/inner`, body: 'x' })
  cases.push({ label: 'PUT empty artifact path', method: 'PUT', url: `${PROXY}/`, body: 'x' })

  // unknown routes
  for (const url of [`${API}/experiments/frobnicate`, '/api/2.0/mlflow', '/api/9.9/mlflow/experiments/get', '/api/keel/v1/nope', '/nope']) {
    cases.push({ label: `unknown route ${url}`, method: 'GET', url })
    cases.push({ label: `unknown route POST ${url}`, method: 'POST', url, body: '{}', contentType: 'application/json' })
  }
  return cases
}

describe('malformed requests', () => {
  let cases: Case[] = []
  let before: unknown

  beforeAll(async () => {
    server = await startTestServer()
    seed = await seedStores()
    const valid = validMessages(seed)
    for (const name of Object.keys(ENDPOINTS) as EndpointName[]) cases.push(...genericCases(name, ENDPOINTS[name] as Endpoint, valid[name]))
    cases.push(...specificCases(seed, valid))
    before = await snapshot()
  })
  afterAll(async () => {
    await server.close()
  })

  it('answers every one with 4xx in the error shape and changes nothing', async () => {
    expect(cases.length).toBeGreaterThan(800)
    const failures: string[] = []
    for (const c of cases) {
      const response = await server.app.inject({
        method: c.method,
        url: c.url,
        ...(c.body === undefined ? {} : { payload: c.body }),
        headers: c.contentType === undefined ? {} : { 'content-type': c.contentType },
      })
      let body: unknown
      try {
        body = JSON.parse(response.body)
      } catch {
        body = response.body
      }
      const shaped =
        body !== null &&
        typeof body === 'object' &&
        typeof (body as Record<string, unknown>)['error_code'] === 'string' &&
        typeof (body as Record<string, unknown>)['message'] === 'string'
      if (response.statusCode < 400 || response.statusCode >= 500 || !shaped) {
        failures.push(`${c.label} → ${response.statusCode} ${response.body.slice(0, 160)}`)
      }
    }
    expect(failures).toEqual([])
    expect(await snapshot()).toEqual(before)
  })

  it(`refuses ${MAX_PREDICTIONS_PER_REQUEST + 1} predictions in one batch with a 400 naming the field, storing none`, async () => {
    const before = await server.predictions?.countPredictions({})
    const predictions = Array.from({ length: MAX_PREDICTIONS_PER_REQUEST + 1 }, (_, i) => wirePrediction(50_000 + i))
    const res = await call(server.app, 'POST', `${PREDICTIONS}/batch`, { predictions })
    expect(res.status).toBe(400)
    expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE')
    expect(res.json.message).toContain("parameter 'predictions'")
    expect(res.json.message).toContain(`at most ${MAX_PREDICTIONS_PER_REQUEST} predictions per request`)
    expect(await server.predictions?.countPredictions({})).toBe(before)
    // the limit itself is accepted
    const atLimit = await call(server.app, 'POST', `${PREDICTIONS}/batch`, { predictions: predictions.slice(0, MAX_PREDICTIONS_PER_REQUEST) })
    expect(atLimit.status).toBe(200)
    expect(await server.predictions?.countPredictions({})).toBe((before ?? 0) + MAX_PREDICTIONS_PER_REQUEST)
  })

  it('also refuses the same malformed calls under /ajax-api', async () => {
    const res = await call(server.app, 'POST', '/ajax-api/2.0/mlflow/runs/log-batch', {
      run_id: seed.runId,
      params: Array.from({ length: 101 }, (_, i) => ({ key: `p${i}`, value: 'v' })),
    })
    expect(res.status).toBe(400)
    expect(res.json.error_code).toBe('INVALID_PARAMETER_VALUE')
    expect(res.json.message).toMatch(/100/)
  })
})
