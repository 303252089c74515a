/**
 * Profile the serving hot path: the serving app in this process (the XGBoost fixture, metrics, capture to a
 * SQLite store unless `capture=off`), autocannon in a child process. Run under `node --cpu-prof`:
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/serving-app/profile.ts [seconds=10] [path=/invocations] [capture=on]
 * then summarise with `npx tsx bench/serving-app/top.ts /tmp/prof/<file>.cpuprofile`.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Keel } from '../../src/client/keel.js'
import { openDeployment } from '../../src/serving/deployment.js'
import { PredictionCapture } from '../../src/serving/prediction-capture.js'
import { createServingApp } from '../../src/serving/serving-app.js'
import { ServingMetrics } from '../../src/serving/serving-metrics.js'
import { servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'

const arg = (name: string, fallback: string): string => process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1) ?? fallback
const seconds = Number(arg('seconds', '10'))
const path = arg('path', '/invocations')
const captureOn = arg('capture', 'on') === 'on'
const AUTOCANNON = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'autocannon')
const run = promisify(execFile)

const store = await servingStore()
const keel = await Keel.open(store.storeUri)
const metrics = new ServingMetrics()
const capture = captureOn ? new PredictionCapture(keel.predictions, { metrics }) : undefined
const fraud = await openDeployment(keel, { name: 'fraud', batching: 'off' }, { pollMs: 0, metrics })
const serving = await createServingApp({ deployments: [fraud], metrics, ...(capture === undefined ? {} : { capture }) })
const base = await serving.listen(0, '127.0.0.1')
const { features, inputs } = xgbBinaryExpected()
const row = inputs[1]!
const body =
  path === '/invocations'
    ? JSON.stringify({ dataframe_split: { columns: features, data: [row] } })
    : JSON.stringify({ inputs: [{ name: 'input-0', shape: [1, features.length], datatype: 'FP64', data: [row] }] })
const { stdout } = await run(AUTOCANNON, ['-c', '32', '-d', String(seconds), '-m', 'POST', '-H', 'content-type=application/json', '-b', body, '--json', `${base}${path}`], {
  maxBuffer: 64 * 1024 * 1024,
})
const r = JSON.parse(stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number }
console.log(`${path} capture ${captureOn ? 'on' : 'off'}: ${r.requests.average} req/s p50 ${r.latency.p50} p99 ${r.latency.p99} non2xx ${r.non2xx}; written ${capture?.written ?? 0} dropped ${capture?.dropped ?? 0}`)
await serving.close()
await capture?.close()
await fraud.close()
await keel.close()
store.remove()
