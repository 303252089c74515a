import { connect } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { createRandom } from '../../src/core/random.js'
import type { Random } from '../../src/core/random.js'
import { openDeployment } from '../../src/serving/deployment.js'
import { createServingApp } from '../../src/serving/serving-app.js'
import type { ServingApp } from '../../src/serving/serving-app.js'
import type { Deployment, ServedVersion } from '../../src/serving/types.js'
import { servingStore, xgbBinaryExpected } from '../support/serving-fixture.js'
import type { ServingStore } from '../support/serving-fixture.js'

/**
 * 10,000 malformed requests from a seeded generator against one serving app (a real XGBoost deployment and a
 * typed model with a string column): random JSON, wrong types, NaN and huge numbers, missing and extra
 * columns, broken OIP tensors, wrong content types, truncated and oversized bodies, deep nesting. None may be
 * answered 5xx, every error must be in keel's shape, the server must still answer a valid request, and the
 * heap must not grow without bound.
 */

const N = 10_000
const CONCURRENCY = 32
const MAX_ROWS = 1000
const BODY_LIMIT = 256 * 1024
const FEATURES = xgbBinaryExpected().features
const PATHS = ['/invocations', '/invocations/fraud', '/invocations/toy', '/v2/models/fraud/infer', '/v2/models/toy/infer', '/v2/models/fraud/versions/2/infer']

interface Case {
  path: string
  body: string
  contentType: string | undefined
}

const pick = <T>(rnd: Random, items: readonly T[]): T => items[rnd.int(items.length)]!

function weirdValue(rnd: Random): unknown {
  switch (rnd.int(14)) {
    case 0:
      return 'NaN'
    case 1:
      return 'Infinity'
    case 2:
      return 1e308
    case 3:
      return -1e308
    case 4:
      return 'x'.repeat(rnd.int(2000))
    case 5:
      return [1, [2, [3]]]
    case 6:
      return { a: 1 }
    case 7:
      return rnd.next() < 0.5
    case 8:
      return null
    case 9:
      return ''
    case 10:
      return -0
    case 11:
      return 2 ** 53 + 1
    case 12:
      return '__proto__'
    default:
      return rnd.normal() * 1e6
  }
}

function randomJson(rnd: Random, depth: number): unknown {
  const k = depth > 4 ? rnd.int(5) : rnd.int(8)
  switch (k) {
    case 0:
      return null
    case 1:
      return rnd.normal()
    case 2:
      return pick(rnd, ['', 'a', 'dataframe_split', 'inputs', 'NaN', 'amount'])
    case 3:
      return rnd.next() < 0.5
    case 4:
      return weirdValue(rnd)
    case 5:
    case 6: {
      const n = rnd.int(5)
      return Array.from({ length: n }, () => randomJson(rnd, depth + 1))
    }
    default: {
      const keys = ['dataframe_split', 'dataframe_records', 'instances', 'inputs', 'columns', 'data', 'name', 'shape', 'datatype', 'id', 'outputs', 'parameters', ...FEATURES, 'kind']
      const out: Record<string, unknown> = {}
      const n = rnd.int(4)
      for (let i = 0; i < n; i++) out[pick(rnd, keys)] = randomJson(rnd, depth + 1)
      return out
    }
  }
}

function validRows(rnd: Random, n: number): Array<Array<number | null>> {
  return Array.from({ length: n }, () => FEATURES.map(() => (rnd.next() < 0.1 ? null : rnd.normal())))
}

/** A valid body of a random format, then mutated. */
function mutatedBody(rnd: Random, path: string): unknown {
  const rows = validRows(rnd, 1 + rnd.int(4))
  const columns = [...FEATURES]
  const mutate = (row: unknown[]): void => {
    if (rnd.next() < 0.5) row[rnd.int(row.length)] = weirdValue(rnd)
  }
  rows.forEach(mutate)
  if (rnd.next() < 0.2) columns.pop()
  if (rnd.next() < 0.2) columns.push('extra')
  if (path.startsWith('/v2')) {
    const layout = rnd.int(3)
    if (layout === 0) return { inputs: [{ name: 'input-0', shape: [rows.length, columns.length], datatype: pick(rnd, ['FP64', 'FP32', 'BYTES', 'INT64', 'NOPE', 'BOOL']), data: rows }] }
    if (layout === 1) {
      return {
        id: rnd.next() < 0.5 ? 'x' : rnd.int(9),
        inputs: columns.map((name, j) => ({ name, shape: rnd.next() < 0.1 ? [rnd.int(1e6) * 1e9, 6] : [rows.length], datatype: pick(rnd, ['FP64', 'BYTES']), data: rows.map((r) => r[j]) })),
        outputs: rnd.next() < 0.2 ? [{ name: pick(rnd, ['predict', 'predict_proba', 'nope']) }] : undefined,
      }
    }
    return { inputs: [{ name: 'amount', shape: [-1 * rnd.int(3), 1.5], datatype: 'FP64', data: 'abc' }] }
  }
  switch (rnd.int(5)) {
    case 0:
      return { dataframe_split: { columns, data: rows } }
    case 1:
      return { dataframe_records: rows.map((r) => Object.fromEntries(columns.map((c, j) => [c, r[j]]))) }
    case 2:
      return { instances: rnd.next() < 0.5 ? rows : rows.map((r) => Object.fromEntries(columns.map((c, j) => [c, r[j]]))) }
    case 3:
      return { inputs: Object.fromEntries(columns.map((c, j) => [c, rows.map((r) => r[j])])) }
    default:
      return { dataframe_records: [{ amount: weirdValue(rnd), count: weirdValue(rnd), kind: weirdValue(rnd), flag: weirdValue(rnd) }] }
  }
}

