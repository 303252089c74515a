/**
 * bench/serving: `keel serve` against Flask + gunicorn and a bare Fastify route, in one run, on loopback.
 *
 * Model: keel's fraud generator (bench/training/generate.ts, seed 42, ROWS rows, 30 features) → XGBoost
 * binary:logistic, 100 trees, depth 6 (train_xgb.py with /usr/bin/python3) → `keel models import` into a temp store,
 * alias champion. Every target is started alone as its own process tree, checked with one request, warmed up for
 * WARMUP s, then loaded for SECONDS s by autocannon (a separate Node process, so it never shares the server's event
 * loop) with 32 connections sending the same single-row body; then stopped.
 * Targets:
 * - keel serve, 2 workers and 1 worker, `/v2/models/fraud/infer` (OIP) and `/invocations` (MLflow dataframe_split),
 *   prediction capture on (the default: every prediction to the SQLite store) and off;
 * - Flask + gunicorn `-k sync -w 2`, the same XGBoost JSON, numpy (no pandas), one XGBoost thread per worker
 *   (flask_app.py: the best configuration of the shared baselines);
 * - bare Fastify (bare-fastify.ts): JSON-parse the same body, answer a constant; 2 processes via node:cluster and 1.
 * Load generator and server share this machine's cores (2 here): autocannon's own CPU is taken from the servers.
 *
 * Usage: npm run bench:serving [-- seconds=10 warmup=3 rows=100000]
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { generateFraudCsv } from '../training/generate.js'

const arg = (name: string, fallback: number): number => {
  const hit = process.argv.find((a) => a.startsWith(`${name}=`))
  const value = hit === undefined ? fallback : Number(hit.slice(name.length + 1))
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`)
  return value
}
const SECONDS = arg('seconds', 10)
const WARMUP = arg('warmup', 3)
const ROWS = arg('rows', 100_000)
const CONNECTIONS = 32
const HERE = new URL('.', import.meta.url).pathname
const ROOT = join(HERE, '..', '..')
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js')

interface Target {
  label: string
  processes: number
  path: string
  body: string
  start(port: number): ChildProcess
  /** keel only: capture counters read from /metrics after the run. */
  keel?: boolean
}

interface Measured {
  target: Target
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  timeouts: number
  note: string
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  return { status: response.status, text: await response.text() }
}

async function waitReady(url: string, body: string, child: ChildProcess, log: () => string): Promise<string> {
  const end = Date.now() + 120_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited (${child.exitCode}):\n${log()}`)
    try {
      const r = await post(url, body)
      if (r.status === 200) return r.text
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error(`${url}: not ready in 120 s:\n${log()}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

interface AutocannonResult {
  '2xx': number
  non2xx: number
  errors: number
  timeouts: number
  duration: number
  latency: { p50: number; p99: number }
}

function autocannon(url: string, body: string, seconds: number): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const args = [AUTOCANNON, '-c', String(CONNECTIONS), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '-j', url]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${String(code)}: ${err}`))
      try {
        resolve(JSON.parse(out) as AutocannonResult)
      } catch (error) {
        reject(new Error(`autocannon output is not JSON (${String(error)}): ${out.slice(0, 300)}`))
      }
    })
  })
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  await exited
  clearTimeout(timer)
}

async function measure(target: Target): Promise<Measured> {
  const port = await freePort()
  const child = target.start(port)
  let log = ''
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (log += c))
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (log += c))
  const base = `http://127.0.0.1:${port}`
  const url = `${base}${target.path}`
  try {
    await waitReady(url, target.body, child, () => log)
    await autocannon(url, target.body, WARMUP)
    const r = await autocannon(url, target.body, SECONDS)
    let note = ''
    if (target.keel === true) {
      const metrics = await (await fetch(`${base}/metrics`)).text()
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0)
      note = `capture written ${value('keel_serving_capture_written_total')}, dropped ${value('keel_serving_capture_dropped_total')}`
    }
    return { target, rps: r['2xx'] / r.duration, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx, timeouts: r.timeouts, note }
  } finally {
    await stop(child)
  }
}

