import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import type { Frame } from '../core/frame.js'
import type { ColumnSpec } from '../registry/types.js'
import type { Scores, ScoringModel } from '../scoring/scoring-model.js'
import { ONNX_MLP, servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'
import type { ServingStore } from '../../test/support/serving-fixture.js'
import { openDeployment } from './deployment.js'
import { createServingApp } from './serving-app.js'
import type { ServingApp, ServingAppOptions } from './serving-app.js'
import { ServingMetrics } from './serving-metrics.js'
import type { CapturedPrediction, Deployment, DeploymentAnswer, ServedVersion, TrafficPolicy } from './types.js'

/** Prediction ids: a 64-bit random per-process prefix and a counter (captured-answer.ts: nextPredictionId). */
const PREDICTION_ID = /^[0-9a-f]{16}-[0-9a-f]{8,}$/

interface Answer {
  status: number
  headers: Headers
  json: Record<string, unknown>
  text: string
}

async function post(base: string, path: string, body: unknown, contentType = 'application/json', headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    // text answers (/ping, /version)
  }
  return { status: res.status, headers: res.headers, json, text }
}

async function get(base: string, path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`)
  const text = await res.text()
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    // text answers
  }
  return { status: res.status, headers: res.headers, json, text }
}

/** A deployment over given served versions (champion first), with controllable readiness and a slow-down hook. */
function fakeDeployment(name: string, served: ServedVersion[], state: { ready: boolean; gate?: Promise<void>; entered?: () => void } = { ready: true }): Deployment {
  let policy: TrafficPolicy = { kind: 'single' }
  return {
    name,
    ready: () => state.ready,
    versions: () => served,
    champion: () => served[0]!,
    async predict(frame: Frame): Promise<DeploymentAnswer> {
      state.entered?.()
      if (state.gate !== undefined) await state.gate
      return { served: served[0]!, arm: 'champion', scores: await served[0]!.scorer.score(frame) }
    },
    policy: () => policy,
    setPolicy: (p) => {
      policy = p
    },
    refresh: () => Promise.resolve(),
    close: () => Promise.resolve(),
  }
}

/** A tiny regressor over required typed columns: prediction = amount * 2 (+1 when kind = 'b'). */
function typedServed(): ServedVersion {
  const inputs: ColumnSpec[] = [
    { name: 'amount', type: 'double' },
    { name: 'count', type: 'long' },
    { name: 'kind', type: 'string' },
    { name: 'flag', type: 'boolean', required: false },
  ]
  const scorer: ScoringModel = {
    kind: 'toy',
    task: 'regression',
    classes: undefined,
    inputs: inputs.map((c) => c.name),
    schema: {},
    score(frame: Frame): Promise<Scores> {
      const amount = frame.numeric('amount')
      const kind = frame.column('kind')
      const out = new Float64Array(frame.rows)
      for (let r = 0; r < frame.rows; r++) {
        const isB = kind.kind === 'categorical' && kind.categories[kind.codes[r]!] === 'b'
        out[r] = amount[r]! * 2 + (isB ? 1 : 0)
      }
      return Promise.resolve({ prediction: out })
    },
    useThreads: () => Promise.resolve(1),
    close: () => Promise.resolve(),
  }
  return { model: 'toy', version: '7', alias: 'champion', scorer, inputs, outputs: [{ name: 'y', type: 'double' }], loadedAt: 0, loadMs: 0 }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 2))
  }
}

async function start(options: ServingAppOptions): Promise<{ serving: ServingApp; base: string }> {
  const serving = await createServingApp(options)
  const base = await serving.listen(0, '127.0.0.1')
  return { serving, base }
}

describe('serving app over the real XGBoost fixture', () => {
  let store: ServingStore
  let keel: Keel
  let fraud: Deployment
  let serving: ServingApp
  let base: string
  const captured: CapturedPrediction[] = []
  const metrics = new ServingMetrics({ defaultMetrics: false })
  const { features, inputs, probabilities } = xgbBinaryExpected()
  const rows = inputs.slice(0, 40)
  const expected = probabilities.slice(0, 40)

  beforeAll(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri)
    fraud = await openDeployment(keel, { name: 'fraud', champion: 'champion', challenger: 'challenger', batching: 'off' }, { pollMs: 0 })
    ;({ serving, base } = await start({
      deployments: [fraud, fakeDeployment('toy', [typedServed()])],
      metrics,
      capture: { sampled: () => true, offer: (p) => captured.push(p) },
      limits: { maxRows: 100, bodyLimitBytes: 64 * 1024 },
      version: '9.9.9',
    }))
  })
  afterAll(async () => {
    await serving?.close()
    await fraud?.close()
    await keel?.close()
    store?.remove()
  })

  const probaOf = (answer: Answer): number[] =>
    (answer.json['predictions'] as Array<Record<string, number>>).map((p) => p['probability_1']!)

  const expectMatches = (answer: Answer): void => {
    expect(answer.status, answer.text).toBe(200)
    const got = probaOf(answer)
    expect(got.length).toBe(expected.length)
    for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - expected[i]!)).toBeLessThan(1e-6)
    expect(answer.json['model_version']).toBe('1')
    expect(answer.headers.get('x-keel-model-version')).toBe('fraud/1')
    const ids = answer.json['prediction_ids'] as string[]
    expect(ids.length).toBe(expected.length)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(PREDICTION_ID)
    expect(answer.headers.get('x-keel-prediction-id')).toBe(ids[0])
  }

  it('/invocations answers XGBoost probabilities for dataframe_split, dataframe_records, instances, inputs and CSV', async () => {
    const records = rows.map((row) => Object.fromEntries(features.map((f, j) => [f, row[j]])))
    expectMatches(await post(base, '/invocations', { dataframe_split: { columns: features, data: rows } }))
    expectMatches(await post(base, '/invocations', { dataframe_records: records }))
    expectMatches(await post(base, '/invocations', { instances: records }))
    expectMatches(await post(base, '/invocations', { instances: rows }))
    expectMatches(await post(base, '/invocations', { inputs: Object.fromEntries(features.map((f, j) => [f, rows.map((r) => r[j])])) }))
    expectMatches(await post(base, '/invocations', { inputs: rows }))
    // Columns in another order, plus an extra column the model ignores (named in a header).
    const shuffled = [...features].reverse()
    const split = await post(base, '/invocations', {
      dataframe_split: { columns: [...shuffled, 'note'], data: rows.map((r) => [...shuffled.map((f) => r[features.indexOf(f)]), 'x']) },
    })
    expectMatches(split)
    expect(split.headers.get('x-keel-ignored-columns')).toBe('note')
    const csv = [features.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n'
    expectMatches(await post(base, '/invocations', csv, 'text/csv'))
    expectMatches(await post(base, '/invocations/fraud', { dataframe_split: { columns: features, data: rows } }))
    const classified = (await post(base, '/invocations', { instances: rows })).json['predictions'] as Array<Record<string, unknown>>
    expect(classified.map((p) => p['prediction'])).toEqual(expected.map((p) => (p > 0.5 ? '1' : '0')))
  })

  it('/v2 infer takes one tensor per column ([n] or [n,1]) or one [n, features] matrix', async () => {
    const perColumn = features.map((f, j) => ({ name: f, shape: [rows.length], datatype: 'FP64', data: rows.map((r) => r[j]) }))
    const perColumn2d = features.map((f, j) => ({ name: f, shape: [rows.length, 1], datatype: 'FP32', data: rows.map((r) => [r[j]]) }))
    const matrix = [{ name: 'input-0', shape: [rows.length, features.length], datatype: 'FP64', data: rows }]
    const flat = [{ name: 'input-0', shape: [rows.length, features.length], datatype: 'FP64', data: rows.flat() }]
    for (const tensors of [perColumn, perColumn2d, matrix, flat]) {
      const answer = await post(base, '/v2/models/fraud/infer', { id: 'req-42', inputs: tensors, parameters: { note: 1 } })
      expect(answer.status, answer.text).toBe(200)
      expect(answer.json).toMatchObject({ model_name: 'fraud', model_version: '1', id: 'req-42' })
      const outputs = answer.json['outputs'] as Array<{ name: string; shape: number[]; datatype: string; data: unknown[] }>
      const proba = outputs.find((o) => o.name === 'predict_proba')!
      expect(proba.shape).toEqual([rows.length, 2])
      for (let i = 0; i < rows.length; i++) expect(Math.abs((proba.data[2 * i + 1] as number) - expected[i]!)).toBeLessThan(1e-6)
      const predict = outputs.find((o) => o.name === 'predict')!
      expect(predict).toMatchObject({ shape: [rows.length], datatype: 'BYTES' })
      const ids = (answer.json['parameters'] as { prediction_ids: string[] }).prediction_ids
      expect(ids.length).toBe(rows.length)
      expect(answer.headers.get('x-keel-prediction-id')).toBe(ids[0])
    }
    const only = await post(base, '/v2/models/fraud/infer', { inputs: matrix, outputs: [{ name: 'predict_proba' }] })
    expect((only.json['outputs'] as unknown[]).length).toBe(1)
    const badOutput = await post(base, '/v2/models/fraud/infer', { inputs: matrix, outputs: [{ name: 'logits' }] })
    expect(badOutput.status).toBe(400)
    expect(badOutput.json['error']).toMatch(/logits/)
  })

  it('a pinned version must be loaded: /versions/2 answers from v2, /versions/3 is 404', async () => {
    const matrix = [{ name: 'x', shape: [1, 6], datatype: 'FP64', data: [rows[0]] }]
    const v2 = await post(base, '/v2/models/fraud/versions/2/infer', { inputs: matrix })
    expect(v2.status, v2.text).toBe(200)
    expect(v2.json['model_version']).toBe('2')
    expect(v2.headers.get('x-keel-model-version')).toBe('fraud/2')
    const v3 = await post(base, '/v2/models/fraud/versions/3/infer', { inputs: matrix })
    expect(v3.status).toBe(404)
    expect(v3.json).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST' })
    expect(v3.json['error']).toMatch(/Version '3'/)
    expect((await post(base, '/v2/models/nope/infer', { inputs: matrix })).status).toBe(404)
    expect((await post(base, '/invocations/nope', { instances: rows })).status).toBe(404)
  })

  it('health, metadata and version routes', async () => {
    expect((await get(base, '/v2/health/live')).json).toEqual({ live: true })
    expect((await get(base, '/v2/health/ready')).json).toEqual({ ready: true })
    expect((await get(base, '/v2')).json).toEqual({ name: 'keel', version: '9.9.9', extensions: [] })
    expect((await get(base, '/v2/models')).json).toEqual({ models: ['fraud', 'toy'] })
    const meta = (await get(base, '/v2/models/fraud')).json
    expect(meta).toMatchObject({ name: 'fraud', versions: ['1', '2'], platform: 'keel_xgboost' })
    expect(meta['inputs']).toEqual(features.map((name) => ({ name, datatype: 'FP64', shape: [-1] })))
    expect(meta['outputs']).toEqual([
      { name: 'predict', datatype: 'BYTES', shape: [-1] },
      { name: 'predict_proba', datatype: 'FP64', shape: [-1, 2] },
    ])
    expect((await get(base, '/v2/models/fraud/versions/2')).json).toMatchObject({ parameters: { version: '2' } })
    expect((await get(base, '/v2/models/fraud/versions/9')).status).toBe(404)
    expect((await get(base, '/v2/models/toy')).json['inputs']).toEqual([
      { name: 'amount', datatype: 'FP64', shape: [-1] },
      { name: 'count', datatype: 'INT64', shape: [-1] },
      { name: 'kind', datatype: 'BYTES', shape: [-1] },
      { name: 'flag', datatype: 'BOOL', shape: [-1] },
    ])
    expect((await get(base, '/v2/models/fraud/ready')).json).toEqual({ name: 'fraud', ready: true })
    expect((await get(base, '/v2/models/fraud/versions/2/ready')).status).toBe(200)
    expect((await get(base, '/v2/models/fraud/versions/5/ready')).status).toBe(503)
    for (const path of ['/ping', '/health']) expect(await get(base, path)).toMatchObject({ status: 200, text: 'ok\n' })
    expect((await get(base, '/version')).text).toBe('9.9.9')
    expect((await get(base, '/livez')).json).toEqual({ live: true })
    expect((await get(base, '/readyz')).json).toEqual({ ready: true })
    const missing = await get(base, '/v2/nothing')
    expect(missing.status).toBe(404)
    expect(missing.json).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' })
    expect(missing.json['error']).toBeTypeOf('string')
  })

  it('validates against the signature with errors naming the column, row and value', async () => {
    const toy = (body: unknown): Promise<Answer> => post(base, '/invocations/toy', body)
    const good = await toy({ dataframe_records: [{ amount: 1.5, count: 2, kind: 'b', flag: true }, { amount: 3, count: 1, kind: 'a' }] })
    expect(good.status, good.text).toBe(200)
    expect(good.json['predictions']).toEqual([4, 6])
    const cases: Array<[unknown, number, RegExp]> = [
      [{ dataframe_records: [{ amount: 1, count: 1, kind: 'a' }, { amount: 2, count: 1, kind: 'a' }, { amount: 'abc', count: 1, kind: 'a' }] }, 400, /Column 'amount' expects a number, row 3 has "abc"/],
      [{ dataframe_records: [{ amount: 'NaN', count: 1, kind: 'a' }] }, 400, /Column 'amount' .*"NaN"; send null/],
      [{ dataframe_records: [{ amount: 'Infinity', count: 1, kind: 'a' }] }, 400, /Column 'amount' expects a number, row 1 has "Infinity"/],
      ['{"dataframe_split": {"columns": ["amount", "count", "kind"], "data": [[1e999, 1, "a"]]}}', 400, /expects a finite number/],
      [{ dataframe_records: [{ count: 1, kind: 'a' }] }, 400, /no column 'amount'/],
      [{ dataframe_records: [{ amount: 1, count: 1.5, kind: 'a' }] }, 400, /Column 'count' expects an integer/],
      [{ dataframe_records: [{ amount: 1, count: 1, kind: 3 }] }, 400, /Column 'kind' expects a string/],
      [{ dataframe_records: [] }, 400, /no rows/],
      [{ instances: [[1, 2]] }, 400, /has 2 values; the model takes 4/],
      [{ something: [] }, 400, /none of dataframe_split/],
      [{ instances: [], inputs: [] }, 400, /both 'instances' and 'inputs'/],
      [[1, 2, 3], 400, /must be a JSON object/],
      [{ dataframe_records: Array.from({ length: 101 }, () => ({ amount: 1, count: 1, kind: 'a' })) }, 413, /101 rows; this server accepts at most 100/],
    ]
    for (const [body, status, message] of cases) {
      const answer = await toy(body)
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(status)
      expect(answer.json['message']).toMatch(message)
      expect(answer.json['error_code']).toBe(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_PARAMETER_VALUE')
      expect(answer.json['error']).toBeUndefined()
    }
    // null is missing for an optional double: the XGBoost fixture has missing values and answers them.
    expect((await post(base, '/invocations', { dataframe_records: [{ age: null, amount: null }] })).status).toBe(200)
    const v2 = await post(base, '/v2/models/toy/infer', { inputs: [{ name: 'amount', shape: [1], datatype: 'BYTES', data: ['x'] }] })
    expect(v2.status).toBe(400)
    expect(v2.json['error']).toMatch(/BYTES, but column 'amount' takes numbers/)
    const shape = await post(base, '/v2/models/fraud/infer', { inputs: [{ name: 'age', shape: [2], datatype: 'FP64', data: [1] }] })
    expect(shape.status).toBe(400)
    expect(shape.json['error']).toMatch(/shape \[2\]/)
  })

  it('transport errors: malformed JSON 400, wrong content type 415, body too large 413, CSV on /v2 415', async () => {
    const malformed = await post(base, '/invocations', '{"instances": [1,')
    expect(malformed.status).toBe(400)
    expect(malformed.json['message']).toMatch(/Malformed JSON/)
    expect((await post(base, '/invocations', 'x', 'text/plain')).status).toBe(415)
    const csvOnV2 = await post(base, '/v2/models/fraud/infer', 'a,b\n1,2\n', 'text/csv')
    expect(csvOnV2.status).toBe(415)
    expect(csvOnV2.json['error']).toBeTypeOf('string')
    const big = await post(base, '/invocations', JSON.stringify({ instances: [['x'.repeat(70 * 1024)]] }))
    expect(big.status).toBe(413)
    expect(big.json['message']).toMatch(/65536 bytes/)
    expect((await post(base, '/invocations', '', 'application/json')).status).toBe(400)
  })

  it('captures one prediction per row with inputs and outputs, and counts requests in metrics', async () => {
    captured.length = 0
    const answer = await post(base, '/invocations', { dataframe_split: { columns: features, data: rows.slice(0, 3) } })
    expect(answer.status).toBe(200)
    const ids = answer.json['prediction_ids'] as string[]
    expect(captured.map((c) => c.id)).toEqual(ids)
    expect(captured[0]).toMatchObject({ deployment: 'fraud', model: 'fraud', version: '1', arm: 'champion' })
    expect(captured[0]!.inputs).toEqual(Object.fromEntries(features.map((f, j) => [f, rows[0]![j]])))
    expect(Math.abs((captured[1]!.outputs['probability_1'] as number) - expected[1]!)).toBeLessThan(1e-6)
    expect(captured[1]!.outputs['prediction']).toBe(expected[1]! > 0.5 ? '1' : '0')
    const text = (await get(base, '/metrics')).text
    expect(text).toMatch(/keel_serving_requests_total\{model="fraud",version="1",protocol="invocations",status="200"\} \d+/)
    expect(text).toMatch(/keel_serving_requests_total\{[^}]*protocol="v2",status="400"\} \d+/)
    expect(text).toMatch(/keel_serving_in_flight_requests 0/)
  })
})

describe('serving app lifecycle', () => {
  it('answers 503 with Retry-After while not ready, and readiness follows', async () => {
    const state = { ready: false }
    const { serving, base } = await start({ deployments: [fakeDeployment('toy', [typedServed()], state)] })
    try {
      const body = { dataframe_records: [{ amount: 1, count: 1, kind: 'a' }] }
      const early = await post(base, '/invocations', body)
      expect(early.status).toBe(503)
      expect(early.headers.get('retry-after')).toBe('1')
      expect(early.json['error_code']).toBe('TEMPORARILY_UNAVAILABLE')
      expect((await get(base, '/v2/health/ready')).status).toBe(503)
      expect((await get(base, '/ping')).status).toBe(503)
      expect((await get(base, '/v2/health/live')).status).toBe(200)
      expect((await get(base, '/metrics')).status).toBe(404)
      state.ready = true
      expect((await post(base, '/invocations', body)).status).toBe(200)
      expect((await get(base, '/readyz')).status).toBe(200)
    } finally {
      await serving.close()
    }
  })

  it('times out slow predictions with 503, drains: new requests 503 while the in-flight one finishes, close waits for it', async () => {
    let release!: () => void
    const state = { ready: true, gate: new Promise<void>((resolve) => (release = resolve)) }
    const { serving, base } = await start({ deployments: [fakeDeployment('toy', [typedServed()], state)], limits: { requestTimeoutMs: 50 } })
    const body = { dataframe_records: [{ amount: 1, count: 1, kind: 'a' }] }
    const timedOut = await post(base, '/invocations', body)
    expect(timedOut.status).toBe(503)
    expect(timedOut.json['message']).toMatch(/No answer within 50 ms/)
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const slow = await createServingApp({ deployments: [fakeDeployment('toy', [typedServed()], { ...state, entered })] })
    const slowBase = await slow.listen(0, '127.0.0.1')
    const inFlight = post(slowBase, '/invocations', body)
    await inside
    slow.draining()
    expect((await get(slowBase, '/readyz')).status).toBe(503)
    const rejected = await post(slowBase, '/invocations', body)
    expect(rejected.status).toBe(503)
    expect(rejected.headers.get('retry-after')).toBe('1')
    let closed = false
    const closing = slow.close().then(() => (closed = true))
    await new Promise((r) => setImmediate(r))
    expect(closed).toBe(false)
    release()
    const finished = await inFlight
    expect(finished.status).toBe(200)
    await closing
    expect(closed).toBe(true)
    await serving.close()
  })

  it('close() answers a request sent on an idle keep-alive connection as the drain starts (503, connection: close), not ECONNRESET', async () => {
    const serving = await createServingApp({ deployments: [fakeDeployment('toy', [typedServed()])], drainGraceMs: 200 })
    const base = new URL(await serving.listen(0, '127.0.0.1'))
    const body = JSON.stringify({ dataframe_records: [{ amount: 1, count: 1, kind: 'a' }] })
    const request = `POST /invocations HTTP/1.1\r\nhost: ${base.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    const socket = connect(Number(base.port), base.hostname)
    socket.setEncoding('utf8')
    let received = ''
    let failure: Error | undefined
    const ended = new Promise<void>((resolve) => {
      socket.on('data', (chunk: string) => (received += chunk))
      socket.on('error', (error) => (failure = error))
      socket.on('close', () => resolve())
    })
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(request)
    await until(() => received.includes('"predictions"'))
    expect(received).toMatch(/^HTTP\/1\.1 200/)
    expect(received.toLowerCase()).toContain('connection: keep-alive')
    // The connection is idle now; the client sends its next request just as the server starts to close.
    received = ''
    const closing = serving.close()
    socket.write(request)
    await ended
    await closing
    expect(failure).toBeUndefined()
    expect(received).toMatch(/^HTTP\/1\.1 503/)
    expect(received.toLowerCase()).toContain('connection: close')
    expect(received).toContain('TEMPORARILY_UNAVAILABLE')
  })

  it('serves the ONNX MLP through /v2 as a [n, 8] FP32 tensor', async () => {
    const fixture = JSON.parse(readFileSync(join(ONNX_MLP, '..', 'mlp.json'), 'utf8')) as { rows: number[][]; probabilities: number[][] }
    const { OnnxModel } = await import('../models/formats/onnx.js')
    const onnx = await OnnxModel.fromBytes(readFileSync(ONNX_MLP), ONNX_MLP)
    // The imported model's ServedVersion: the signature's one tensor input. (Scored without `columns`:
    // loadScoringModel's ONNX path passes the tensor name as a column today; see the report.)
    const scorer: ScoringModel = {
      kind: 'onnx',
      task: undefined,
      classes: undefined,
      inputs: ['features'],
      schema: {},
      score: async (frame) => {
        const out = await onnx.predictFrame(frame)
        return { prediction: out, width: out.length / frame.rows }
      },
      useThreads: () => Promise.resolve(1),
      close: () => onnx.close(),
    }
    const served: ServedVersion = {
      model: 'mlp',
      version: '1',
      alias: 'champion',
      scorer,
      inputs: [{ name: 'features', type: 'tensor<float32>[batch,8]' }],
      outputs: [{ name: 'probabilities', type: 'tensor<float32>[batch,3]' }],
      loadedAt: 0,
      loadMs: 0,
    }
    const { serving, base } = await start({ deployments: [fakeDeployment('mlp', [served])] })
    try {
      const n = fixture.rows.length
      const answer = await post(base, '/v2/models/mlp/infer', { inputs: [{ name: 'features', shape: [n, 8], datatype: 'FP32', data: fixture.rows }] })
      expect(answer.status, answer.text).toBe(200)
      const predict = (answer.json['outputs'] as Array<{ name: string; shape: number[]; data: number[] }>)[0]!
      expect(predict.shape).toEqual([n, 3])
      const want = fixture.probabilities.flat()
      for (let i = 0; i < want.length; i++) expect(Math.abs(predict.data[i]! - want[i]!)).toBeLessThan(1e-6)
      const meta = (await get(base, '/v2/models/mlp')).json
      expect(meta['inputs']).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 8] }])
      const viaInvocations = await post(base, '/invocations', { instances: fixture.rows.slice(0, 2) })
      expect(viaInvocations.status).toBe(200)
      expect((viaInvocations.json['predictions'] as number[][])[1]![2]).toBeCloseTo(fixture.probabilities[1]![2]!, 6)
    } finally {
      await serving.close()
      await onnx.close()
    }
  })
})

