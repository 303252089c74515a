/**
 * bench/pipelines (issue 7), local executor part: what the orchestrator costs per step, on durable SQLite state.
 *
 *   npx tsx bench/pipelines/run.ts [chain=200] [fan=998] [concurrency=16]
 *
 * 1. Dispatch overhead: a chain of `chain` no-op steps (each depends on the previous). The gap between one step's
 *    start and the next one's start is everything the engine does per step: store the outcome (succeeded), log
 *    the timings to the step's tracking run and end it, find the next ready step, look up the cache, create the
 *    next step's nested tracking run (params + tags), mark it running (compare-and-set), dispatch. p50/p99 over
 *    the gaps. Goal: p50 ≤ 2 ms.
 * 2. A 1,000-step fan-out/fan-in DAG of no-op steps (1 source → `fan` parallel → 1 sink), wall time from
 *    `start` to the final record. Goal: < 5 s.
 * Both on a SQLite file (WAL) under a fresh temp dir, pipeline state and tracking in the same database, as
 * `keel pipeline run` uses them; the same chain on the in-memory PipelineStore shows what the SQL writes cost.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Keel } from '../../src/client/keel.js'
import { definePipeline } from '../../src/pipelines/define.js'
import { LocalExecutor } from '../../src/pipelines/local-executor.js'
import { MemoryPipelineStore } from '../../src/pipelines/memory-pipeline-store.js'
import { PipelineEngine } from '../../src/pipelines/run-engine.js'
import { StepRegistry } from '../../src/pipelines/step-registry.js'
import type { PipelineInput } from '../../src/pipelines/define.js'
import type { PipelineStore, StepKind, StepValue } from '../../src/pipelines/types.js'

const CHAIN = Number(process.argv[2] ?? 200)
const FAN = Number(process.argv[3] ?? 998)
const CONCURRENCY = Number(process.argv[4] ?? 16)

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
}

function registryWith(starts: number[], fan: number): StepRegistry {
  const noop: StepKind = {
    name: 'bench.noop',
    version: '1',
    inputs: { x: 'json' },
    outputs: { y: 'json' },
    run: async (ctx) => {
      starts.push(performance.now())
      // Distinct outputs so no two steps share a cache key.
      return { y: `${String(ctx.inputs['x'])}>${ctx.step}` }
    },
  }
  const sinkInputs: Record<string, 'json'> = {}
  for (let i = 0; i < fan; i++) sinkInputs[`s${i}`] = 'json'
  const sink: StepKind = { name: 'bench.sink', version: '1', inputs: sinkInputs, outputs: { y: 'json' }, run: async () => ({ y: fan }) }
  return new StepRegistry([noop, sink])
}

async function chainBench(keel: Keel, store: PipelineStore | undefined, label: string, runTag: string): Promise<void> {
  const starts: number[] = []
  const registry = registryWith(starts, 0)
  const steps: PipelineInput['steps'] = []
  for (let i = 0; i < CHAIN; i++) {
    steps.push({ name: `s${i}`, kind: 'bench.noop', inputs: { x: i === 0 ? { value: runTag } : `s${i - 1}.y` } })
  }
  const definition = definePipeline({ name: `bench-chain-${label.replace(/[^A-Za-z0-9]+/g, "-")}`, steps }, registry)
  const options = store === undefined ? { concurrency: CONCURRENCY } : { concurrency: CONCURRENCY, store }
  const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry, store === undefined ? {} : { store }), options)
  const t0 = performance.now()
  const run = await engine.run(definition)
  const wall = performance.now() - t0
  if (run.status !== 'succeeded') throw new Error(`chain run ${run.status}: ${run.error ?? ''}`)
  const gaps = starts.slice(1).map((t, i) => t - (starts[i] ?? t)).sort((a, b) => a - b)
  console.log(
    `chain of ${CHAIN} no-op steps (${label}): per-step dispatch overhead p50 ${quantile(gaps, 0.5).toFixed(2)} ms, ` +
      `p99 ${quantile(gaps, 0.99).toFixed(2)} ms, max ${(gaps[gaps.length - 1] ?? NaN).toFixed(2)} ms; wall ${wall.toFixed(0)} ms ` +
      `(${(wall / CHAIN).toFixed(2)} ms/step incl. run start/end)`,
  )
}

async function fanBench(keel: Keel, runTag: string): Promise<void> {
  const starts: number[] = []
  const registry = registryWith(starts, FAN)
  const steps: PipelineInput['steps'] = [{ name: 'source', kind: 'bench.noop', inputs: { x: { value: runTag } } }]
  const sinkInputs: Record<string, string> = {}
  for (let i = 0; i < FAN; i++) {
    // Same kind and input on every branch: without cache: false they would share one cache key and 997 would be cache hits.
    steps.push({ name: `p${i}`, kind: 'bench.noop', inputs: { x: 'source.y' }, cache: false })
    sinkInputs[`s${i}`] = `p${i}.y`
  }
  steps.push({ name: 'sink', kind: 'bench.sink', inputs: sinkInputs })
  const definition = definePipeline({ name: 'bench-fan', steps }, registry)
  const engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry), { concurrency: CONCURRENCY })
  const t0 = performance.now()
  const params: Record<string, StepValue> = {}
  const run = await engine.run(definition, params)
  const wall = performance.now() - t0
  if (run.status !== 'succeeded') throw new Error(`fan run ${run.status}: ${run.error ?? ''}`)
  const n = FAN + 2
  console.log(`fan-out/fan-in DAG of ${n} no-op steps (1 → ${FAN} → 1, concurrency ${CONCURRENCY}): wall ${(wall / 1000).toFixed(2)} s (${(wall / n).toFixed(2)} ms/step, ${Math.round((n / wall) * 1000)} steps/s)`)
}

const dir = mkdtempSync(join(tmpdir(), 'keel-bench-pipelines-'))
try {
  console.log(`bench/pipelines (local executor) — node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model ?? ''}`)
  const keel = await Keel.open(`sqlite:${join(dir, 'keel.db')}`, { artifactsRoot: join(dir, 'artifacts'), cwd: dir })
  try {
    const tag = String(Date.now())
    // Warm-up: JIT, prepared statements, experiment creation.
    await chainBench(keel, undefined, 'warm-up', `${tag}-w`)
    await chainBench(keel, undefined, 'SQLite file state + tracking', tag)
    await chainBench(keel, new MemoryPipelineStore(), 'in-memory state, SQLite tracking', `${tag}-m`)
    await fanBench(keel, tag)
  } finally {
    await keel.close()
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
