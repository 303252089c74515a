import { spawnSync } from 'node:child_process'
import { register as globalRegistry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { REQUEST_DURATION_BUCKETS, ServingMetrics } from './serving-metrics.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Exposition {
  samples: Sample[]
  types: Map<string, string>
  help: Map<string, string>
}

/** A strict reader of the text format 0.0.4: every non-empty line is a comment or a well-formed sample. */
function parseExposition(text: string): Exposition {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (meta !== null) {
      ;(meta[1] === 'TYPE' ? types : help).set(meta[2]!, meta[3]!)
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (sample === null) throw new Error(`not an exposition line: ${line}`)
    const labels: Record<string, string> = {}
    const body = sample[2] ?? ''
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y
    let at = 0
    while (at < body.length) {
      pair.lastIndex = at
      const m = pair.exec(body)
      if (m === null) throw new Error(`bad labels in: ${line}`)
      labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
      at = pair.lastIndex
    }
    const raw = sample[3]!
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : /^nan$/i.test(raw) ? NaN : Number(raw)
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`bad value in: ${line}`)
    samples.push({ name: sample[1]!, labels, value })
  }
  return { samples, types, help }
}

function valueOf(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels)
  const found = exposition.samples.filter(
    (s) => s.name === name && Object.keys(s.labels).length === wanted.length && wanted.every(([k, v]) => s.labels[k] === v),
  )
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`)
  return found[0]?.value
}

const FRAUD_V2 = { model: 'fraud', version: '2', protocol: 'v2' }

async function populated(): Promise<ServingMetrics> {
  const metrics = new ServingMetrics()
  metrics.observeRequest({ ...FRAUD_V2, status: 200 }, 0.0004)
  metrics.observeRequest({ ...FRAUD_V2, status: 200 }, 0.003)
  metrics.observeRequest({ ...FRAUD_V2, status: 200 }, 12)
  metrics.observeRequest({ ...FRAUD_V2, status: 503 }, 0.02)
  metrics.observeRequest({ model: 'fraud', version: '1', protocol: 'invocations', status: '400' }, 0.001)
  metrics.inFlight(3)
  metrics.inFlight(-1)
  metrics.observeBatch('mlp', '1', 1)
  metrics.observeBatch('mlp', '1', 40)
  metrics.observeBatch('mlp', '1', 64)
  metrics.setQueueDepth('mlp', 7)
  metrics.setQueueDepth('mlp', 2)
  metrics.observeLoad('mlp', '1', 0.25)
  metrics.captureDropped(4)
  metrics.captureDropped(0)
  metrics.captureWritten(500)
  metrics.captureWritten(20)
  // Label values are names users choose: quotes, backslashes and newlines must be escaped, not break the text.
  metrics.observeRequest({ model: 'we"ird\\name\nx', version: '1', protocol: 'v2', status: 200 }, 0.001)
  return metrics
}

describe('ServingMetrics', () => {
  it('renders every serving metric with its type, labels and values', async () => {
    const metrics = await populated()
    const text = await metrics.render()
    const exposition = parseExposition(text)
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(exposition.types.get('keel_serving_requests_total')).toBe('counter')
    expect(exposition.types.get('keel_serving_request_duration_seconds')).toBe('histogram')
    expect(exposition.types.get('keel_serving_in_flight_requests')).toBe('gauge')
    expect(exposition.types.get('keel_serving_batch_rows')).toBe('histogram')
    expect(exposition.types.get('keel_serving_queue_depth')).toBe('gauge')
    expect(exposition.types.get('keel_serving_model_load_seconds')).toBe('gauge')
    expect(exposition.types.get('keel_serving_capture_dropped_total')).toBe('counter')
    expect(exposition.types.get('keel_serving_capture_written_total')).toBe('counter')
    for (const [name] of exposition.types) expect(exposition.help.get(name)?.length ?? 0).toBeGreaterThan(0)

    expect(valueOf(exposition, 'keel_serving_requests_total', { ...FRAUD_V2, status: '200' })).toBe(3)
    expect(valueOf(exposition, 'keel_serving_requests_total', { ...FRAUD_V2, status: '503' })).toBe(1)
    expect(valueOf(exposition, 'keel_serving_requests_total', { model: 'fraud', version: '1', protocol: 'invocations', status: '400' })).toBe(1)
    expect(valueOf(exposition, 'keel_serving_requests_total', { model: 'we"ird\\name\nx', version: '1', protocol: 'v2', status: '200' })).toBe(1)

    const ok = { ...FRAUD_V2, status: '200' }
    expect(valueOf(exposition, 'keel_serving_request_duration_seconds_count', ok)).toBe(3)
    expect(valueOf(exposition, 'keel_serving_request_duration_seconds_sum', ok)).toBeCloseTo(12.0034, 9)
    const buckets = exposition.samples.filter((s) => s.name === 'keel_serving_request_duration_seconds_bucket' && s.labels['status'] === '200' && s.labels['model'] === 'fraud')
    expect(buckets.map((b) => b.labels['le'])).toEqual([...REQUEST_DURATION_BUCKETS.map(String), '+Inf'])
    expect(buckets[0]!.labels['le']).toBe('0.0005')
    expect(buckets.map((b) => b.value)).toEqual([1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3])

    expect(valueOf(exposition, 'keel_serving_in_flight_requests')).toBe(2)
    expect(valueOf(exposition, 'keel_serving_batch_rows_count', { model: 'mlp', version: '1' })).toBe(3)
    expect(valueOf(exposition, 'keel_serving_batch_rows_sum', { model: 'mlp', version: '1' })).toBe(105)
    expect(valueOf(exposition, 'keel_serving_batch_rows_bucket', { model: 'mlp', version: '1', le: '32' })).toBe(1)
    expect(valueOf(exposition, 'keel_serving_batch_rows_bucket', { model: 'mlp', version: '1', le: '64' })).toBe(3)
    expect(valueOf(exposition, 'keel_serving_queue_depth', { model: 'mlp' })).toBe(2)
    expect(valueOf(exposition, 'keel_serving_model_load_seconds', { model: 'mlp', version: '1' })).toBe(0.25)
    expect(valueOf(exposition, 'keel_serving_capture_dropped_total')).toBe(4)
    expect(valueOf(exposition, 'keel_serving_capture_written_total')).toBe(520)
  })

  it("includes prom-client's process metrics with the keel_ prefix", async () => {
    const exposition = parseExposition(await new ServingMetrics().render())
    expect(exposition.types.get('keel_process_cpu_seconds_total')).toBe('counter')
    expect(valueOf(exposition, 'keel_process_resident_memory_bytes')).toBeGreaterThan(0)
    expect([...exposition.types.keys()].every((name) => name.startsWith('keel_'))).toBe(true)
    const bare = parseExposition(await new ServingMetrics({ defaultMetrics: false }).render())
    expect([...bare.types.keys()].every((name) => name.startsWith('keel_serving_'))).toBe(true)
  })

  it("keeps each instance's counts to itself and never touches prom-client's global registry", async () => {
    const a = new ServingMetrics({ defaultMetrics: false })
    const b = new ServingMetrics({ defaultMetrics: false })
    a.observeRequest({ ...FRAUD_V2, status: 200 }, 0.001)
    a.observeRequest({ ...FRAUD_V2, status: 200 }, 0.001)
    b.observeRequest({ ...FRAUD_V2, status: 200 }, 0.001)
    expect(valueOf(parseExposition(await a.render()), 'keel_serving_requests_total', { ...FRAUD_V2, status: '200' })).toBe(2)
    expect(valueOf(parseExposition(await b.render()), 'keel_serving_requests_total', { ...FRAUD_V2, status: '200' })).toBe(1)
    expect(await globalRegistry.metrics()).not.toMatch(/keel_serving/)
  })

  it('counts status 200 and "200" as one series', async () => {
    const metrics = new ServingMetrics({ defaultMetrics: false })
    metrics.observeRequest({ ...FRAUD_V2, status: 200 }, 0.001)
    metrics.observeRequest({ ...FRAUD_V2, status: '200' }, 0.001)
    const exposition = parseExposition(await metrics.render())
    expect(valueOf(exposition, 'keel_serving_requests_total', { ...FRAUD_V2, status: '200' })).toBe(2)
  })

  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' })
  const hasPromtool = promtool.error === undefined && promtool.status === 0
  if (!hasPromtool) console.warn('serving-metrics.test: promtool is not installed (apt-get install -y prometheus); skipping `promtool check metrics`.')

  it.skipIf(!hasPromtool)('passes `promtool check metrics` (lint included)', async () => {
    const text = await (await populated()).render()
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' })
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('')
    expect(result.status).toBe(0)
  })
})
