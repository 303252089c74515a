import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStores } from '../../src/store/open-stores.js'
import { servingStore, xgbBinaryExpected } from '../support/serving-fixture.js'
import type { ServingStore } from '../support/serving-fixture.js'

// `keel serve --workers 2` as a real process tree (primary + 2 cluster workers) over real HTTP:
// /metrics sums both workers, a SIGKILLed worker is replaced while the server keeps answering,
// and SIGTERM lets in-flight requests finish before the process exits 0.

const CLI = join(import.meta.dirname, '..', 'support', 'keel-cli.ts')
const HAS_PROMTOOL = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
const CLIENTS = 8
// The drain test's server batches with this long a wait: its requests are surely in flight when SIGTERM arrives.
const BATCH_WAIT_MS = 3000
const IN_FLIGHT = 12

interface Served {
  child: ChildProcess
  url: string
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Worker process ids as the primary logged them when each became ready, in order. */
  readyWorkers: () => number[]
  stderr: () => string
}

async function spawnServe(store: ServingStore, extra: string[] = []): Promise<Served> {
  const args = ['--import', 'tsx', CLI, 'serve', 'models:/fraud@champion', '--workers', '2', '--port', '0', '--poll-ms', '0', '--log-level', 'info', ...extra]
  const child = spawn(process.execPath, args, { env: { ...process.env, KEEL_STORE: store.storeUri }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`keel serve did not start in 45 s:\n${stdout}\n${stderr}`)), 45_000)
    const check = (): void => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', check)
    void exit.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`keel serve exited (${String(code)}) before listening:\n${stdout}\n${stderr}`))
    })
  })
  const readyWorkers = (): number[] =>
    stderr
      .split('\n')
      .filter((line) => line.includes('"worker ready"'))
      .map((line) => (JSON.parse(line) as { worker: number }).worker)
  return { child, url, exit, readyWorkers, stderr: () => stderr }
}

/** One request on a fresh connection (so the cluster spreads them over the workers). */
function fresh(url: string, method: 'GET' | 'POST', body?: unknown): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = request(url, { method, agent: false, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (c: string) => (text += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${url}: no answer in 10 s`)))
    req.end(payload)
  })
}

const { features, inputs } = xgbBinaryExpected()
const oipBody = (i: number): unknown => ({ inputs: [{ name: 'x', shape: [1, features.length], datatype: 'FP64', data: [inputs[i % inputs.length]!] }] })

function requestsTotal(metrics: string): number {
  let sum = 0
  for (const line of metrics.split('\n')) {
    if (line.startsWith('keel_serving_requests_total{') && line.includes('status="200"')) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

/** Load from `CLIENTS` keep-alive clients until `stop()`; records every outcome with its time. */
function load(url: string): { stop: () => Promise<void>; outcomes: Array<{ at: number; status: number | 'error'; detail: string }> } {
  const outcomes: Array<{ at: number; status: number | 'error'; detail: string }> = []
  let stopped = false
  const hardStop = Date.now() + 30_000
  const client = async (c: number): Promise<void> => {
    for (let i = c; !stopped && Date.now() < hardStop; i += CLIENTS) {
      try {
        const response = await fetch(`${url}/v2/models/fraud/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(oipBody(i)) })
        const text = await response.text()
        outcomes.push({ at: Date.now(), status: response.status, detail: response.status === 200 ? '' : text })
      } catch (error) {
        outcomes.push({ at: Date.now(), status: 'error', detail: String((error as { cause?: unknown }).cause ?? error) })
        await new Promise((r) => setTimeout(r, 10))
      }
    }
  }
  const clients = Array.from({ length: CLIENTS }, (_, c) => client(c))
  return {
    outcomes,
    stop: async () => {
      stopped = true
      await Promise.all(clients)
    },
  }
}

