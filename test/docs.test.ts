import { execFile, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EXIT, main } from '../src/cli/main.js'
import type { CliIo } from '../src/cli/output.js'
import { manualClock } from '../src/core/clock.js'
import { ERROR_CATALOGUE } from '../src/core/error-catalogue.js'
import { ERROR_STATUS } from '../src/core/errors.js'
import type { ErrorCode } from '../src/core/errors.js'
import { silentLogger } from '../src/core/logger.js'
import { ENDPOINTS } from '../src/protocol/endpoints.js'
import type { RegistryStore } from '../src/registry/registry-store.js'
import { REGISTRY_EVENT_TYPES } from '../src/registry/types.js'
import type { DeliveryStatus, WebhookDelivery } from '../src/registry/types.js'
import { WebhookDispatcher } from '../src/registry/webhook-dispatcher.js'
import { WEBHOOK_SIGNATURE_HEADER, verifyWebhookSignature, webhookHeaders } from '../src/registry/webhook-signature.js'
import { DEFAULT_BODY_LIMIT } from '../src/server/create-server.js'
import { buildOpenApi } from '../src/server/openapi.js'
import { toFastifyPath } from '../src/server/route.js'
import { HELP_WIDTH, anchorOf, cliDoc, collectCommandHelp } from '../scripts/docs/cli-doc.js'
import { CURL_STEPS, WEBHOOK_CURL_STEPS } from '../scripts/docs/curl-examples.js'
import { collectHttpOperations } from '../scripts/docs/http-api-reference.js'
import { slugOf } from '../scripts/docs/markdown.js'
import { PYTHON_VERIFY_EXAMPLE, WEBHOOK_EVENTS, WEBHOOK_POLICY, retryCeilings } from '../scripts/docs/webhooks-doc.js'
import { generateDocs } from '../scripts/gen-docs.js'
import { call, startTestServer } from './support/server-fixture.js'
import { tempDir } from './support/temp-dir.js'

const REGENERATE = 'run npx tsx scripts/gen-docs.ts'

function committed(path: string): string | undefined {
  try {
    return readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
  } catch {
    return undefined
  }
}

describe('generated docs', () => {
  it.each(generateDocs().map((doc) => [doc.path, doc.text] as const))('%s matches the code', (path, text) => {
    const onDisk = committed(path)
    expect(onDisk, `${path} is missing: ${REGENERATE}`).toBeDefined()
    expect(onDisk, `${path} is out of date with the code: ${REGENERATE}`).toBe(text)
  })

  it('docs/errors.md has a row for every catalogue code, with its HTTP status', () => {
    const errorsMd = committed('docs/errors.md') ?? ''
    for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
      const row = errorsMd.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))
      expect(row, `no row for ${code} in docs/errors.md: ${REGENERATE}`).toBeDefined()
      expect(row).toContain(`| ${ERROR_STATUS[code]} |`)
      expect(row).toContain(ERROR_CATALOGUE[code].fix)
    }
  })

  it('docs/cli.md has a section for every command and subcommand, and keeps the hand-written session', () => {
    const cliMd = committed('docs/cli.md') ?? ''
    const commands = collectCommandHelp()
    // The tree has the groups and their leaves, down to `keel models alias set`.
    expect(commands.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['keel', 'keel runs search', 'keel models alias set', 'keel gc', 'keel server']),
    )
    for (const { path } of commands) {
      expect(cliMd).toContain(`\n### ${path.join(' ')}\n`)
      expect(cliMd).toContain(`](#${anchorOf(path)})`)
      expect(cliMd).toContain(`Usage: ${path.join(' ')} `)
    }
    expect(cliMd).toMatch(/^## Examples of a typical session$/m)
    expect(cliMd.indexOf('## Examples of a typical session')).toBeLessThan(cliMd.indexOf('## Command reference'))
  })

  describe('help text', () => {
    afterEach(() => {
      vi.unstubAllEnvs()
    })

    it('does not depend on the terminal the generator runs in (width, colours)', () => {
      const plain = cliDoc()
      expect(plain).not.toMatch(/\u001b\[/)
      // Pretend to be a wide colour terminal: commander would follow it unless the generator pins both.
      vi.stubEnv('FORCE_COLOR', '3')
      const stdout = process.stdout as { isTTY?: boolean; columns?: number }
      const saved = { isTTY: Object.getOwnPropertyDescriptor(stdout, 'isTTY'), columns: Object.getOwnPropertyDescriptor(stdout, 'columns') }
      Object.defineProperty(stdout, 'isTTY', { value: true, configurable: true, writable: true })
      Object.defineProperty(stdout, 'columns', { value: HELP_WIDTH * 3, configurable: true, writable: true })
      try {
        expect(cliDoc()).toBe(plain)
      } finally {
        for (const key of ['isTTY', 'columns'] as const) {
          const descriptor = saved[key]
          if (descriptor === undefined) delete stdout[key]
          else Object.defineProperty(stdout, key, descriptor)
        }
      }
    })

    it.skipIf(process.stdout.isTTY === true)('is what `<command> --help` prints, for every command', async () => {
      vi.stubEnv('NO_COLOR', '1')
      for (const { path, help } of collectCommandHelp()) {
        let stdout = ''
        const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: {} }
        const code = await main(['node', ...path, '--help'], io)
        expect(code, path.join(' ')).toBe(EXIT.ok)
        expect(stdout, path.join(' ')).toBe(help)
      }
    })
  })
})

