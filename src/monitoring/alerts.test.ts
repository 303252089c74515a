import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { manualClock } from '../core/clock.js'
import { silentLogger } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import { verifyWebhookSignature } from '../registry/webhook-signature.js'
import { evaluateRules, metricMatcher, ruleBreached } from './alerts.js'
import type { AlertContext, RetrainEvent } from './alerts.js'
import type { Alert, AlertRule, MonitorMetric, MonitorWindow } from './types.js'

const SECRET = 'topsecret'
const w0: MonitorWindow = { index: 0, from: 0, to: 1000, rows: 100 }
const w1: MonitorWindow = { index: 1, from: 1000, to: 2000, rows: 100 }

/** The two store calls alerts use, in memory: what the SQL adapter does, minus SQL. */
function memoryAlerts(): AlertContext['store'] & { alerts: Alert[] } {
  const alerts: Alert[] = []
  return {
    alerts,
    appendAlert: async (alert) => {
      alerts.push(alert)
    },
    lastAlert: async (rule, model) => alerts.filter((a) => a.rule === rule && a.model === model).sort((a, b) => b.firedAt - a.firedAt)[0],
  }
}

interface Received {
  body: string
  headers: IncomingHttpHeaders
}

/** A webhook receiver on 127.0.0.1:0 that answers the given statuses in turn (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')))
    req.on('end', () => {
      received.push({ body, headers: req.headers })
      res.statusCode = statuses.shift() ?? 200
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hook`, received, server }
}

function rule(overrides: Partial<AlertRule> = {}): AlertRule {
  return { name: 'dataset-drift', metric: 'drift.share', comparison: '>=', threshold: 0.3, severity: 'critical', cooldownMs: 3_600_000, actions: [], ...overrides }
}

describe('ruleBreached and metricMatcher', () => {
  it('compares with each operator, and NaN never breaches', () => {
    expect(ruleBreached({ comparison: '>', threshold: 1 }, 1)).toBe(false)
    expect(ruleBreached({ comparison: '>=', threshold: 1 }, 1)).toBe(true)
    expect(ruleBreached({ comparison: '<', threshold: 0.7 }, 0.69)).toBe(true)
    expect(ruleBreached({ comparison: '<=', threshold: 0.7 }, 0.71)).toBe(false)
    expect(ruleBreached({ comparison: '<', threshold: 0.7 }, Number.NaN)).toBe(false)
  })

  it('matches exact names, and * patterns without treating dots as wildcards', () => {
    expect(metricMatcher('drift.share')('drift.share')).toBe(true)
    expect(metricMatcher('drift.share')('driftXshare')).toBe(false)
    const columns = metricMatcher('drift.column.*')
    expect(columns('drift.column.amount')).toBe(true)
    expect(columns('drift.column.')).toBe(false)
    expect(columns('drift.score.amount')).toBe(false)
  })
})

describe('evaluateRules', () => {
  let hook: Awaited<ReturnType<typeof receiver>> | undefined
  let clock: ReturnType<typeof manualClock>
  let store: ReturnType<typeof memoryAlerts>
  const context = (extra: Partial<AlertContext> = {}): AlertContext => ({
    store,
    model: 'fraud',
    version: '3',
    clock,
    logger: silentLogger,
    sleep: async () => {},
    ...extra,
  })

  /** A receiver closed after the test (the previous one of a test is closed when it asks for another). */
  const receiverForTest = async (statuses: number[] = []): Promise<Awaited<ReturnType<typeof receiver>>> => {
    const previous = hook?.server
    if (previous !== undefined) await new Promise((resolve) => previous.close(resolve))
    hook = await receiver(statuses)
    return hook
  }

  beforeEach(async () => {
    clock = manualClock(Date.UTC(2025, 0, 1))
    store = memoryAlerts()
  })
  afterEach(async () => {
    const server = hook?.server
    hook = undefined
    if (server !== undefined) await new Promise((resolve) => server.close(resolve))
  })

  it('fires once, posts a payload signed as registry webhooks are, and the receiver verifies it', async () => {
    const hook = await receiverForTest()
    const metrics: MonitorMetric[] = [
      { name: 'drift.share', value: 0, window: w0 },
      { name: 'drift.share', value: 2 / 6, window: w1 },
    ]
    const fired = await evaluateRules([rule({ actions: [{ kind: 'webhook', url: hook.url, secret: SECRET }] })], metrics, context())
    expect(fired).toHaveLength(1)
    expect(fired[0]).toMatchObject({ rule: 'dataset-drift', model: 'fraud', version: '3', metric: 'drift.share', value: 2 / 6, threshold: 0.3, severity: 'critical', window: w1, firedAt: clock.now() })
    expect(fired[0]!.actions).toEqual([{ kind: 'webhook', url: hook.url, delivered: true, attempts: 1, status: 200 }])
    expect(store.alerts.map((a) => a.id)).toEqual([fired[0]!.id])
    expect(hook.received).toHaveLength(1)
    const delivery = hook.received[0]!
    expect(verifyWebhookSignature({ secret: SECRET, body: delivery.body, headers: delivery.headers, now: clock.now() })).toBe(true)
    expect(verifyWebhookSignature({ secret: 'wrong', body: delivery.body, headers: delivery.headers, now: clock.now() })).toBe(false)
    expect(verifyWebhookSignature({ secret: SECRET, body: delivery.body.replace('fraud', 'fraux'), headers: delivery.headers, now: clock.now() })).toBe(false)
    const payload = JSON.parse(delivery.body) as { event: string; delivery_id: string; data: Record<string, unknown> }
    expect(payload.event).toBe('monitoring.alert')
    expect(payload.delivery_id).toBe(delivery.headers['x-keel-delivery-id'])
    expect(payload.data).toMatchObject({ id: fired[0]!.id, rule: 'dataset-drift', model: 'fraud', metric: 'drift.share', comparison: '>=', threshold: 0.3, window: { index: 1, rows: 100 }, fired_at: clock.now() })
  })

  it('holds the cooldown per (rule, model): nothing inside it, fires again after it, other models unaffected', async () => {
    const metrics: MonitorMetric[] = [{ name: 'drift.share', value: 0.5, window: w0 }]
    const rules = [rule()]
    expect(await evaluateRules(rules, metrics, context())).toHaveLength(1)
    clock.advance(3_600_000 - 1)
    expect(await evaluateRules(rules, metrics, context())).toHaveLength(0)
    expect(await evaluateRules(rules, metrics, context({ model: 'churn' }))).toHaveLength(1)
    clock.advance(1)
    expect(await evaluateRules(rules, metrics, context())).toHaveLength(1)
    expect(store.alerts.map((a) => a.model)).toEqual(['fraud', 'churn', 'fraud'])
  })

  it('fires once per cooldown however many windows breach; with no cooldown every breaching window fires', async () => {
    const metrics: MonitorMetric[] = [
      { name: 'drift.share', value: 0.6, window: w1 },
      { name: 'drift.share', value: 0.5, window: w0 },
    ]
    const once = await evaluateRules([rule()], metrics, context())
    expect(once.map((a) => a.window.index)).toEqual([0]) // the first breaching window, in window order
    const every = await evaluateRules([rule({ name: 'no-cooldown', cooldownMs: 0 })], metrics, context())
    expect(every.map((a) => a.window.index)).toEqual([0, 1])
  })

  it('retries a failing receiver with doubling delays, and stops at once on a 4xx', async () => {
    let hook = await receiverForTest([503, 500])
    const delays: number[] = []
    const sleep = async (ms: number): Promise<void> => {
      delays.push(ms)
    }
    const metrics: MonitorMetric[] = [{ name: 'drift.share', value: 1, window: w0 }]
    const [retried] = await evaluateRules([rule({ actions: [{ kind: 'webhook', url: hook.url, secret: SECRET }] })], metrics, context({ sleep, webhook: { maxAttempts: 3, retryDelayMs: 100 } }))
    expect(retried!.actions).toEqual([{ kind: 'webhook', url: hook.url, delivered: true, attempts: 3, status: 200 }])
    expect(delays).toEqual([100, 200])
    const ids = new Set(hook.received.map((r) => r.headers['x-keel-delivery-id']))
    expect(ids.size).toBe(1) // one delivery id across retries, so receivers can dedupe
    for (const r of hook.received) expect(verifyWebhookSignature({ secret: SECRET, body: r.body, headers: r.headers, now: clock.now() })).toBe(true)

    hook = await receiverForTest([404])
    const [rejected] = await evaluateRules([rule({ name: 'r2', actions: [{ kind: 'webhook', url: hook.url }] })], metrics, context({ sleep, webhook: { maxAttempts: 5 } }))
    expect(rejected!.actions[0]).toMatchObject({ kind: 'webhook', delivered: false, attempts: 1, status: 404 })
    expect(hook.received[0]!.headers['x-keel-signature']).toBeUndefined() // no secret, no signature
  })

  it('gives up after maxAttempts on an unreachable receiver, but the alert is stored and logged', async () => {
    const closed = await receiver()
    const url = closed.url
    await new Promise((resolve) => closed.server.close(resolve))
    const logged: Array<{ level: string; msg: string | undefined }> = []
    const logger: Logger = {
      debug: () => {},
      info: (_o, msg) => logged.push({ level: 'info', msg }),
      warn: (_o, msg) => logged.push({ level: 'warn', msg }),
      error: (_o, msg) => logged.push({ level: 'error', msg }),
    }
    const [alert] = await evaluateRules([rule({ actions: [{ kind: 'webhook', url }] })], [{ name: 'drift.share', value: 1, window: w0 }], context({ logger, webhook: { maxAttempts: 2, retryDelayMs: 1 } }))
    expect(alert!.actions[0]).toMatchObject({ kind: 'webhook', delivered: false, attempts: 2 })
    expect(store.alerts).toHaveLength(1)
    expect(logged.map((l) => l.level)).toEqual(['error', 'warn', 'error']) // critical alert, retry, final failure
    expect(logged[0]!.msg).toMatch(/alert dataset-drift: drift.share = 1 >= 0.3/)
  })

  it('a retrain action emits monitoring.retrain to onRetrain and records it', async () => {
    const events: RetrainEvent[] = []
    const rules = [rule({ name: 'auc-drop', metric: 'performance.roc_auc', comparison: '<', threshold: 0.8, actions: [{ kind: 'retrain', pipeline: 'fraud-train' }] })]
    const metrics: MonitorMetric[] = [{ name: 'performance.roc_auc', value: 0.71, window: w1 }]
    const [fired] = await evaluateRules(rules, metrics, context({ onRetrain: (e) => void events.push(e) }))
    expect(fired!.actions).toEqual([{ kind: 'retrain', pipeline: 'fraud-train', emitted: true }])
    expect(events).toEqual([{ type: 'monitoring.retrain', pipeline: 'fraud-train', model: 'fraud', version: '3', alert: store.alerts[0] }])
    const [unheard] = await evaluateRules([{ ...rules[0]!, name: 'auc-drop-2' }], metrics, context())
    expect(unheard!.actions).toEqual([{ kind: 'retrain', pipeline: 'fraud-train', emitted: false, error: 'no onRetrain consumer' }])
  })
})