async function until(what: string, condition: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

let store: ServingStore
let served: Served | undefined
let batched: Served | undefined
beforeAll(async () => {
  store = await servingStore()
  served = await spawnServe(store)
}, 90_000)
afterAll(async () => {
  for (const s of [served, batched]) {
    if (s !== undefined && s.child.exitCode === null && s.child.signalCode === null) {
      s.child.kill('SIGKILL')
      await s.exit
    }
  }
  store?.remove()
})

describe('keel serve --workers 2', () => {
  it('answers /metrics for the whole server: counts from both workers add up, and promtool accepts it', async () => {
    const { url } = served!
    const N = 40
    for (let i = 0; i < N; i++) {
      const r = await fresh(`${url}/v2/models/fraud/infer`, 'POST', oipBody(i))
      expect(r.status, r.text).toBe(200)
    }
    // Round-robin spreads fresh connections over both workers (~20 each): a scrape answered by one worker alone
    // would count about half. Every scrape, whichever worker answers it, must count all N.
    const texts: string[] = []
    for (let s = 0; s < 4; s++) {
      const m = await fresh(`${url}/metrics`, 'GET')
      expect(m.status).toBe(200)
      texts.push(m.text)
      expect(requestsTotal(m.text)).toBe(N)
    }
    expect(texts[0]).toContain('keel_serving_request_duration_seconds_bucket')
    if (!HAS_PROMTOOL) {
      console.warn('promtool not installed (Debian: apt-get install prometheus): skipping `promtool check metrics`')
      return
    }
    const check = spawnSync('promtool', ['check', 'metrics'], { input: texts[0], encoding: 'utf8' })
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0)
  }, 30_000)

  it('replaces a worker killed under load and keeps answering; only requests on the killed worker fail', async () => {
    const { url } = served!
    const before = served!.readyWorkers()
    expect(before.length).toBe(2)
    const victim = before[0]!
    const traffic = load(url)
    await until('answers before the kill', () => traffic.outcomes.filter((o) => o.status === 200).length >= 50, 10_000)
    const killedAt = Date.now()
    process.kill(victim, 'SIGKILL')
    await until('a replacement worker', () => served!.readyWorkers().length >= 3, 30_000)
    const replaced = served!.readyWorkers()[2]!
    expect(before).not.toContain(replaced)
    const answeredSoFar = traffic.outcomes.length
    await until('answers after the replacement', () => traffic.outcomes.slice(answeredSoFar).filter((o) => o.status === 200).length >= 50, 10_000)
    await traffic.stop()

    const failed = traffic.outcomes.filter((o) => o.status !== 200)
    // Every HTTP answer was a 200: a failure can only be a connection to the killed worker, cut at the kill,
    // and each of the 8 clients had at most one request in flight on it.
    expect(failed.filter((o) => o.status !== 'error')).toEqual([])
    expect(failed.every((o) => o.at >= killedAt)).toBe(true)
    expect(failed.length).toBeLessThanOrEqual(CLIENTS)
    expect(traffic.outcomes.filter((o) => o.at > killedAt && o.status === 200).length).toBeGreaterThanOrEqual(50)
    expect(served!.child.exitCode).toBeNull()
  }, 60_000)

  it('drains on SIGTERM: in-flight requests complete, captured predictions are flushed, then the process exits 0', async () => {
    served!.child.kill('SIGTERM')
    expect(await served!.exit).toEqual({ code: 0, signal: null })
    // A server whose every request waits BATCH_WAIT_MS in a batch queue: IN_FLIGHT requests are surely in flight at the signal.
    batched = await spawnServe(store, ['--batch', `64:${BATCH_WAIT_MS}`])
    const { url, child, exit } = batched
    const drainStart = Date.now()
    const requests = Array.from({ length: IN_FLIGHT }, (_, i) => fresh(`${url}/invocations`, 'POST', { dataframe_split: { columns: features, data: [inputs[i]!] } }))
    await until(
      `all ${IN_FLIGHT} requests to be queued`,
      async () => {
        const m = await fresh(`${url}/metrics`, 'GET')
        const depth = /^keel_serving_queue_depth\{model="fraud"\} (\d+)/m.exec(m.text)
        return depth !== null && Number(depth[1]) === IN_FLIGHT
      },
      BATCH_WAIT_MS / 2,
    )
    const signalledAt = Date.now()
    child.kill('SIGTERM')
    const answers = await Promise.all(requests)
    for (const a of answers) {
      expect(a.status, a.text).toBe(200)
      expect(a.headers['x-keel-model-version']).toBe('fraud/1')
    }
    expect(await exit).toEqual({ code: 0, signal: null })
    expect(Date.now() - signalledAt).toBeLessThan(15_000)
    expect(batched.stderr()).not.toMatch(/"level":50/)
    // Every answered prediction reached the store through the primary before it exited.
    const stores = await openStores(store.storeUri)
    try {
      expect(await stores.predictions.countPredictions({ deployment: 'fraud', from: drainStart })).toBe(IN_FLIGHT)
    } finally {
      await stores.close()
    }
  }, 60_000)
})
