/**
 * Single-row requests per second: keel's serving app (/invocations and /v2, the XGBoost fixture through a real
 * deployment) against a bare Fastify route that parses the same JSON and returns a constant. Both servers run
 * in this process (one at a time under load); autocannon runs as a separate process on the same machine, so
 * load generator and server share the cores. Usage: npx tsx bench/serving-app/run.ts [seconds] [connections]
 */
import { execFile } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Fastify from 'fastify'
import { Keel } from '../../src/client/keel.js'
import { openDeployment } from '../../src/serving/deployment.js'
import { createServingApp } from '../../src/serving/serving-app.js'
import { servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'

const seconds = Number(process.argv[2] ?? 10)
const connections = Number(process.argv[3] ?? 32)
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
const keel = await Keel.open(store.storeUri)
const fraud = await openDeployment(keel, { name: 'fraud', batching: 'off' }, { pollMs: 0 })
const serving = await createServingApp({ deployments: [fraud] })
const keelBase = await serving.listen(0, '127.0.0.1')

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

console.log(`${cpus().length} cores, load average before ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${connections} connections, ${seconds} s each, autocannon in another process`)
// Warm-up (JIT) for both, not reported.
await load(`${bareBase}/invocations`, split)
await load(`${keelBase}/invocations`, split)
const results: Array<[string, Measured]> = []
for (let pass = 0; pass < 4; pass++) {
  // Alternate the order between passes so a burst of outside load does not always hit the same server.
  const runs: Array<[string, () => Promise<Measured>]> = [
    ['bare fastify', () => load(`${bareBase}/invocations`, split)],
    ['keel /invocations', () => load(`${keelBase}/invocations`, split)],
    ['keel /v2 infer', () => load(`${keelBase}/v2/models/fraud/infer`, oip)],
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

await serving.close()
await bare.close()
await fraud.close()
await keel.close()
store.remove()
