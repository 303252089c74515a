import { createServer } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { manualClock } from '../core/clock.js'
import type { Logger } from '../core/logger.js'
import { silentLogger } from '../core/logger.js'
import { migrate } from '../store/sql/migrate.js'
import { SqlRegistryStore } from '../store/sql/registry/sql-registry-store.js'
import { MIGRATIONS } from '../store/sqlite/migrations/index.js'
import { SqliteDriver } from '../store/sqlite/sqlite-driver.js'
import { Registry } from './registry.js'
import type { WebhookDelivery } from './types.js'
import { WebhookDispatcher, fetchSender } from './webhook-dispatcher.js'
import { verifyWebhookSignature } from './webhook-signature.js'

interface Received {
  headers: IncomingHttpHeaders
  body: string
}

/** A real HTTP receiver on 127.0.0.1, answering the nth request with `status(n)`. */
async function startReceiver(status: (n: number) => number = () => 200) {
  const requests: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.statusCode = status(requests.length)
      res.end(res.statusCode < 300 ? 'ok' : 'try later')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A URL nothing listens on: bind a port, then free it. */
async function deadUrl(): Promise<string> {
  const receiver = await startReceiver()
  await receiver.close()
  return receiver.url
}

describe('WebhookDispatcher', () => {
  let driver: SqliteDriver
  let registry: Registry
  let clock: ReturnType<typeof manualClock>
  const cleanups: (() => Promise<void>)[] = []

  beforeEach(async () => {
    clock = manualClock(1_700_000_000_000)
    driver = new SqliteDriver({ path: ':memory:' })
    await migrate(driver, MIGRATIONS)
    registry = new Registry(new SqlRegistryStore(driver, { clock }), { clock })
  })
  afterEach(async () => {
    vi.useRealTimers()
    for (const cleanup of cleanups.splice(0)) await cleanup()
    await driver.close()
  })

  const dispatcher = (extra: Partial<ConstructorParameters<typeof WebhookDispatcher>[0]> = {}) =>
    new WebhookDispatcher({ store: registry, send: fetchSender(5000), clock, logger: silentLogger, random: () => 0.5, ...extra })

  async function onlyDelivery(webhookId: string): Promise<WebhookDelivery> {
    const [delivery, ...rest] = await registry.listDeliveries(webhookId, 10)
    expect(rest).toEqual([])
    return delivery!
  }

  it('posts a signed {event, timestamp, delivery_id, data} body that the receiver can verify', async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const hook = await registry.createWebhook({ name: 'ci', url: receiver.url, events: ['model_version.created'], secret: 'whsec' })
    await registry.createRegisteredModel({ name: 'fraud' })
    await registry.createModelVersion({ name: 'fraud', source: 'runs:/abc/model', runId: 'abc' })
    expect(await dispatcher().runOnce()).toBe(1)
    expect(receiver.requests).toHaveLength(1)
    const { headers, body } = receiver.requests[0]!
    const delivery = await onlyDelivery(hook.webhookId)
    expect(JSON.parse(body)).toEqual({
      event: 'model_version.created',
      timestamp: new Date(clock.now()).toISOString(),
      delivery_id: String(delivery.deliveryId),
      data: { name: 'fraud', version: '1', source: 'runs:/abc/model', run_id: 'abc', tags: {}, description: null },
    })
    expect(headers['content-type']).toBe('application/json')
    expect(headers['x-keel-delivery-id']).toBe(String(delivery.deliveryId))
    expect(headers['x-keel-timestamp']).toBe(String(Math.floor(clock.now() / 1000)))
    expect(headers['x-keel-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(verifyWebhookSignature({ secret: 'whsec', body, headers, now: clock.now() })).toBe(true)
    expect(verifyWebhookSignature({ secret: 'wrong', body, headers, now: clock.now() })).toBe(false)
    expect(verifyWebhookSignature({ secret: 'whsec', body: body + ' ', headers, now: clock.now() })).toBe(false)
    expect(delivery).toMatchObject({ status: 'DELIVERED', attempts: 1, lastError: '' })
    expect(await dispatcher().runOnce()).toBe(0)
    expect(receiver.requests).toHaveLength(1)
  })

  it('retries a failing receiver with growing delays and delivers on the third attempt', async () => {
    const receiver = await startReceiver((n) => (n <= 2 ? 503 : 200))
    cleanups.push(receiver.close)
    const hook = await registry.createWebhook({ name: 'ci', url: receiver.url, events: ['registered_model.created'] })
    await registry.createRegisteredModel({ name: 'fraud' })
    const d = dispatcher({ baseDelayMs: 1000 })
    const start = clock.now()

    expect(await d.runOnce()).toBe(1)
    const afterFirst = await onlyDelivery(hook.webhookId)
    expect(afterFirst).toMatchObject({ status: 'PENDING', attempts: 1 })
    expect(afterFirst.lastError).toContain('HTTP 503')
    const firstDelay = afterFirst.nextAttemptAt - start
    expect(await d.runOnce()).toBe(0) // not due yet

    clock.advance(firstDelay)
    expect(await d.runOnce()).toBe(1)
    const afterSecond = await onlyDelivery(hook.webhookId)
    expect(afterSecond).toMatchObject({ status: 'PENDING', attempts: 2 })
    const secondDelay = afterSecond.nextAttemptAt - clock.now()
    expect(firstDelay).toBe(750) // base 1000 · [0.5, 1) jitter at random() = 0.5
    expect(secondDelay).toBe(1500)

    clock.advance(secondDelay)
    expect(await d.runOnce()).toBe(1)
    expect(await onlyDelivery(hook.webhookId)).toMatchObject({ status: 'DELIVERED', attempts: 3, lastError: '' })
    expect(receiver.requests).toHaveLength(3)
    const ids = new Set(receiver.requests.map((r) => r.headers['x-keel-delivery-id']))
    expect(ids.size).toBe(1) // the same delivery id on every retry, so receivers can dedupe
  })

  it('marks a delivery to a dead URL FAILED after maxAttempts', async () => {
    const hook = await registry.createWebhook({ name: 'dead', url: await deadUrl(), events: ['registered_model.created'] })
    await registry.createRegisteredModel({ name: 'fraud' })
    const errors: object[] = []
    const logger: Logger = { ...silentLogger, error: (obj) => errors.push(obj) }
    const d = dispatcher({ maxAttempts: 3, logger })
    let attempts = 0
    for (let i = 0; i < 10; i++) {
      attempts += await d.runOnce()
      const delivery = await onlyDelivery(hook.webhookId)
      if (delivery.status !== 'PENDING') break
      clock.advance(delivery.nextAttemptAt - clock.now())
    }
    expect(attempts).toBe(3)
    const failed = await onlyDelivery(hook.webhookId)
    expect(failed).toMatchObject({ status: 'FAILED', attempts: 3 })
    expect(failed.lastError).toMatch(/fetch failed|ECONNREFUSED/)
    expect(errors).toHaveLength(1)
    clock.advance(24 * 3600_000)
    expect(await d.runOnce()).toBe(0)
  })

  it('counts a thrown send as a failed attempt and keeps going with the rest of the batch', async () => {
    const receiver = await startReceiver()
    cleanups.push(receiver.close)
    const bad = await registry.createWebhook({ name: 'bad', url: 'http://127.0.0.1:9/never', events: ['registered_model.created'] })
    const good = await registry.createWebhook({ name: 'good', url: receiver.url, events: ['registered_model.created'] })
    await registry.createRegisteredModel({ name: 'fraud' })
    const send = fetchSender(5000)
    const d = dispatcher({
      send: async (url, body, headers) => {
        if (url.endsWith('/never')) throw new Error('boom')
        return send(url, body, headers)
      },
    })
    expect(await d.runOnce()).toBe(2)
    expect(await onlyDelivery(bad.webhookId)).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'Error: boom' })
    expect(await onlyDelivery(good.webhookId)).toMatchObject({ status: 'DELIVERED' })
  })

  it('computes capped exponential delays with jitter in [0.5, 1)', () => {
    const low = dispatcher({ random: () => 0, baseDelayMs: 100, maxDelayMs: 1000 })
    const high = dispatcher({ random: () => 0.999999, baseDelayMs: 100, maxDelayMs: 1000 })
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => low.retryDelay(n))).toEqual([50, 100, 200, 400, 500, 500, 500])
    expect([1, 2, 3, 4, 5].map((n) => high.retryDelay(n))).toEqual([99, 199, 399, 799, 999])
  })

  it('sends a signed test payload and reports the outcome', async () => {
    const receiver = await startReceiver((n) => (n === 1 ? 200 : 500))
    cleanups.push(receiver.close)
    const hook = await registry.createWebhook({ name: 'ci', url: receiver.url, events: ['model_version_alias.created'], secret: 'k' })
    const d = dispatcher()
    expect(await d.sendTest(hook.webhookId)).toEqual({ success: true, responseStatus: 200, responseBody: 'ok' })
    const { body, headers } = receiver.requests[0]!
    expect(JSON.parse(body)).toMatchObject({ event: 'model_version_alias.created', data: { alias: 'example_alias' } })
    expect(verifyWebhookSignature({ secret: 'k', body, headers, now: clock.now() })).toBe(true)
    expect(await d.sendTest(hook.webhookId, 'registered_model.created')).toMatchObject({ success: false, responseStatus: 500 })
    const dead = await registry.createWebhook({ name: 'dead', url: await deadUrl(), events: ['model_version.created'] })
    const result = await d.sendTest(dead.webhookId)
    expect(result.success).toBe(false)
    expect(result.errorMessage).toMatch(/^Failed to test webhook/)
    await expect(d.sendTest('nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' })
    // tests go around the outbox
    expect(await registry.listDeliveries(hook.webhookId, 10)).toEqual([])
  })

  it('runs on a timer that never overlaps itself, logs errors instead of throwing, and stops', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    let calls = 0
    let inFlight = 0
    let maxInFlight = 0
    let release: (() => void) | undefined
    const store = new SqlRegistryStore(driver, { clock })
    const original = store.dueDeliveries.bind(store)
    store.dueDeliveries = async (now: number, limit: number) => {
      calls++
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      try {
        if (calls === 1) throw new Error('database hiccup')
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve))
        return await original(now, limit)
      } finally {
        inFlight--
      }
    }
    const errors: object[] = []
    const d = new WebhookDispatcher({
      store,
      send: async () => ({ status: 200 }),
      clock,
      logger: { ...silentLogger, error: (obj) => errors.push(obj) },
    })
    d.start(100)
    d.start(100) // a second start is ignored
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(1)
    expect(errors).toHaveLength(1) // the failed run was logged, and the loop goes on
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(2) // this run now hangs in the store
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls).toBe(2) // no overlapping run was started meanwhile
    release!()
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(3)
    await d.stop()
    await vi.advanceTimersByTimeAsync(1000)
    expect(calls).toBe(3)
    expect(maxInFlight).toBe(1)
    expect(() => d.start(0)).toThrow(RangeError)
  })

  it('gives up on a receiver that does not answer within the sender timeout', async () => {
    const server = createServer(() => {
      // never answers
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    )
    const { port } = server.address() as AddressInfo
    await expect(fetchSender(50)(`http://127.0.0.1:${port}/`, '{}', {})).rejects.toMatchObject({ name: 'TimeoutError' })
  })
})
