import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import { Frame, categoricalColumn, numericColumn } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { verifyWebhookSignature } from '../registry/webhook-signature.js'
import { POSTGRES_URL, freshPostgresDatabase } from '../../test/support/postgres.js'
import { tempDir } from '../../test/support/temp-dir.js'
import type { RetrainEvent } from './alerts.js'
import { MONITOR_RUN_ARTIFACT, runMonitor } from './monitor.js'
import type { MonitorOptions, MonitorRun } from './monitor.js'
import type { PredictionRecord } from './prediction-store.js'
import { saveReferenceForVersion } from './reference.js'
import type { AlertRule } from './types.js'

const FEATURES = ['age', 'amount', 'balance', 'score', 'tenure', 'velocity']
const SHIFTED = new Set(['amount', 'velocity'])
const T0 = Date.UTC(2025, 0, 1)
const WINDOW_ROWS = 2000
const SECRET = 's3cret'

/** The "model": a logistic score of the features, so outputs are calibrated by construction. */
function probability(row: readonly number[]): number {
  const z = 0.04 * (row[0]! - 40) + 0.8 * row[1]! - 0.5 * row[2]! + 0.6 * row[5]! - 1
  return 1 / (1 + Math.exp(-z))
}

function rows(n: number, seed: number, shift: boolean): number[][] {
  const random = createRandom(seed)
  return Array.from({ length: n }, () =>
    FEATURES.map((f, j) => {
      const base = j === 0 ? 40 + 10 * random.normal() : random.normal()
      return shift && SHIFTED.has(f) ? base + 1.5 : base
    }),
  )
}