const dir = mkdtempSync(join(tmpdir(), 'keel-bench-serving-'))
try {
  const csv = join(dir, 'fraud.csv')
  const modelPath = join(dir, 'xgb_fraud.json')
  const bodyPath = join(dir, 'body.json')
  await generateFraudCsv(csv, ROWS, 42)
  const trained = JSON.parse(execFileSync('/usr/bin/python3', [join(HERE, 'train_xgb.py'), csv, modelPath, bodyPath], { encoding: 'utf8' })) as {
    xgboost: string
    trees: number
    features: number
  }
  const storeUri = `sqlite:${join(dir, 'keel.db')}`
  const env = { KEEL_STORE: storeUri }
  const sink = { write: () => true }
  for (const args of [
    ['models', 'import', '--name', 'fraud', '--format', 'xgboost', modelPath],
    ['models', 'alias', 'set', 'fraud', 'champion', '1'],
  ]) {
    if ((await main(['node', 'keel', ...args], { stdout: sink, stderr: sink, env })) !== 0) throw new Error(`keel ${args.join(' ')} failed`)
  }

  const invocationsBody = readFileSync(bodyPath, 'utf8')
  const split = (JSON.parse(invocationsBody) as { dataframe_split: { columns: string[]; data: number[][] } }).dataframe_split
  const v2Body = JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, split.columns.length], datatype: 'FP64', data: split.data }] })

  const keel = (workers: number, path: string, capture: boolean): Target => ({
    label: `keel serve --workers ${workers} ${path === '/invocations' ? '/invocations' : '/v2 infer'}${capture ? '' : ' --capture off'}`,
    processes: workers,
    path,
    body: path === '/invocations' ? invocationsBody : v2Body,
    keel: true,
    start: (port) =>
      spawn(
        process.execPath,
        ['--import', 'tsx', join(HERE, 'keel-cli.ts'), 'serve', 'models:/fraud@champion', '--port', String(port), '--workers', String(workers), '--log-level', 'warn', ...(capture ? [] : ['--capture', 'off'])],
        { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
  })
  const bare = (workers: number, path: string): Target => ({
    label: `bare fastify, ${workers} process${workers === 1 ? '' : 'es'} ${path === '/invocations' ? '/invocations' : '/v2 infer'}`,
    processes: workers,
    path,
    body: path === '/invocations' ? invocationsBody : v2Body,
    start: (port) =>
      spawn(process.execPath, ['--import', 'tsx', join(HERE, 'bare-fastify.ts')], { cwd: ROOT, env: { ...process.env, PORT: String(port), WORKERS: String(workers) }, stdio: ['ignore', 'pipe', 'pipe'] }),
  })
  const flask: Target = {
    label: 'Flask + gunicorn -k sync -w 2 /invocations',
    processes: 2,
    path: '/invocations',
    body: invocationsBody,
    start: (port) =>
      spawn('gunicorn', ['-k', 'sync', '-w', '2', '-b', `127.0.0.1:${port}`, '--chdir', HERE, 'flask_app:app'], {
        env: { ...process.env, MODEL: modelPath, OMP_NUM_THREADS: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
  }

  // Same answer from keel and XGBoost itself (through Flask) before anything is timed.
  const check = async (target: Target): Promise<string> => {
    const port = await freePort()
    const child = target.start(port)
    let log = ''
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (log += c))
    try {
      return await waitReady(`http://127.0.0.1:${port}${target.path}`, target.body, child, () => log)
    } finally {
      await stop(child)
    }
  }
  const keelAnswer = JSON.parse(await check(keel(1, '/invocations', false))) as { predictions: Array<{ probability_1: number }>; model_version: string }
  const flaskAnswer = JSON.parse(await check(flask)) as { predictions: number[] }
  const diff = Math.abs(keelAnswer.predictions[0]!.probability_1 - flaskAnswer.predictions[0]!)

  const targets: Target[] = [
    keel(2, '/v2/models/fraud/infer', true),
    keel(2, '/invocations', true),
    keel(2, '/invocations', false),
    keel(1, '/v2/models/fraud/infer', true),
    keel(1, '/invocations', true),
    flask,
    bare(2, '/invocations'),
    bare(2, '/v2/models/fraud/infer'),
    bare(1, '/invocations'),
  ]
  const results: Measured[] = []
  for (const target of targets) {
    const m = await measure(target)
    results.push(m)
    console.error(`done: ${target.label}: ${Math.round(m.rps)} req/s`)
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`# bench/serving — ${new Date().toISOString()}`)
  console.log(
    `XGBoost ${trained.xgboost}, ${trained.trees} trees, ${trained.features} features (trained on ${ROWS.toLocaleString('en-US')} generated rows); ` +
      `autocannon -c ${CONNECTIONS}, ${WARMUP} s warm-up + ${SECONDS} s measured per target, single-row POST bodies, loopback.`,
  )
  console.log(`Load generator and server share the same ${availableParallelism()} cores (${cpu}); Node ${process.version}.`)
  console.log(`keel and XGBoost agree on row 0: |Δp| = ${diff.toExponential(2)} (keel v${keelAnswer.model_version}).\n`)
  console.log('| target | processes | req/s (2xx) | p50 ms | p99 ms | errors | non-2xx | timeouts | note |')
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const m of results) {
    console.log(`| ${m.target.label} | ${m.target.processes} | ${Math.round(m.rps).toLocaleString('en-US')} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${m.errors} | ${m.non2xx} | ${m.timeouts} | ${m.note} |`)
  }
  const by = (label: string): Measured => results.find((m) => m.target.label === label)!
  const flaskRps = by(flask.label).rps
  console.log('')
  const goal = (ok: boolean): string => (ok ? 'met' : 'NOT met')
  for (const [k, b] of [
    ['keel serve --workers 2 /v2 infer', 'bare fastify, 2 processes /v2 infer'],
    ['keel serve --workers 2 /invocations', 'bare fastify, 2 processes /invocations'],
    ['keel serve --workers 1 /invocations', 'bare fastify, 1 process /invocations'],
  ] as const) {
    const m = by(k)
    const vsFlask = m.rps / flaskRps
    const vsBare = m.rps / by(b).rps
    console.log(
      `${k}: ${vsFlask.toFixed(1)}× Flask (goal ≥ 10×: ${goal(vsFlask >= 10)}), ${(vsBare * 100).toFixed(0)} % of ${b} (goal ≥ 70 %: ${goal(vsBare >= 0.7)}), ` +
        `p99 ${m.p99.toFixed(2)} ms (goal < 10 ms: ${goal(m.p99 < 10)})`,
    )
  }
  const on = by('keel serve --workers 2 /invocations')
  const off = by('keel serve --workers 2 /invocations --capture off')
  console.log(`capture on vs off (2 workers, /invocations): ${Math.round(on.rps)} vs ${Math.round(off.rps)} req/s (${((on.rps / off.rps) * 100).toFixed(0)} %); ${on.note}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
