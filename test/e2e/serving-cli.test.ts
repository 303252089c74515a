import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.js'
import type { CliIo } from '../../src/cli/output.js'
import { parseBatching, parseServedModelUri, parseTrafficPolicy } from '../../src/serving/serve.js'
import { runCli } from '../support/run-cli.js'
import { servingStore } from '../support/serving-fixture.js'
import type { ServingStore } from '../support/serving-fixture.js'

// `keel serve` option parsing, and `--workers 1` (in this process, no cluster) over real HTTP.

let store: ServingStore
beforeAll(async () => {
  store = await servingStore()
}, 60_000)
afterAll(() => store?.remove())

describe('keel serve options', () => {
  it('parses policies, batching and model URIs, and names the mistake otherwise', () => {
    expect(parseTrafficPolicy('single')).toEqual({ kind: 'single' })
    expect(parseTrafficPolicy('canary:0.1')).toEqual({ kind: 'canary', challengerWeight: 0.1 })
    expect(parseTrafficPolicy('shadow')).toEqual({ kind: 'shadow' })
    expect(parseTrafficPolicy('shadow:0.25')).toEqual({ kind: 'shadow', fraction: 0.25 })
    expect(parseTrafficPolicy('ab:1')).toEqual({ kind: 'ab', challengerWeight: 1 })
    expect(() => parseTrafficPolicy('canary')).toThrow(/canary needs/)
    expect(() => parseTrafficPolicy('canary:1.5')).toThrow(/from 0 to 1, got '1.5'/)
    expect(() => parseTrafficPolicy('canary:abc')).toThrow(/from 0 to 1/)
    expect(() => parseTrafficPolicy('mirror')).toThrow(/Unknown policy 'mirror'/)
    expect(() => parseTrafficPolicy('single:1')).toThrow(/takes no argument/)
    expect(parseBatching('auto')).toBe('auto')
    expect(parseBatching('off')).toBe('off')
    expect(parseBatching('64:2')).toEqual({ maxBatchRows: 64, maxWaitMs: 2 })
    expect(parseBatching('8:0.5')).toEqual({ maxBatchRows: 8, maxWaitMs: 0.5 })
    expect(() => parseBatching('0:2')).toThrow(/<max rows>:<max wait ms>/)
    expect(() => parseBatching('on')).toThrow(/auto, off/)
    expect(parseServedModelUri('models:/fraud@champion')).toEqual({ name: 'fraud', ref: 'champion' })
    expect(parseServedModelUri('models:/fraud/3')).toEqual({ name: 'fraud', ref: '3' })
    expect(() => parseServedModelUri('models:/fraud/latest')).toThrow(/models:\/<name>@<alias>/)
    expect(() => parseServedModelUri('fraud')).toThrow(/Cannot serve 'fraud'/)
  })

  it('refuses bad options with exit code 2 and says what to write instead', async () => {
    const env = { KEEL_STORE: store.storeUri }
    const policy = await runCli(['serve', 'models:/fraud@champion', '--policy', 'canary:2'], env)
    expect(policy.code).toBe(2)
    expect(policy.stderr).toMatch(/--policy.*from 0 to 1, got '2'/s)
    const uri = await runCli(['serve', 'fraud@champion'], env)
    expect(uri.code).toBe(2)
    expect(uri.stderr).toMatch(/models:\/<name>@<alias>/)
    const queue = await runCli(['serve', 'models:/fraud@champion', '--max-queue', '10'], env)
    expect(queue.code).toBe(2)
    expect(queue.stderr).toMatch(/--batch <max rows>:<max wait ms>/)
    const sample = await runCli(['serve', 'models:/fraud@champion', '--capture-sample', '2'], env)
    expect(sample.code).toBe(2)
    const help = await runCli(['serve', '--help'], env)
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/--workers <n>/)
    expect(help.stdout).toMatch(/\$ keel serve models:\/fraud@champion --challenger challenger --policy canary:0.1/)
  })

  it('fails with exit code 1 when a model cannot be loaded', async () => {
    const missing = await runCli(['serve', 'models:/nope@champion', '--workers', '1', '--port', '0', '--log-level', 'silent'], { KEEL_STORE: store.storeUri })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/nope/)
  })

  it('--workers 1 serves in this process: prints URL, models, versions and a curl that works; closing exits 0', async () => {
    let stdout = ''
    let stderr = ''
    let server: { url: string; close(): Promise<void> } | undefined
    let started!: () => void
    const isStarted = new Promise<void>((resolve) => (started = resolve))
    const io: CliIo = {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: { KEEL_STORE: store.storeUri },
      onServerStarted: (s) => {
        server = s
        started()
      },
    }
    const args = ['serve', 'models:/fraud@champion', 'models:/mlp@champion', '--workers', '1', '--port', '0', '--challenger', 'challenger', '--policy', 'shadow', '--log-level', 'silent']
    const run = main(['node', 'keel', ...args], io)
    await Promise.race([isStarted, run.then((code) => Promise.reject(new Error(`keel serve ended (${code}): ${stderr}`)))])
    try {
      const { url } = server!
      expect(stdout).toContain(`listening on ${url} (1 worker)`)
      expect(stdout).toMatch(/fraud: v1 \(@champion\), v2 \(@challenger\)/)
      expect(stdout).toMatch(/mlp: v1 \(@champion\)/)
      // The printed curl works as printed.
      const curl = /curl -s -X POST (\S+) -H 'content-type: application\/json' -d '([^']+)'/.exec(stdout)
      expect(curl, stdout).not.toBeNull()
      const answer = await fetch(curl![1]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: curl![2]! })
      expect(answer.status).toBe(200)
      expect(answer.headers.get('x-keel-model-version')).toBe('fraud/1')
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200)
    } finally {
      await server?.close()
    }
    expect(await run).toBe(0)
  }, 30_000)
})
