/**
 * bench/pipelines (issue 7), BullMQ part: what handing a step to a worker through Redis costs.
 *
 *   npx tsx bench/pipelines/bullmq.ts [handoffs=1000] [chain=200] [fan=998]
 *
 * Uses REDIS_URL when set (`eval "$(scripts/start-redis.sh)"`), else starts a throwaway redis-server on loopback.
 * 1. Step hand-off: `handoffs` no-op steps dispatched one after another through BullmqExecutor to a worker in
 *    this process; per step: dispatch → worker starts the step → the executor sees the outcome. p50/p99 of the
 *    whole round trip and of each half. Goal: p50 ≤ 10 ms.
 * 2. The same round trip to a `keel worker` in another process (what a pool of machines does, minus the network).
 * 3. The queue's throughput without the engine: `handoffs` no-op steps, 16 and 64 in flight.
 * 4. The engine on BullMQ: a chain of `chain` no-op steps (gap between consecutive step starts: engine + store +
 *    queue per step) and a 1 → `fan` → 1 fan-out/fan-in DAG (wall time; two in-process workers, concurrency 8
 *    each), on SQLite state like bench/pipelines/run.ts.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { Keel } from '../../src/client/keel.js'
import { BullmqExecutor } from '../../src/pipelines/bullmq-executor.js'
import { definePipeline } from '../../src/pipelines/define.js'
import type { PipelineInput } from '../../src/pipelines/define.js'
import { startPipelineWorker } from '../../src/pipelines/pipeline-worker.js'
import { PipelineEngine } from '../../src/pipelines/run-engine.js'
import { StepRegistry } from '../../src/pipelines/step-registry.js'
import type { StepKind } from '../../src/pipelines/types.js'
import { startRedis } from '../../test/support/redis.js'
import { benchNoop } from './bullmq-steps.js'

const HANDOFFS = Number(process.argv[2] ?? 1000)
const CHAIN = Number(process.argv[3] ?? 200)
const FAN = Number(process.argv[4] ?? 998)
const CLI = fileURLToPath(new URL('../../test/support/keel-cli.ts', import.meta.url))
const STEPS = fileURLToPath(new URL('./bullmq-steps.ts', import.meta.url))

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b)
  return `p50 ${quantile(sorted, 0.5).toFixed(2)} ms, p99 ${quantile(sorted, 0.99).toFixed(2)} ms, max ${(sorted[sorted.length - 1] ?? NaN).toFixed(2)} ms`
}

function queueName(label: string): string {
  return `keel-bench-${label}-${process.pid}-${Date.now()}`
}

async function handoffInProcess(url: string, keel: Keel): Promise<void> {
  let startedAt = 0
  const timed: StepKind = { ...benchNoop, name: 'bench.timed', run: async (ctx) => ((startedAt = performance.now()), { y: ctx.step }) }
  const registry = new StepRegistry([timed])
  const queue = queueName('handoff')
  const worker = startPipelineWorker({ connection: url, queue, keel, registry, concurrency: 1, id: 'bench' })
  const executor = new BullmqExecutor({ connection: url, queue, keel })
  await Promise.all([worker.ready(), executor.start()])
  const signal = new AbortController().signal
  const toStart: number[] = []
  const toSeen: number[] = []
  const total: number[] = []
  try {
    for (let i = 0; i < HANDOFFS + 100; i++) {
      const t0 = performance.now()
      const outcome = await executor.dispatch({ runId: 'bench', pipeline: 'bench', step: `s${i}`, kind: 'bench.timed', attempt: 1, inputs: { x: i }, trackingRunId: 't' }, signal)
      const t1 = performance.now()
      if (!outcome.ok) throw new Error(outcome.error)
      if (i < 100) continue // warm-up
      toStart.push(startedAt - t0)
      toSeen.push(t1 - startedAt)
      total.push(t1 - t0)
    }
  } finally {
    await executor.close()
    await worker.close()
  }
  console.log(`step hand-off, worker in this process (${HANDOFFS} no-op steps, one at a time):`)
  console.log(`  dispatch → step starts on the worker:  ${summary(toStart)}`)
  console.log(`  step starts → outcome seen by executor: ${summary(toSeen)}`)
  console.log(`  round trip (dispatch → outcome):        ${summary(total)}`)
}

async function throughput(url: string, keel: Keel): Promise<void> {
  const registry = new StepRegistry([benchNoop])
  const queue = queueName('throughput')
  const workers = ['tp-a', 'tp-b'].map((id) => startPipelineWorker({ connection: url, queue, keel, registry, concurrency: 8, id }))
  const executor = new BullmqExecutor({ connection: url, queue, keel })
  await Promise.all([...workers.map((w) => w.ready()), executor.start()])
  const signal = new AbortController().signal
  try {
    for (const inFlight of [16, 64]) {
      let next = 0
      const t0 = performance.now()
      const lane = async (): Promise<void> => {
        while (next < HANDOFFS) {
          const i = next++
          const outcome = await executor.dispatch({ runId: `tp${inFlight}`, pipeline: 'bench', step: `s${i}`, kind: 'bench.noop', attempt: 1, inputs: { x: i }, trackingRunId: 't' }, signal)
          if (!outcome.ok) throw new Error(outcome.error)
        }
      }
      await Promise.all(Array.from({ length: inFlight }, lane))
      const wall = performance.now() - t0
      console.log(`queue alone, ${HANDOFFS} no-op steps, ${inFlight} in flight, 2 in-process workers × 8: ${Math.round((HANDOFFS / wall) * 1000)} steps/s`)
    }
  } finally {
    await executor.close()
    await Promise.all(workers.map((w) => w.close()))
  }
}

async function handoffOtherProcess(url: string, keel: Keel, store: string, artifacts: string): Promise<void> {
  const queue = queueName('process')
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'worker', '--redis', url, '--queue', queue, '--store', store, '--artifacts', artifacts, '--steps', STEPS, '--id', 'bench-proc'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    // Only the banner is wanted; the per-step lines would cost the worker more than the hand-off.
    if (out.length < 10_000) out += chunk.toString()
  })
  for (let i = 0; i < 600 && !out.includes('worker bench-proc on'); i++) await new Promise((r) => setTimeout(r, 50))
  if (!out.includes('worker bench-proc on')) throw new Error(`keel worker did not start: ${out}`)
  const executor = new BullmqExecutor({ connection: url, queue, keel })
  await executor.start()
  const signal = new AbortController().signal
  const total: number[] = []
  try {
    for (let i = 0; i < HANDOFFS + 100; i++) {
      const t0 = performance.now()
      const outcome = await executor.dispatch({ runId: 'bench', pipeline: 'bench', step: `p${i}`, kind: 'bench.noop', attempt: 1, inputs: { x: i }, trackingRunId: 't' }, signal)
      if (!outcome.ok) throw new Error(outcome.error)
      if (i >= 100) total.push(performance.now() - t0)
    }
  } finally {
    await executor.close()
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
  console.log(`step hand-off, \`keel worker\` in another process: round trip ${summary(total)}`)
}

async function engineOnBullmq(url: string, keel: Keel): Promise<void> {
  const starts: number[] = []
  const noop: StepKind = { ...benchNoop, run: async (ctx) => (starts.push(performance.now()), { y: `${String(ctx.inputs['x'])}>${ctx.step}` }) }
  const sinkInputs: Record<string, 'json'> = {}
  for (let i = 0; i < FAN; i++) sinkInputs[`s${i}`] = 'json'
  const sink: StepKind = { name: 'bench.sink', version: '1', inputs: sinkInputs, outputs: { y: 'json' }, run: async () => ({ y: FAN }) }
  const registry = new StepRegistry([noop, sink])
  const queue = queueName('engine')
  const workers = ['bench-a', 'bench-b'].map((id) => startPipelineWorker({ connection: url, queue, keel, registry, concurrency: 8, id }))
  const executor = new BullmqExecutor({ connection: url, queue, keel })
  await Promise.all([...workers.map((w) => w.ready()), executor.start()])
  const tag = String(Date.now())
  try {
    const engine = new PipelineEngine(keel, registry, executor, { concurrency: 16 })
    for (const label of ['warm-up', 'measured']) {
      starts.length = 0
      const steps: PipelineInput['steps'] = []
      for (let i = 0; i < CHAIN; i++) steps.push({ name: `s${i}`, kind: 'bench.noop', inputs: { x: i === 0 ? { value: `${tag}-${label}` } : `s${i - 1}.y` } })
      const t0 = performance.now()
      const run = await engine.run(definePipeline({ name: `bench-bullmq-chain-${label}`, steps }, registry))
      const wall = performance.now() - t0
      if (run.status !== 'succeeded') throw new Error(`chain run ${run.status}: ${run.error ?? ''}`)
      if (label === 'warm-up') continue
      const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? t))
      console.log(`engine on BullMQ, chain of ${CHAIN} no-op steps: per-step overhead (step start → next step start) ${summary(gaps)}; wall ${wall.toFixed(0)} ms`)
    }
    const steps: PipelineInput['steps'] = [{ name: 'source', kind: 'bench.noop', inputs: { x: { value: tag } } }]
    const fanIn: Record<string, string> = {}
    for (let i = 0; i < FAN; i++) {
      steps.push({ name: `p${i}`, kind: 'bench.noop', inputs: { x: 'source.y' }, cache: false })
      fanIn[`s${i}`] = `p${i}.y`
    }
    steps.push({ name: 'sink', kind: 'bench.sink', inputs: fanIn })
    const t0 = performance.now()
    const run = await engine.run(definePipeline({ name: 'bench-bullmq-fan', steps }, registry))
    const wall = performance.now() - t0
    if (run.status !== 'succeeded') throw new Error(`fan run ${run.status}: ${run.error ?? ''}`)
    const n = FAN + 2
    const byWorker = new Map<string, number>()
    for (const s of await keel.pipelines.getSteps(run.id)) byWorker.set(s.worker ?? '?', (byWorker.get(s.worker ?? '?') ?? 0) + 1)
    console.log(
      `engine on BullMQ, fan-out/fan-in DAG of ${n} no-op steps (1 → ${FAN} → 1, engine concurrency 16, 2 workers × 8): wall ${(wall / 1000).toFixed(2)} s ` +
        `(${Math.round((n / wall) * 1000)} steps/s; steps per worker ${JSON.stringify(Object.fromEntries(byWorker))})`,
    )
  } finally {
    await executor.close()
    await Promise.all(workers.map((w) => w.close()))
  }
}

const redis = await startRedis()
const dir = mkdtempSync(join(tmpdir(), 'keel-bench-bullmq-'))
try {
  console.log(`bench/pipelines (BullMQ executor) — node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''}, Redis ${redis.url}`)
  const store = `sqlite:${join(dir, 'keel.db')}`
  const artifacts = join(dir, 'artifacts')
  const keel = await Keel.open(store, { artifactsRoot: artifacts, cwd: dir })
  try {
    await handoffInProcess(redis.url, keel)
    await handoffOtherProcess(redis.url, keel, store, artifacts)
    await throughput(redis.url, keel)
    await engineOnBullmq(redis.url, keel)
  } finally {
    await keel.close()
  }
} finally {
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
}
