/**
 * Single-row requests per second: keel's serving app (/invocations and /v2, the XGBoost fixture through a real
 * deployment) against a bare Fastify route that parses the same JSON and returns a constant. Both servers run
 * in this process (one at a time under load); autocannon runs as a separate process on the same machine, so
 * load generator and server share the cores. Usage: npx tsx bench/serving-app/run.ts [seconds] [connections] [capture=on] [old=<dir>]
 * `capture=on`: metrics and prediction capture to the fixture's SQLite store (as `keel serve --workers 1`).
 * `old=<dir>`: also serve the app of another checkout of keel (e.g. `git archive HEAD src test | tar -x -C <dir>`,
 * node_modules linked) in this process, measured alternately with this one: old vs new in one run.
 */
import { execFile } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Fastify from 'fastify'
import type { Keel } from '../../src/client/keel.js'
import type { openDeployment } from '../../src/serving/deployment.js'
import type { createServingApp } from '../../src/serving/serving-app.js'
import { servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'

const positional = process.argv.slice(2).filter((a) => !a.includes('='))
const named = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1)
const seconds = Number(positional[0] ?? 10)
const connections = Number(positional[1] ?? 32)
const captureOn = named('capture') === 'on'
const oldDir = named('old')
const AUTOCANNON = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'autocannon')
const run = promisify(execFile)

interface Measured {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

async function load(url: string, body: string): Promise<Measured> {
  const { stdout } = await run(AUTOCANNON, ['-c', String(connections), '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '--json', url], {
    maxBuffer: 64 * 1024 * 1024,
  })
  const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number }
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }
}

const store = await servingStore()
interface Served {
  base: string
  written: () => number
  close(): Promise<void>
}
/** The serving app of a checkout (this one, or `old=`), with its own Keel, deployment, metrics and capture. */
async function serve(root: string): Promise<Served> {
  const load = async <T>(path: string): Promise<T> => (await import(join(root, path))) as T
  const { Keel: K } = await load<{ Keel: typeof Keel }>('src/client/keel.ts')
  const { openDeployment: open } = await load<{ openDeployment: typeof openDeployment }>('src/serving/deployment.ts')
  const { createServingApp: create } = await load<{ createServingApp: typeof createServingApp }>('src/serving/serving-app.ts')
  const { ServingMetrics } = await load<typeof import('../../src/serving/serving-metrics.js')>('src/serving/serving-metrics.ts')
  const { PredictionCapture } = await load<typeof import('../../src/serving/prediction-capture.js')>('src/serving/prediction-capture.ts')
  const keel = await K.open(store.storeUri)
  const metrics = captureOn ? new ServingMetrics() : undefined
  const capture = metrics !== undefined ? new PredictionCapture(keel.predictions, { metrics }) : undefined
  const fraud = await open(keel, { name: 'fraud', batching: 'off' }, { pollMs: 0 })
  const serving = await create({ deployments: [fraud], ...(metrics === undefined ? {} : { metrics }), ...(capture === undefined ? {} : { capture }) })
  const base = await serving.listen(0, '127.0.0.1')
  return {
    base,
    written: () => capture?.written ?? 0,
    async close() {
      await serving.close()
      await capture?.close()
      await fraud.close()
      await keel.close()
    },
  }
}
const ROOT = join(import.meta.dirname, '..', '..')
const current = await serve(ROOT)
const keelBase = current.base
const previous = oldDir === undefined ? undefined : await serve(oldDir)

const bare = Fastify({ logger: false })
bare.post('/invocations', async (request) => {
  const body = request.body as { dataframe_split?: unknown }
  if (body.dataframe_split === undefined) throw new Error('no dataframe_split')
  return { predictions: [0.06118718162178993] }
})
const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' })

const { features, inputs } = xgbBinaryExpected()
const row = inputs[1]!
const split = JSON.stringify({ dataframe_split: { columns: features, data: [row] } })
const oip = JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, features.length], datatype: 'FP64', data: [row] }] })

console.log(
  `${cpus().length} cores, load average before ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${connections} connections, ${seconds} s each, autocannon in another process; capture ${captureOn ? 'on (SQLite)' : 'off'}${previous === undefined ? '' : `; old = ${oldDir}`}`,
)
// Warm-up (JIT) for all, not reported.
await load(`${bareBase}/invocations`, split)
await load(`${keelBase}/invocations`, split)
if (previous !== undefined) await load(`${previous.base}/invocations`, split)
const results: Array<[string, Measured]> = []
for (let pass = 0; pass < 4; pass++) {
  // Alternate the order between passes so a burst of outside load does not always hit the same server.
  const runs: Array<[string, () => Promise<Measured>]> = [
    ['bare fastify', () => load(`${bareBase}/invocations`, split)],
    ['keel /invocations', () => load(`${keelBase}/invocations`, split)],
    ['keel /v2 infer', () => load(`${keelBase}/v2/models/fraud/infer`, oip)],
    ...(previous === undefined
      ? []
      : ([
          ['old /invocations', () => load(`${previous.base}/invocations`, split)],
          ['old /v2 infer', () => load(`${previous.base}/v2/models/fraud/infer`, oip)],
        ] as Array<[string, () => Promise<Measured>]>)),
  ]
  if (pass % 2 === 1) runs.reverse()
  for (const [name, measure] of runs) results.push([`${name} (pass ${pass + 1})`, await measure()])
}
for (const [name, m] of results) {
  console.log(`${name.padEnd(28)} ${m.rps.toFixed(0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  non2xx ${m.non2xx} errors ${m.errors}`)
}
const mean = (prefix: string): number => {
  const xs = results.filter(([n]) => n.startsWith(prefix)).map(([, m]) => m.rps)
  return xs.reduce((a, b) => a + b, 0) / xs.length
}
const bareRps = mean('bare')
console.log(`ratio /invocations: ${((100 * mean('keel /invocations')) / bareRps).toFixed(0)} % of bare; /v2: ${((100 * mean('keel /v2')) / bareRps).toFixed(0)} % (load average after ${loadavg().map((l) => l.toFixed(1)).join(' ')})`)
if (previous !== undefined) {
  console.log(`old: /invocations ${((100 * mean('old /invocations')) / bareRps).toFixed(0)} % of bare; /v2: ${((100 * mean('old /v2')) / bareRps).toFixed(0)} %; new / old: /invocations ${(mean('keel /invocations') / mean('old /invocations')).toFixed(2)}×, /v2 ${(mean('keel /v2') / mean('old /v2')).toFixed(2)}×`)
}
if (captureOn) console.log(`captured predictions written: new ${current.written()}${previous === undefined ? '' : `, old ${previous.written()}`}`)

await current.close()
await previous?.close()
await bare.close()
store.remove()
