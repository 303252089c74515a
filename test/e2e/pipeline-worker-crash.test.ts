import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../../src/client/keel.js'
import { BullmqExecutor } from '../../src/pipelines/bullmq-executor.js'
import type { BullmqStepOutcome } from '../../src/pipelines/bullmq-executor.js'
import { definePipeline } from '../../src/pipelines/define.js'
import { PipelineEngine } from '../../src/pipelines/run-engine.js'
import { StepRegistry } from '../../src/pipelines/step-registry.js'
import type { StepExecutor } from '../../src/pipelines/types.js'
import { register, STEP_TAG } from '../fixtures/pipeline-crash-steps.js'
import { REDIS_AVAILABLE, startRedis, uniqueQueue } from '../support/redis.js'
import type { TestRedis } from '../support/redis.js'
import { tempDir } from '../support/temp-dir.js'

const CLI = fileURLToPath(new URL('../support/keel-cli.ts', import.meta.url))
const STEPS = fileURLToPath(new URL('../fixtures/pipeline-crash-steps.ts', import.meta.url))

interface WorkerProcess {
  id: string
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Polls `check` every 20 ms for up to `ms` (waiting on other processes, not sleeping for time to pass). */
async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (check()) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`timed out waiting for ${what()}`)
}

describe.skipIf(!REDIS_AVAILABLE)('BullMQ crash test (needs redis-server or REDIS_URL)', () => {
  let redis: TestRedis
  let dir: ReturnType<typeof tempDir>
  const workers: WorkerProcess[] = []

  beforeAll(async () => {
    redis = await startRedis()
    dir = tempDir('keel-worker-crash-')
  })
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL')
    await redis.stop()
    dir.remove()
  })

  async function startWorker(id: string, queue: string, store: string, artifacts: string): Promise<WorkerProcess> {
    const args = ['--import', 'tsx', CLI, 'worker', '--redis', redis.url, '--queue', queue, '--store', store, '--artifacts', artifacts]
    args.push('--id', id, '--concurrency', '1', '--lock-duration', '1000', '--stalled-interval', '500', '--steps', STEPS)
    const child = spawn(process.execPath, args, { env: { ...process.env, KEEL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let text = ''
    child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
    const worker = { id, child, output: () => text, exited }
    workers.push(worker)
    await until(() => text.includes(`worker ${id} on `) || child.exitCode !== null, 30_000, () => `worker ${id} to start:\n${text}`)
    expect(child.exitCode, text).toBeNull()
    return worker
  }

  it('SIGKILL a worker mid-step: the step reruns on another worker, the run completes, nothing is registered twice', async () => {
    const store = `sqlite:${join(dir.path, 'keel.db')}`
    const artifacts = join(dir.path, 'artifacts')
    const queue = uniqueQueue('keel-crash')
    // Opened (and migrated) before the workers open the same file.
    const keel = await Keel.open(store, { artifactsRoot: artifacts, cwd: dir.path })
    const registry = new StepRegistry()
    register(registry)
    const [a, b] = [await startWorker('crash-a', queue, store, artifacts), await startWorker('crash-b', queue, store, artifacts)]
    const byPid = new Map([a, b].map((w) => [w.child.pid, w]))

    const bullmq = new BullmqExecutor({ connection: redis.url, queue, keel })
    const outcomes = new Map<string, BullmqStepOutcome>()
    const executor: StepExecutor = {
      name: 'bullmq',
      dispatch: async (job, signal) => {
        const outcome = await bullmq.dispatch(job, signal)
        outcomes.set(job.step, outcome)
        return outcome
      },
      close: () => bullmq.close(),
    }
    const engine = new PipelineEngine(keel, registry, executor)
    const definition = definePipeline(
      {
        name: 'crash-proof',
        params: { dir: 'string' },
        steps: [
          { name: 'prepare', kind: 'crash.noop', inputs: { dir: 'params.dir' } },
          { name: 'register', kind: 'crash.register-once', inputs: { dir: 'prepare.dir', name: { value: 'crash-model' } } },
          { name: 'deploy', kind: 'crash.after', inputs: { version: 'register.version' } },
        ],
      },
      registry,
    )
    try {
      const runId = await engine.start(definition, { dir: dir.path })
      const holding = (): string[] => readdirSync(dir.path).filter((f) => f.startsWith('holding-'))
      await until(() => holding().length > 0, 30_000, () => `the register step to start:\n${a.output()}\n${b.output()}`)
      const holder = byPid.get(Number(holding()[0]?.slice('holding-'.length)))
      expect(holder, 'the step ran in neither worker process').toBeDefined()
      const survivor = holder === a ? b : a
      holder!.child.kill('SIGKILL')
      expect((await holder!.exited).signal).toBe('SIGKILL')

      const run = await engine.wait(runId)
      expect(run.status, run.error).toBe('succeeded')

      // Exactly one version: the rerun found the one its dead predecessor registered.
      const versions = (await keel.registry.searchModelVersions({ filter: "name = 'crash-model'" })).items
      expect(versions).toHaveLength(1)
      expect(versions[0]?.tags.find((t) => t.key === STEP_TAG)?.value).toBe(`${runId}:register`)
      const steps = new Map((await keel.pipelines.getSteps(runId)).map((s) => [s.step, s]))
      expect(steps.get('register')).toMatchObject({ status: 'succeeded', worker: survivor.id, outputs: { version: versions[0]?.version, reused: true } })
      expect(steps.get('deploy')).toMatchObject({ status: 'succeeded', outputs: { deployed: versions[0]?.version } })

      // The history shows the retry: both starts in the outcome, a log line naming both workers.
      const outcome = outcomes.get('register')
      expect(outcome?.starts?.map((s) => s.worker)).toEqual([holder!.id, survivor.id])
      expect(outcome).toMatchObject({ ok: true, worker: survivor.id, stalledCounter: 1 })
      // …and the stored step history: the dead worker's attempt, interrupted, then the survivor's.
      const history = steps.get('register')?.attempts ?? []
      expect(history.map((a) => a.worker)).toEqual([holder!.id, survivor.id])
      expect(history[0]?.error).toMatch(/stopped mid-step; restarted on/)
      const logs = (await keel.pipelines.logs(runId, 'register')).map((l) => l.line)
      expect(logs.some((line) => line.includes(`restarted on worker ${survivor.id}: worker ${holder!.id}`)), logs.join('\n')).toBe(true)
      expect(survivor.output()).toMatch(/start {2}crash-proof run \S+ step register .* again: its previous worker stopped mid-step/)

      // SIGTERM drains the survivor and it exits cleanly.
      survivor.child.kill('SIGTERM')
      const exit = await survivor.exited
      expect(exit, survivor.output()).toEqual({ code: 0, signal: null })
      expect(survivor.output()).toMatch(/stopped/)
      expect(readFileSync(join(dir.path, holding()[0]!), 'utf8')).toBe(versions[0]?.version)
    } finally {
      await executor.close()
      await keel.close()
    }
  })
})