const execFileAsync = promisify(execFile)

/** Whether a command-line tool the examples need is installed (the tests that run them skip otherwise). */
function installed(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0
}
const CAN_RUN_CURL = installed('bash') && installed('curl') && installed('jq')
const CAN_RUN_PYTHON = installed('python3')

/** Every field of `sample` is in `actual`, with the same JSON type; lists have at least the sample's items. */
function expectShape(actual: unknown, sample: unknown, where: string): void {
  if (sample === null) {
    expect(actual, where).toBeNull()
  } else if (Array.isArray(sample)) {
    expect(Array.isArray(actual), `${where} should be a list`).toBe(true)
    const list = actual as unknown[]
    expect(list.length, `${where} has fewer items than shown`).toBeGreaterThanOrEqual(sample.length)
    sample.forEach((item, i) => expectShape(list[i], item, `${where}[${i}]`))
  } else if (typeof sample === 'object') {
    expect(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${where} should be an object`).toBe(true)
    for (const [key, value] of Object.entries(sample)) {
      expect(actual, `${where}.${key} is shown but not answered`).toHaveProperty([key])
      expectShape((actual as Record<string, unknown>)[key], value, `${where}.${key}`)
    }
  } else {
    expect(typeof actual, where).toBe(typeof sample)
  }
}

describe('docs/http-api.md', () => {
  const doc = committed('docs/http-api.md') ?? ''
  const operations = collectHttpOperations()

  it('documents every operation of /openapi.json', () => {
    const openApi = buildOpenApi('test') as { paths: Record<string, Record<string, unknown>> }
    for (const [path, item] of Object.entries(openApi.paths)) {
      for (const method of Object.keys(item)) {
        const op = operations.find(
          (o) => o.path === path && (o.method.toLowerCase() === method || (o.alsoGet && method === 'get')),
        )
        expect(op, `${method.toUpperCase()} ${path} is not documented`).toBeDefined()
        expect(doc).toContain(`\n#### ${op?.operationId ?? ''}\n`)
      }
    }
    // The generated reference reaches the nested request fields and the webhook section.
    expect(doc).toContain('| `metrics[].value` |  | double | yes |')
    expect(doc).toContain('| `lineage.environment.node` |  | string | yes |')
    // Notes come from the schemas' descriptions; a list without one takes its items'.
    expect(doc).toContain('| `run_id` | query | string |  | required, unless `run_uuid` is given |')
    expect(doc).toMatch(/^\| `events` \| body \| [^|]*\[\] \| yes \| a registry event type, /m)
    expect(doc).toMatch(/^## Webhooks$/m)
  })

  it('documents only routes the server has, on both base paths', async () => {
    const server = await startTestServer()
    try {
      for (const op of operations) {
        const url = toFastifyPath(op.path, op.wildcard)
        expect(server.app.hasRoute({ method: op.method, url }), `${op.method} ${op.path}`).toBe(true)
        if (op.alsoGet) expect(server.app.hasRoute({ method: 'GET', url }), `GET ${op.path}`).toBe(true)
        if (url.startsWith('/api/2.0/')) {
          const twin = url.replace('/api/2.0/', '/ajax-api/2.0/')
          expect(server.app.hasRoute({ method: op.method, url: twin }), `${op.method} ${twin}`).toBe(true)
        }
      }
    } finally {
      await server.close()
    }
  })

  it('has unique headings, and every link inside the page leads to one', () => {
    const prose = doc.replace(/```[\s\S]*?```/g, '')
    const anchors = [...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slugOf(m[1] ?? ''))
    expect(new Set(anchors).size, 'two headings share an anchor').toBe(anchors.length)
    expect(anchors).toContain('webhooks')
    const links = [...prose.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '')
    expect(links.length).toBeGreaterThan(operations.length)
    for (const link of links) expect(anchors, `link to #${link}`).toContain(link)
  })

  it.skipIf(!CAN_RUN_CURL)('has curl examples that work against a real server and answer what they show', async () => {
    const server = await startTestServer()
    const dir = tempDir('keel-curl-')
    try {
      await server.app.listen({ host: '127.0.0.1', port: 0 })
      const { port } = server.app.server.address() as AddressInfo
      const steps = [...CURL_STEPS, ...WEBHOOK_CURL_STEPS]
      // Each step's curl also saves the raw answer, so it can be compared with the one the page shows.
      const script = [
        'set -euo pipefail',
        'curl() { command curl --fail-with-body "$@" | tee "$KEEL_DOC_ANSWER"; }',
        ...steps.flatMap((step, i) => [`KEEL_DOC_ANSWER="$KEEL_DOC_DIR/answer-${i}"`, step.script]),
      ].join('\n')
      await execFileAsync('bash', ['-c', script], {
        cwd: dir.path,
        env: { ...process.env, KEEL: `http://127.0.0.1:${port}`, KEEL_DOC_DIR: dir.path },
        timeout: 60_000,
      })
      steps.forEach((step, i) => {
        const answer = readFileSync(join(dir.path, `answer-${i}`), 'utf8')
        if (step.answerKind === 'headers') {
          for (const line of step.answer.split('\n')) expect(answer.toLowerCase(), step.title).toContain(line.toLowerCase())
        } else {
          expectShape(JSON.parse(answer), JSON.parse(step.answer), step.title)
        }
      })
      expect(server.webhookTests).toHaveLength(1)
    } finally {
      await server.close()
      dir.remove()
    }
  })

  it.skipIf(!CAN_RUN_PYTHON)('has Python verification code that accepts real signatures and nothing else', async () => {
    const body = JSON.stringify({
      event: 'model_version.created',
      timestamp: new Date().toISOString(),
      delivery_id: '7',
      data: { name: 'fraud', version: '1', description: 'caf\u00e9 \u2713' },
    })
    const now = String(Math.floor(Date.now() / 1000))
    const signed = webhookHeaders({ secret: 's3cret', deliveryId: '7', timestamp: now, body })
    const stale = webhookHeaders({ secret: 's3cret', deliveryId: '7', timestamp: String(Number(now) - 1000), body })
    const { [WEBHOOK_SIGNATURE_HEADER]: signature, ...unsigned } = signed
    const cases = [
      { secret: 's3cret', headers: signed, body, expected: true },
      { secret: 's3cret', headers: { ...signed, [WEBHOOK_SIGNATURE_HEADER]: `v1,AAAA ${signature ?? ''}` }, body, expected: true },
      { secret: 's3cret', headers: signed, body: body.replace('"1"', '"2"'), expected: false },
      { secret: 'other', headers: signed, body, expected: false },
      { secret: 's3cret', headers: stale, body, expected: false },
      { secret: 's3cret', headers: unsigned, body, expected: false },
    ]
    const driver = `${PYTHON_VERIFY_EXAMPLE}

import json, sys
cases = json.loads(sys.argv[1])
print(json.dumps([verify(c["secret"], c["headers"], c["body"].encode("utf-8")) for c in cases]))
`
    const { stdout } = await execFileAsync('python3', ['-c', driver, JSON.stringify(cases)], { timeout: 30_000 })
    expect(JSON.parse(stdout)).toEqual(cases.map((c) => c.expected))
    // The package's verifier agrees on every case.
    expect(cases.map((c) => verifyWebhookSignature(c))).toEqual(cases.map((c) => c.expected))
  })

  it('states the retry policy WebhookDispatcher follows', async () => {
    const clock = manualClock()
    let delivery: WebhookDelivery = {
      deliveryId: 1,
      webhookId: 'w',
      url: 'http://receiver.invalid/hook',
      secret: 's',
      event: { id: 1, type: 'model_version.created', createdAt: clock.now(), payload: {} },
      attempts: 0,
      status: 'PENDING',
      nextAttemptAt: clock.now(),
      lastError: '',
    }
    const store = {
      dueDeliveries: async (now: number) => (delivery.status === 'PENDING' && delivery.nextAttemptAt <= now ? [delivery] : []),
      recordDeliveryAttempt: async (_id: number, outcome: { status: DeliveryStatus; nextAttemptAt: number; error: string }) => {
        delivery = { ...delivery, attempts: delivery.attempts + 1, status: outcome.status, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error }
      },
    }
    let sends = 0
    const dispatcher = new WebhookDispatcher({
      store: store as unknown as RegistryStore,
      send: async () => {
        sends++
        return { status: 503 }
      },
      clock,
      logger: silentLogger,
      random: () => 0, // the shortest delays: half of each ceiling
    })
    const waits: number[] = []
    for (let i = 0; i < 100 && delivery.status === 'PENDING'; i++) {
      await dispatcher.runOnce()
      if (delivery.status !== 'PENDING') break
      const wait = delivery.nextAttemptAt - clock.now()
      waits.push(wait)
      clock.advance(wait)
    }
    expect(delivery.status).toBe('FAILED')
    expect(sends).toBe(WEBHOOK_POLICY.maxAttempts)
    expect(waits).toEqual(retryCeilings().map((ceiling) => ceiling / 2))
    expect(dispatcher.retryDelay(40)).toBe(WEBHOOK_POLICY.maxDelayMs / 2)
  })

  it('lists the data fields real webhook deliveries carry, for every event type', async () => {
    const server = await startTestServer()
    try {
      const API = '/api/2.0/mlflow'
      const hook = await call(server.app, 'POST', `${API}/webhooks`, { name: 'all', url: 'http://receiver.invalid/', events: [...REGISTRY_EVENT_TYPES] })
      expect(hook.status).toBe(200)
      const steps: Array<[method: 'POST' | 'PATCH' | 'DELETE', path: string, body: Record<string, unknown>]> = [
        ['POST', 'registered-models/create', { name: 'm', tags: [{ key: 'team', value: 'risk' }], description: 'd' }],
        ['POST', 'model-versions/create', { name: 'm', source: 's3://bucket/model', description: 'v' }],
        ['POST', 'model-versions/set-tag', { name: 'm', version: '1', key: 'k', value: 'v' }],
        ['DELETE', 'model-versions/delete-tag', { name: 'm', version: '1', key: 'k' }],
        ['PATCH', 'model-versions/update', { name: 'm', version: '1', description: 'better' }],
        ['POST', 'model-versions/transition-stage', { name: 'm', version: '1', stage: 'Staging', archive_existing_versions: false }],
        ['POST', 'registered-models/set-tag', { name: 'm', key: 'owner', value: 'ana' }],
        ['DELETE', 'registered-models/delete-tag', { name: 'm', key: 'owner' }],
        ['PATCH', 'registered-models/update', { name: 'm', description: 'fraud scoring' }],
        ['POST', 'registered-models/rename', { name: 'm', new_name: 'm2' }],
        ['POST', 'registered-models/rename', { name: 'm2', new_name: 'm' }],
        ['POST', 'registered-models/alias', { name: 'm', alias: 'champion', version: '1' }],
        ['DELETE', 'registered-models/alias', { name: 'm', alias: 'champion' }],
        ['DELETE', 'model-versions/delete', { name: 'm', version: '1' }],
        ['DELETE', 'registered-models/delete', { name: 'm' }],
      ]
      for (const [method, path, body] of steps) expect((await call(server.app, method, `${API}/${path}`, body)).status, path).toBe(200)
      const listed = await call(server.app, 'GET', `/api/keel/v1/webhooks/${hook.json.webhook.webhook_id}/deliveries?max_results=100`)
      const seen = new Map<string, string[]>()
      for (const d of listed.json.deliveries as Array<{ event: { type: string; payload: Record<string, unknown> } }>) {
        seen.set(d.event.type, Object.keys(d.event.payload).sort())
      }
      expect([...seen.keys()].sort()).toEqual([...REGISTRY_EVENT_TYPES].sort())
      for (const type of REGISTRY_EVENT_TYPES) expect(seen.get(type), type).toEqual([...WEBHOOK_EVENTS[type].data].sort())
    } finally {
      await server.close()
    }
  })

  it('states the body limits the server enforces', async () => {
    const server = await startTestServer()
    try {
      const post = (url: string, payload: string) =>
        server.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload })
      /** A JSON body of exactly `bytes` bytes: `fields` plus padding. */
      const sized = (fields: string, bytes: number): string => {
        const head = `{${fields},"pad":"`
        return `${head}${'a'.repeat(bytes - head.length - 2)}"}`
      }
      const create = '/api/2.0/mlflow/experiments/create'
      expect((await post(create, sized('"name":"at-limit"', DEFAULT_BODY_LIMIT))).statusCode).toBe(200)
      const over = await post(create, sized('"name":"over-limit"', DEFAULT_BODY_LIMIT + 1))
      expect(over.statusCode).toBe(413)
      expect(JSON.parse(over.body)).toMatchObject({ error_code: 'PAYLOAD_TOO_LARGE' })
      const batchLimit = ENDPOINTS.logBatch.bodyLimitBytes ?? 0
      const batch = await post('/api/2.0/mlflow/runs/log-batch', sized('"run_id":"r"', batchLimit + 1))
      expect(batch.statusCode).toBe(413)
    } finally {
      await server.close()
    }
  })
})