async function receiver(): Promise<{ url: string; received: Array<{ body: string; headers: IncomingHttpHeaders }>; server: Server }> {
  const received: Array<{ body: string; headers: IncomingHttpHeaders }> = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    req.on('end', () => {
      received.push({ body, headers: req.headers })
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, received, server }
}

const STORES: Array<{ name: string; uri: (dir: string) => Promise<string> }> = [{ name: 'SQLite', uri: async (dir) => `sqlite:${dir}/keel.db` }]
if (POSTGRES_URL !== undefined) STORES.push({ name: 'PostgreSQL', uri: async () => freshPostgresDatabase() })
// PostgreSQL runs only when POSTGRES_URL is set (scripts/start-postgres.sh, .ci/run).

describe.each(STORES)('runMonitor on a $name store', (store) => {
  let dir: ReturnType<typeof tempDir>
  let keel: Keel
  let clock: ReturnType<typeof manualClock>
  let hook: Awaited<ReturnType<typeof receiver>>
  const labels = new Map<string, string>()

  beforeEach(async () => {
    dir = tempDir('keel-monitor-')
    clock = manualClock(T0 + 10 * 3_600_000)
    keel = await Keel.open(await store.uri(dir.path), { clock, artifactsRoot: `${dir.path}/artifacts` })
    hook = await receiver()
    const run = await keel.startRun({ experiment: 'fraud' })
    await run.end()
    const version = await keel.registerModel({ name: 'fraud', runId: run.id, artifactPath: 'model' })
    await keel.setAlias('fraud', 'champion', version.version)
    // Reference: 5,000 training rows and the model's outputs on them.
    const ref = rows(5000, 1, false)
    const p = ref.map(probability)
    const inputs = new Frame(FEATURES.map((f, j) => numericColumn(f, ref.map((r) => r[j]!))))
    const outputs = new Frame([
      categoricalColumn('prediction', p.map((v) => (v > 0.5 ? '1' : '0')), ['0', '1']),
      numericColumn('probability_0', p.map((v) => 1 - v)),
      numericColumn('probability_1', p),
    ])
    await saveReferenceForVersion(keel, 'models:/fraud@champion', inputs, outputs)
    // Served traffic: one window in distribution, then one with amount and velocity shifted.
    const records: PredictionRecord[] = []
    const outcomeRandom = createRandom(7)
    const traffic = [...rows(WINDOW_ROWS, 2, false), ...rows(WINDOW_ROWS, 3, true)]
    traffic.forEach((r, i) => {
      const pi = probability(r)
      const id = `pred-${String(i).padStart(5, '0')}`
      records.push({
        id,
        deployment: 'fraud',
        model: 'fraud',
        version: version.version,
        arm: 'champion',
        timestamp: T0 + i * 1000,
        inputs: Object.fromEntries(FEATURES.map((f, j) => [f, r[j]!])),
        outputs: { prediction: pi > 0.5 ? '1' : '0', probability_0: 1 - pi, probability_1: pi },
      })
      labels.set(id, outcomeRandom.next() < pi ? '1' : '0')
    })
    await keel.predictions.appendPredictions(records)
  })

  afterEach(async () => {
    await new Promise((resolve) => hook.server.close(resolve))
    await keel.close()
    dir.remove()
  })

  const driftRule = (): AlertRule => ({
    name: 'dataset-drift',
    metric: 'drift.share',
    comparison: '>=',
    threshold: 0.3,
    severity: 'critical',
    cooldownMs: 3_600_000,
    actions: [
      { kind: 'webhook', url: hook.url, secret: SECRET },
      { kind: 'retrain', pipeline: 'fraud-train' },
    ],
  })
  const options = (extra: Partial<MonitorOptions> = {}): MonitorOptions => ({
    model: 'models:/fraud@champion',
    window: { kind: 'count', size: WINDOW_ROWS },
    drift: { shareThreshold: 0.3 },
    clock,
    sleep: async () => {},
    ...extra,
  })

  it('flags exactly the shifted features in the shifted window, alerts once, and the cooldown holds', async () => {
    const events: RetrainEvent[] = []
    const run = await runMonitor(keel, options({ rules: [driftRule()], onRetrain: (e) => void events.push(e) }))
    expect(run).toMatchObject({ model: 'fraud', referenceVersion: '1', versions: ['1'], deployment: 'fraud', task: 'classification', referenceRows: 5000 })
    expect(run.windows.map((w) => w.window.rows)).toEqual([WINDOW_ROWS, WINDOW_ROWS])
    const drifted = run.windows.map((w) => w.drift!.columns.filter((c) => c.drifted).map((c) => c.column).sort())
    expect(drifted).toEqual([[], ['amount', 'velocity']])
    expect(run.windows.map((w) => w.drift!.drifted)).toEqual([false, true])
    const metric = (name: string, index: number): number | undefined => run.metrics.find((m) => m.name === name && m.window.index === index)?.value
    expect(metric('drift.share', 1)).toBeCloseTo(2 / 6, 12)
    expect(metric('drift.column.amount', 1)).toBe(1)
    expect(metric('drift.column.age', 1)).toBe(0)
    expect(metric('quality.missing.amount', 0)).toBe(0)
    expect(metric('quality.out_of_range.amount', 1)).toBeGreaterThan(0) // shifted values beyond the reference max
    expect(metric('estimated.roc_auc', 0)).toBeGreaterThan(0.6)
    expect(metric('performance.roc_auc', 0)).toBeUndefined() // no labels yet

    expect(run.alerts).toHaveLength(1)
    expect(run.alerts[0]).toMatchObject({ rule: 'dataset-drift', model: 'fraud', version: '1', metric: 'drift.share', window: { index: 1 } })
    expect(run.alerts[0]!.actions).toEqual([
      { kind: 'webhook', url: hook.url, delivered: true, attempts: 1, status: 200 },
      { kind: 'retrain', pipeline: 'fraud-train', emitted: true },
    ])
    expect(events.map((e) => [e.type, e.pipeline, e.alert.id])).toEqual([['monitoring.retrain', 'fraud-train', run.alerts[0]!.id]])
    expect(hook.received).toHaveLength(1)
    expect(verifyWebhookSignature({ secret: SECRET, body: hook.received[0]!.body, headers: hook.received[0]!.headers, now: clock.now() })).toBe(true)
    expect((await keel.monitoring.listAlerts({ model: 'fraud' })).items.map((a) => a.id)).toEqual([run.alerts[0]!.id])

    clock.advance(30 * 60_000)
    const again = await runMonitor(keel, options({ rules: [driftRule()] }))
    expect(again.alerts).toHaveLength(0)
    expect(hook.received).toHaveLength(1)
    clock.advance(30 * 60_000)
    const later = await runMonitor(keel, options({ rules: [driftRule()] }))
    expect(later.alerts).toHaveLength(1)
    expect(hook.received).toHaveLength(2)
  })

  it('reports realized performance where enough labels landed, and the CBPE estimate beside it', async () => {
    const ids = [...labels.keys()]
    const firstWindow = ids.slice(0, WINDOW_ROWS)
    await keel.monitoring.appendFeedback(firstWindow.map((id) => ({ predictionId: id, outcome: labels.get(id)!, receivedAt: clock.now() })))
    // 50 labels in window 2: below minLabels, so no realized metrics there.
    await keel.monitoring.appendFeedback(ids.slice(WINDOW_ROWS, WINDOW_ROWS + 50).map((id) => ({ predictionId: id, outcome: labels.get(id)!, receivedAt: clock.now() })))
    const run = await runMonitor(keel, options({ minLabels: 100 }))
    const [w0, w1] = run.windows
    expect(w0!.labels).toBe(WINDOW_ROWS)
    expect(w1!.labels).toBe(50)
    expect(w1!.performance).toBeUndefined()
    const realized = w0!.performance!['roc_auc']!
    const estimated = w0!.estimated!['roc_auc']!
    expect(realized).toBeGreaterThan(0.6)
    // Calibrated scores: CBPE's estimate is close to what the labels say.
    expect(Math.abs(realized - estimated)).toBeLessThan(0.05)
    expect(run.metrics.find((m) => m.name === 'feedback.coverage' && m.window.index === 1)!.value).toBeCloseTo(50 / WINDOW_ROWS, 12)
  })

  it('logs a monitoring tracking run: metrics per window step and the run summary as an artifact', async () => {
    const run = await runMonitor(keel, options())
    const tracked = await keel.tracking.getRun(run.trackingRunId!)
    expect(tracked.info.status).toBe('FINISHED')
    expect(tracked.data.params.find((p) => p.key === 'window')?.value).toBe('2000rows')
    const history = await keel.tracking.getMetricHistory(run.trackingRunId!, 'drift.share')
    expect(history.items.map((m) => m.step)).toEqual([0, 1])
    expect(history.items[1]!.value).toBeCloseTo(2 / 6, 12)
    const root = tracked.info.artifactUri.replace(/^mlflow-artifacts:\//, '')
    const artifact = await keel.artifacts.get(`${root}/${MONITOR_RUN_ARTIFACT}`)
    let text = ''
    for await (const chunk of artifact.body) text += (chunk as Buffer).toString('utf8')
    const saved = JSON.parse(text) as MonitorRun
    expect(saved.windows).toHaveLength(2)
    expect(saved.trackingRunId).toBe(run.trackingRunId)
  })

  it('time windows, a version filter and a from/to range select the same traffic', async () => {
    const run = await runMonitor(keel, options({ window: { kind: 'time', size: 3_600_000 }, from: T0, to: T0 + 3_600_000, version: '1', track: false }))
    expect(run.trackingRunId).toBeUndefined()
    expect(run.windows.map((w) => w.window)).toEqual([{ index: 0, from: T0, to: T0 + 3_600_000, rows: 3600 }])
    const none = await runMonitor(keel, options({ version: '9', track: false }))
    expect(none.windows).toHaveLength(0)
  })

  it('fails clearly: a model without reference data, an unknown model, from after to', async () => {
    const run = await keel.startRun({ experiment: 'fraud' })
    await run.end()
    await keel.registerModel({ name: 'bare', runId: run.id, artifactPath: 'model' })
    await expect(runMonitor(keel, options({ model: 'bare' }))).rejects.toThrow(/models:\/bare\/latest \(version 1\) has no reference data.*saveReferenceForVersion/)
    await expect(runMonitor(keel, options({ model: 'models:/nope@champion' }))).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    await expect(runMonitor(keel, options({ from: 10, to: 5 }))).rejects.toThrow(/'from' \(10\) must be before 'to' \(5\)/)
  })
})