function makeCase(rnd: Random): Case {
  const path = pick(rnd, PATHS)
  const kind = rnd.int(100)
  if (kind < 30) return { path, body: JSON.stringify(randomJson(rnd, 0)) ?? 'null', contentType: 'application/json' }
  if (kind < 70) return { path, body: JSON.stringify(mutatedBody(rnd, path)), contentType: 'application/json' }
  if (kind < 77) {
    const text = JSON.stringify(mutatedBody(rnd, path))
    return { path, body: text.slice(0, rnd.int(text.length)), contentType: 'application/json; charset=utf-8' }
  }
  if (kind < 84) {
    return { path, body: JSON.stringify(mutatedBody(rnd, path)), contentType: pick(rnd, [undefined, 'text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/csv']) }
  }
  if (kind < 90) {
    // CSV with random damage.
    const rows = validRows(rnd, 1 + rnd.int(3)).map((r) => r.map((v) => (rnd.next() < 0.2 ? pick(rnd, ['"', 'NaN', 'abc', '1e999', '"a""b', '']) : String(v ?? ''))).join(','))
    return { path, body: [FEATURES.join(','), ...rows].join(rnd.next() < 0.5 ? '\n' : '\r\n'), contentType: 'text/csv' }
  }
  if (kind < 93) {
    const depth = 1000 + rnd.int(50_000)
    return { path, body: '['.repeat(depth) + ']'.repeat(rnd.next() < 0.5 ? depth : 0), contentType: 'application/json' }
  }
  if (kind < 95) {
    // Too many rows (413) or huge literal numbers.
    if (rnd.next() < 0.5) return { path, body: JSON.stringify({ instances: validRows(rnd, MAX_ROWS + 1) }), contentType: 'application/json' }
    return { path, body: `{"instances": [[${FEATURES.map(() => '1e400').join(',')}]]}`, contentType: 'application/json' }
  }
  if (kind < 96) return { path, body: `{"instances": "${'x'.repeat(BODY_LIMIT)}"}`, contentType: 'application/json' }
  const bytes = Array.from({ length: rnd.int(200) }, () => String.fromCharCode(rnd.int(256))).join('')
  return { path, body: bytes, contentType: 'application/json' }
}

