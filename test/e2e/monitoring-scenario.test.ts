import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { manualClock } from '../../src/core/clock.js'
import { Frame, categoricalColumn, numericColumn } from '../../src/core/frame.js'
import type { Column } from '../../src/core/frame.js'
import { createRandom } from '../../src/core/random.js'
import type { Random } from '../../src/core/random.js'
import { runMonitor } from '../../src/monitoring/monitor.js'
import type { MonitorOptions, MonitorRun } from '../../src/monitoring/monitor.js'
import { saveReferenceForVersion } from '../../src/monitoring/reference.js'
import { renderHtmlReport } from '../../src/monitoring/report/html-report.js'
import { reportJson } from '../../src/monitoring/report/json-report.js'
import type { AlertRule } from '../../src/monitoring/types.js'
import { verifyWebhookSignature } from '../../src/registry/webhook-signature.js'
import { openDeployment } from '../../src/serving/deployment.js'
import { PredictionCapture } from '../../src/serving/prediction-capture.js'
import { answerValues, capturedOutputs } from '../../src/serving/protocols/answer-values.js'
import { createServingApp } from '../../src/serving/serving-app.js'
import type { ServingApp } from '../../src/serving/serving-app.js'
import type { Deployment } from '../../src/serving/types.js'
import { servingStore } from '../support/serving-fixture.js'
import type { ServingStore } from '../support/serving-fixture.js'

/**
 * Issue 6's scenario, end to end over real HTTP: the fraud model (XGBoost fixture) served with capture into the
 * SQLite store; 20,000 in-distribution rows, then 20,000 with `amount` and `velocity` shifted; the monitor flags
 * exactly those two in window 2, reports dataset drift (2 of 6 ≥ 0.3), fires one signed webhook alert, holds the
 * cooldown; labels posted later (to the serving app's POST /feedback) give realized AUC per window, equal to the AUC computed here from the answers.
 */

const FEATURES = ['age', 'amount', 'balance', 'score', 'tenure', 'velocity'] as const
const SHIFTED = ['amount', 'velocity']
const ROWS_PER_REQUEST = 100
const REQUESTS_PER_PHASE = 200
const PHASE_ROWS = ROWS_PER_REQUEST * REQUESTS_PER_PHASE
const CONCURRENCY = 8
const SECRET = 'scenario-secret'
const HOUR = 3_600_000
const T0 = Date.UTC(2025, 5, 1)

interface Rows {
  data: Array<Array<number | null>>
  labels: string[]
}

/**
 * Rows like the fixture's training data (make_xgboost.py: standard normals, amount = round(100·z, 2), ~10 %
 * missing), labelled by its generating rule; `shifted` moves amount by +150 (1.5 σ) and velocity by +1.5 σ.
 */
function drawRows(random: Random, n: number, shifted: boolean): Rows {
  const data: Array<Array<number | null>> = []
  const labels: string[] = []
  for (let i = 0; i < n; i++) {
    const x = FEATURES.map(() => random.normal())
    x[1] = Math.round(x[1]! * 10_000) / 100
    if (shifted) {
      x[1] = Math.round((x[1] + 150) * 100) / 100
      x[5] = x[5]! + 1.5
    }
    const logit = 1.2 * x[0]! - 0.02 * x[1]! + x[2]! * x[3]! + 0.5 * random.normal()
    labels.push(logit > 0 ? '1' : '0')
    data.push(x.map((v) => (random.next() < 0.1 ? null : v)))
  }
  return { data, labels }
}

function inputFrame(rows: Rows): Frame {
  return new Frame(FEATURES.map((name, j) => numericColumn(name, rows.data.map((r) => r[j] ?? Number.NaN))))
}

/** The model's outputs on `inputs`, as capture stores them (prediction label and probability_<class>). */
async function outputFrame(deployment: Deployment, inputs: Frame): Promise<Frame> {
  const served = deployment.champion()
  const values = answerValues(served, await served.scorer.score(inputs), inputs.rows)
  const rows = Array.from({ length: inputs.rows }, (_, r) => capturedOutputs(values, r))
  const names = Object.keys(rows[0]!)
  const columns: Column[] = names.map((name) =>
    typeof rows[0]![name] === 'string'
      ? categoricalColumn(name, rows.map((r) => r[name] as string | null))
      : numericColumn(name, rows.map((r) => (r[name] as number | null) ?? Number.NaN)),
  )
  return new Frame(columns)
}

