import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../../client/keel.js'
import { BullmqExecutor } from '../../pipelines/bullmq-executor.js'
import { REDIS_AVAILABLE, startRedis, uniqueQueue } from '../../../test/support/redis.js'
import type { TestRedis } from '../../../test/support/redis.js'
import { runCli } from '../../../test/support/run-cli.js'
import { tempDir } from '../../../test/support/temp-dir.js'

const STEPS = fileURLToPath(new URL('../../../test/fixtures/pipeline-crash-steps.ts', import.meta.url))

describe('keel worker: usage errors', () => {
  it('refuses a Redis address that is not a redis:// URL, with exit code 2', async () => {
    const result = await runCli(['worker', '--redis', 'localhost:6379'], {})
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/must start with redis:\/\/ or rediss:\/\//)
  })

  it('refuses a --steps module that cannot be loaded or registers nothing', async () => {
    const dir = tempDir()
    try {
      const missing = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--steps', join(dir.path, 'nope.mjs')], {})
      expect(missing.code).toBe(2)
      expect(missing.stderr).toMatch(/--steps .*nope\.mjs could not be loaded/)
      writeFileSync(join(dir.path, 'empty.mjs'), 'export const x = 1\n')
      const empty = await runCli(['worker', '--redis', 'redis://127.0.0.1:1', '--steps', join(dir.path, 'empty.mjs')], {})
      expect(empty.code).toBe(2)
      expect(empty.stderr).toMatch(/must export a function register\(registry\)/)
    } finally {
      dir.remove()
    }
  })
})

describe.skipIf(!REDIS_AVAILABLE)('keel worker (needs redis-server or REDIS_URL)', () => {
  let redis: TestRedis
  let dir: ReturnType<typeof tempDir>
  beforeAll(async () => {
    redis = await startRedis()
    dir = tempDir()
  })
  afterAll(async () => {
    await redis.stop()
    dir.remove()
  })

  it('joins the queue, runs the steps of its --steps module, prints each, and stops when told', async () => {
    const queue = uniqueQueue()
    const store = `sqlite:${join(dir.path, 'keel.db')}`
    const keel = await Keel.open(store, { artifactsRoot: join(dir.path, 'artifacts') })
    let stopWorker: (() => Promise<void>) | undefined
    let started!: () => void
    const ready = new Promise<void>((resolve) => (started = resolve))
    const running = runCli(['worker', '--redis', redis.url, '--queue', queue, '--store', store, '--id', 'cli-w', '--concurrency', '2', '--steps', STEPS], {}, (server) => {
      stopWorker = server.close
      started()
    })
    const executor = new BullmqExecutor({ connection: redis.url, queue, keel })
    try {
      await Promise.race([ready, running.then((r) => Promise.reject(new Error(`worker exited: ${r.stderr}`)))])
      const outcome = await executor.dispatch(
        { runId: 'r1', pipeline: 'demo', step: 'prep', kind: 'crash.noop', attempt: 1, inputs: { dir: '/data' }, trackingRunId: 't' },
        new AbortController().signal,
      )
      expect(outcome).toMatchObject({ ok: true, outputs: { dir: '/data' }, worker: 'cli-w' })
      const unknown = await executor.dispatch(
        { runId: 'r1', pipeline: 'demo', step: 'x', kind: 'fraud.features', attempt: 1, inputs: {}, trackingRunId: 't' },
        new AbortController().signal,
      )
      expect(unknown).toMatchObject({ ok: false, retryable: false })
    } finally {
      await executor.close()
      await stopWorker?.()
      await keel.close()
    }
    const result = await running
    expect(result.code, result.stderr).toBe(0)
    const lines = result.stdout.split('\n')
    expect(lines[0]).toMatch(new RegExp(`^worker cli-w on redis://127\\.0\\.0\\.1:\\d+ queue ${queue}, concurrency 2, 13 step kinds: crash\\.after, crash\\.noop, crash\\.register-once, keel\\.batch-score`))
    expect(result.stdout).toMatch(/^start {2}demo run r1 step prep \(crash\.noop, attempt 1\)$/m)
    expect(result.stdout).toMatch(/^done {3}demo run r1 step prep \(crash\.noop, attempt 1\) in \d+ ms$/m)
    expect(result.stdout).toMatch(/^failed demo run r1 step x \(fraud\.features, attempt 1\) in \d+ ms: .*not registered on worker cli-w/m)
    expect(result.stdout).toMatch(/worker cli-w: stopped/)
  })
})