/** A request whose Content-Length promises more than is sent, then the socket closes (or half-closes). */
function truncatedRaw(port: number, path: string, body: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let data = ''
    socket.on('data', (chunk) => (data += chunk.toString('latin1')))
    const done = (): void => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data)
      resolve(m === null ? undefined : Number(m[1]))
    }
    socket.on('close', done)
    socket.on('error', () => undefined)
    socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 100}\r\n\r\n${body}`)
    socket.end()
    socket.setTimeout(5000, () => socket.destroy())
  })
}

function toyDeployment(): Deployment {
  const served: ServedVersion = {
    model: 'toy',
    version: '1',
    alias: 'champion',
    inputs: [
      { name: 'amount', type: 'double' },
      { name: 'count', type: 'long' },
      { name: 'kind', type: 'string' },
      { name: 'flag', type: 'boolean', required: false },
    ],
    outputs: [{ name: 'y', type: 'double' }],
    loadedAt: 0,
    loadMs: 0,
    scorer: {
      kind: 'toy',
      task: 'regression',
      classes: undefined,
      inputs: ['amount', 'count', 'kind', 'flag'],
      schema: {},
      score: (frame) => Promise.resolve({ prediction: Float64Array.from(frame.numeric('amount'), (v) => v * 2) }),
      useThreads: () => Promise.resolve(1),
      close: () => Promise.resolve(),
    },
  }
  return {
    name: 'toy',
    ready: () => true,
    versions: () => [served],
    champion: () => served,
    predict: async (frame) => ({ served, arm: 'champion', scores: await served.scorer.score(frame) }),
    policy: () => ({ kind: 'single' }),
    setPolicy: () => undefined,
    refresh: () => Promise.resolve(),
    close: () => Promise.resolve(),
  }
}

function forcedGc(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose_gc')
    return runInNewContext('gc') as () => void
  } catch {
    return undefined
  }
}

describe('serving fuzz: 10,000 malformed requests', () => {
  let store: ServingStore
  let keel: Keel
  let fraud: Deployment
  let serving: ServingApp
  let base: string
  let port: number

  beforeAll(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri)
    fraud = await openDeployment(keel, { name: 'fraud', challenger: 'challenger', batching: 'off' }, { pollMs: 0 })
    serving = await createServingApp({ deployments: [fraud, toyDeployment()], limits: { maxRows: MAX_ROWS, bodyLimitBytes: BODY_LIMIT } })
    base = await serving.listen(0, '127.0.0.1')
    port = Number(new URL(base).port)
  })
  afterAll(async () => {
    await serving?.close()
    await fraud?.close()
    await keel?.close()
    store?.remove()
  })

  const valid = async (): Promise<number> => {
    const { inputs, probabilities } = xgbBinaryExpected()
    const res = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_split: { columns: FEATURES, data: inputs.slice(0, 5) } }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { predictions: Array<{ probability_1: number }> }
    body.predictions.forEach((p, i) => expect(Math.abs(p.probability_1 - probabilities[i]!)).toBeLessThan(1e-6))
    return res.status
  }

  it('answers every one 4xx in the error shape, stays up, and keeps its heap bounded', async () => {
    const rnd = createRandom(20_240_501)
    const gc = forcedGc()
    const heap = (): number => {
      gc?.()
      return process.memoryUsage().heapUsed
    }
    const statuses = new Map<number, number>()
    const failures: string[] = []
    const send = async (c: Case): Promise<void> => {
      const headers: Record<string, string> = {}
      if (c.contentType !== undefined) headers['content-type'] = c.contentType
      const res = await fetch(`${base}${c.path}`, { method: 'POST', headers, body: c.body })
      const text = await res.text()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      if (res.status >= 500) failures.push(`${res.status} ${c.path} ${c.contentType ?? '-'} ${c.body.slice(0, 120)} → ${text.slice(0, 200)}`)
      else if (res.status !== 200) {
        const body = JSON.parse(text) as Record<string, unknown>
        if (typeof body['error_code'] !== 'string' || typeof body['message'] !== 'string') failures.push(`bad error shape ${res.status}: ${text.slice(0, 200)}`)
        if (c.path.startsWith('/v2') && typeof body['error'] !== 'string') failures.push(`no OIP error field ${res.status}: ${text.slice(0, 200)}`)
      }
    }
    const run = async (count: number): Promise<void> => {
      let next = 0
      const cases = Array.from({ length: count }, () => makeCase(rnd))
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < cases.length) await send(cases[next++]!)
        }),
      )
    }
    // Warm-up, so the baseline includes JIT code and pools.
    const started = Date.now()
    await run(500)
    const before = heap()
    await run(N - 700)
    // Truncated bodies over raw sockets: the server sees the connection end mid-body.
    const truncated: Array<number | undefined> = []
    for (let i = 0; i < 200; i++) {
      const path = pick(rnd, PATHS)
      const text = JSON.stringify(mutatedBody(rnd, path))
      truncated.push(await truncatedRaw(port, path, text.slice(0, rnd.int(text.length))))
    }
    const after = heap()
    expect(failures.slice(0, 5)).toEqual([])
    for (const status of truncated) if (status !== undefined) expect(status).toBeLessThan(500)
    // Most malformed requests are rejected; some mutated ones stay valid (200). Every status class was seen.
    expect([...statuses.keys()].sort()).toEqual(expect.arrayContaining([200, 400, 413, 415]))
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(N - 200)
    await valid()
    const growth = after - before
    console.log(`serving fuzz: statuses ${JSON.stringify(Object.fromEntries(statuses))}; ${Date.now() - started} ms; heap ${(before / 1e6).toFixed(1)} → ${(after / 1e6).toFixed(1)} MB (gc ${gc === undefined ? 'not exposed' : 'forced'})`)
    expect(growth).toBeLessThan(gc === undefined ? 64e6 : 16e6)
  }, 180_000)
})