/** ROC AUC by midranks (Mann–Whitney), the textbook definition, to check the monitor's realized value. */
function aucByRanks(scores: readonly number[], labels: readonly string[]): number {
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0])
  const ranks = new Float64Array(scores.length)
  for (let i = 0; i < order.length; ) {
    let j = i
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1
    i = j + 1
  }
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === '1') {
      positives++
      rankSum += ranks[i]!
    }
  }
  const negatives = labels.length - positives
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

interface Delivery {
  headers: IncomingHttpHeaders
  body: string
}

async function receiver(): Promise<{ server: Server; url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, deliveries }
}

async function postJson(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = (await res.json()) as Record<string, unknown>
  if (res.status !== 200) throw new Error(`POST ${url} → ${res.status}: ${JSON.stringify(json)}`)
  return json
}

describe('monitoring scenario: serve, drift part-way, alert once, labels later', () => {
  const clock = manualClock(T0)
  let store: ServingStore
  let keel: Keel
  let deployment: Deployment
  let capture: PredictionCapture
  let app: ServingApp
  let base: string
  let hook: Awaited<ReturnType<typeof receiver>>
  /** Per phase: prediction ids, true labels and the served probability of class 1, in the same order. */
  const phases: Array<{ ids: string[]; labels: string[]; probability: number[] }> = []

  const rule = (): AlertRule => ({
    name: 'fraud-input-drift',
    metric: 'drift.share',
    comparison: '>=',
    threshold: 0.3,
    severity: 'critical',
    cooldownMs: HOUR,
    actions: [{ kind: 'webhook', url: hook.url, secret: SECRET }],
  })
  const monitor = (): Promise<MonitorRun> => {
    const options: MonitorOptions = {
      model: 'models:/fraud@champion',
      window: { kind: 'count', size: PHASE_ROWS },
      drift: { shareThreshold: 0.3 },
      rules: [rule()],
      clock,
      sleep: () => Promise.resolve(),
    }
    return runMonitor(keel, options)
  }

  beforeAll(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri)
    hook = await receiver()
    deployment = await openDeployment(keel, { name: 'fraud' }, { clock, pollMs: 0 })
    // The imported version gets its reference: 5,000 in-distribution rows and the model's outputs on them.
    const referenceInputs = inputFrame(drawRows(createRandom(11), 5000, false))
    await saveReferenceForVersion(keel, 'models:/fraud@champion', referenceInputs, await outputFrame(deployment, referenceInputs))
    capture = new PredictionCapture(keel.predictions, { clock, maxBuffered: 50_000, batchSize: 2000 })
    app = await createServingApp({ deployments: [deployment], capture, monitoring: keel.monitoring, clock, logger: false })
    base = await app.listen(0, '127.0.0.1')

    const random = createRandom(12)
    for (const shifted of [false, true]) {
      if (shifted) clock.advance(HOUR)
      const rows = drawRows(random, PHASE_ROWS, shifted)
      const phase = { ids: new Array<string>(PHASE_ROWS), labels: rows.labels, probability: new Array<number>(PHASE_ROWS) }
      let next = 0
      const worker = async (): Promise<void> => {
        for (let request = next++; request < REQUESTS_PER_PHASE; request = next++) {
          const start = request * ROWS_PER_REQUEST
          const answer = await postJson(`${base}/invocations`, {
            dataframe_split: { columns: FEATURES, data: rows.data.slice(start, start + ROWS_PER_REQUEST) },
          })
          const ids = answer['prediction_ids'] as string[]
          const predictions = answer['predictions'] as Array<Record<string, number>>
          for (let r = 0; r < ROWS_PER_REQUEST; r++) {
            phase.ids[start + r] = ids[r]!
            phase.probability[start + r] = predictions[r]!['probability_1']!
          }
          clock.advance(1000)
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
      phases.push(phase)
    }
    await capture.flush()
  }, 120_000)

  afterAll(async () => {
    await app?.close()
    await capture?.close()
    await deployment?.close()
    await new Promise((resolve) => hook?.server.close(resolve))
    await keel?.close()
    store?.remove()
  })

  let first: MonitorRun

  it('captured all 40,000 served rows', async () => {
    expect(capture.dropped).toBe(0)
    expect(await keel.predictions.countPredictions({ deployment: 'fraud' })).toBe(2 * PHASE_ROWS)
  })

  it('flags exactly the two shifted features in window 2, none in window 1, and reports dataset drift', async () => {
    clock.advance(HOUR)
    first = await monitor()
    expect(first.windows.map((w) => w.window.rows)).toEqual([PHASE_ROWS, PHASE_ROWS])
    const [w1, w2] = first.windows
    expect(w1!.drift!.columns.map((c) => c.column).sort()).toEqual([...FEATURES])
    expect(w1!.drift!.columns.filter((c) => c.drifted)).toEqual([])
    expect(w1!.drift!.drifted).toBe(false)
    expect(w2!.drift!.columns.filter((c) => c.drifted).map((c) => c.column).sort()).toEqual(SHIFTED)
    expect(w2!.drift!.share).toBeCloseTo(2 / 6, 12)
    expect(w2!.drift!.drifted).toBe(true)
    // Data quality rides along: ~10 % missing everywhere; amount leaves the reference range only after the shift.
    expect(w1!.quality['quality.missing.age']).toBeGreaterThan(0.09)
    expect(w1!.quality['quality.missing.age']).toBeLessThan(0.11)
    expect(w2!.quality['quality.out_of_range.amount']).toBeGreaterThan(10 * w1!.quality['quality.out_of_range.amount']!)
    // No labels yet: CBPE estimates only.
    expect(w1!.performance).toBeUndefined()
    expect(w1!.estimated?.['roc_auc']).toBeGreaterThan(0.5)
  })

  it('fires one alert, for window 2, and the webhook receives it correctly signed', async () => {
    expect(first.alerts).toHaveLength(1)
    const alert = first.alerts[0]!
    expect(alert).toMatchObject({ rule: 'fraud-input-drift', model: 'fraud', metric: 'drift.share', severity: 'critical' })
    expect(alert.window.index).toBe(first.windows[1]!.window.index)
    expect(alert.actions).toEqual([{ kind: 'webhook', url: hook.url, delivered: true, attempts: 1, status: 204 }])
    expect(hook.deliveries).toHaveLength(1)
    const delivery = hook.deliveries[0]!
    expect(verifyWebhookSignature({ secret: SECRET, body: delivery.body, headers: delivery.headers, now: clock.now() })).toBe(true)
    expect(verifyWebhookSignature({ secret: 'wrong', body: delivery.body, headers: delivery.headers, now: clock.now() })).toBe(false)
    const payload = JSON.parse(delivery.body) as { event: string; data: Record<string, unknown> }
    expect(payload.event).toBe('monitoring.alert')
    expect(payload.data).toMatchObject({ id: alert.id, rule: 'fraud-input-drift', model: 'fraud', value: 2 / 6, threshold: 0.3 })
  })

  it('holds the cooldown: a second run 10 minutes later fires nothing', async () => {
    clock.advance(10 * 60_000)
    const second = await monitor()
    expect(second.windows[1]!.drift!.drifted).toBe(true)
    expect(second.alerts).toEqual([])
    expect(hook.deliveries).toHaveLength(1)
    expect((await keel.monitoring.listAlerts({ model: 'fraud' })).items).toHaveLength(1)
  })

  it('labels posted later give realized AUC per window, equal to the AUC of the served answers; the report shows it all', async () => {
    // Posted to the server that answered, in batches, as a label service would.
    for (const phase of phases) {
      for (let start = 0; start < PHASE_ROWS; start += 5000) {
        const feedback = phase.ids.slice(start, start + 5000).map((id, i) => ({ prediction_id: id, outcome: phase.labels[start + i]! }))
        expect(await postJson(`${base}/feedback`, { feedback })).toEqual({ accepted: feedback.length, duplicates: 0 })
      }
    }
    // A retry of a batch counts nothing twice.
    const retry = phases[0]!.ids.slice(0, 10).map((id, i) => ({ prediction_id: id, outcome: phases[0]!.labels[i]! }))
    expect(await postJson(`${base}/feedback`, { feedback: retry })).toEqual({ accepted: 0, duplicates: 10 })
    clock.advance(2 * HOUR)
    const third = await monitor()
    expect(third.windows.map((w) => w.labels)).toEqual([PHASE_ROWS, PHASE_ROWS])
    for (let w = 0; w < 2; w++) {
      const expected = aucByRanks(phases[w]!.probability, phases[w]!.labels)
      expect(third.windows[w]!.performance?.['roc_auc']).toBeCloseTo(expected, 9)
    }
    expect(third.windows[0]!.performance!['roc_auc']!).toBeGreaterThan(0.8)
    // Past the cooldown the rule fires again.
    expect(third.alerts).toHaveLength(1)
    expect(hook.deliveries).toHaveLength(2)

    const report = reportJson(third)
    expect(report.summary.driftedColumns).toEqual(SHIFTED)
    expect(report.windows.map((w) => w.performance['roc_auc'])).toEqual(third.windows.map((w) => w.performance!['roc_auc']))
    const html = renderHtmlReport(third)
    expect(html).toContain('dataset drift detected')
    expect((html.match(/<figure/g) ?? []).length).toBe(FEATURES.length)
  })
})
