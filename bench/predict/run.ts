/**
 * bench/predict: one imported XGBoost model scored by keel and by XGBoost in the same run.
 * keel's generator (bench/training/generate.ts, seed 42) writes a 200,000-row × 30-feature CSV; /usr/bin/python3
 * xgb_predict.py trains binary:logistic (100 rounds, depth 6, eta 0.1, hist, 2 threads) on it, saves the JSON
 * and times `Booster.predict` on a DMatrix of the first 160,000 rows (nthread 2). keel imports that JSON with
 * `keel models import` into a temp store, loads it with `loadScoringModel` and scores the same 160,000 rows
 * (a Frame already in memory, as XGBoost's DMatrix is) on 1 and 2 threads; then `predictRow` one row at a time
 * for p50/p99 latency. Usage: npx tsx bench/predict/run.ts [runs=7]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { main } from '../../src/cli/main.js'
import { Keel } from '../../src/client/keel.js'
import { Frame, numericColumn } from '../../src/core/frame.js'
import type { Row } from '../../src/core/frame.js'
import { readCsv } from '../../src/data/csv-reader.js'
import { loadScoringModel } from '../../src/scoring/index.js'
import { generateFraudCsv, MERCHANTS } from '../training/generate.js'

const ROWS = 200_000
const SCORE_ROWS = 160_000
const RUNS = Number(process.argv[2] ?? 7)
const LATENCY_ROWS = 20_000

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const dir = mkdtempSync(join(tmpdir(), 'keel-bench-predict-'))
try {
  const csv = join(dir, 'fraud.csv')
  await generateFraudCsv(csv, ROWS, 42)
  const modelPath = join(dir, 'model.json')
  const predsPath = join(dir, 'preds.f32')
  const py = JSON.parse(
    execFileSync('/usr/bin/python3', [new URL('./xgb_predict.py', import.meta.url).pathname, csv, modelPath, predsPath, String(SCORE_ROWS), String(RUNS)], { encoding: 'utf8' }),
  ) as { xgboost: string; train_s: number; predict_s: number[]; features: string[] }
  const xgbPreds = new Float32Array(readFileSync(predsPath).buffer.slice(0))

  const env = { KEEL_STORE: `sqlite:${join(dir, 'keel.db')}`, KEEL_USER: 'bench' }
  const sink = { write: () => true }
  const code = await main(['node', 'keel', 'models', 'import', '--name', 'bench-xgb', '--format', 'xgboost', modelPath], { stdout: sink, stderr: sink, env })
  if (code !== 0) throw new Error('keel models import failed')
  await main(['node', 'keel', 'models', 'alias', 'set', 'bench-xgb', 'champion', '1'], { stdout: sink, stderr: sink, env })

  // The same numbers XGBoost saw: merchant as its index in MERCHANTS.
  const data = await readCsv(csv, { schema: { merchant: 'category' } })
  const merchant = data.column('merchant')
  if (merchant.kind !== 'categorical') throw new Error('merchant should be categorical')
  const codeOf = merchant.categories.map((c) => MERCHANTS.indexOf(c as (typeof MERCHANTS)[number]))
  const merchantValues = Float64Array.from(merchant.codes, (c) => (c < 0 ? Number.NaN : codeOf[c]!))
  const frame = new Frame(py.features.map((f) => (f === 'merchant' ? numericColumn('merchant', merchantValues) : numericColumn(f, data.numeric(f))))).slice(0, SCORE_ROWS)

  const keel = await Keel.open(env.KEEL_STORE)
  const model = await loadScoringModel(keel, 'models:/bench-xgb@champion')
  const keelTimes: Record<number, number[]> = {}
  let maxDiff = 0
  for (const threads of [1, 2]) {
    await model.useThreads(threads)
    const times: number[] = []
    let scores = await model.score(frame) // warm-up (JIT, workers)
    for (let r = 0; r < RUNS; r++) {
      const t = performance.now()
      scores = await model.score(frame)
      times.push((performance.now() - t) / 1000)
    }
    keelTimes[threads] = times
    for (let i = 0; i < SCORE_ROWS; i++) maxDiff = Math.max(maxDiff, Math.abs(scores.proba![2 * i + 1]! - xgbPreds[i]!))
  }
  await model.useThreads(1)

  // Single-row latency: rows as plain objects, built before timing.
  const rows: Row[] = []
  for (let i = 0; i < LATENCY_ROWS; i++) rows.push(frame.row(i))
  const predictRow = model.predictRow!
  for (let i = 0; i < LATENCY_ROWS; i++) predictRow(rows[i]!) // warm-up
  const lat = new Float64Array(LATENCY_ROWS)
  for (let i = 0; i < LATENCY_ROWS; i++) {
    const t = process.hrtime.bigint()
    predictRow(rows[i]!)
    lat[i] = Number(process.hrtime.bigint() - t) / 1000
  }
  lat.sort()
  await model.close()
  await keel.close()

  const xgbS = median(py.predict_s)
  const xgbRate = SCORE_ROWS / xgbS
  console.log(`XGBoost ${py.xgboost}: trained in ${py.train_s.toFixed(2)} s; predict ${SCORE_ROWS.toLocaleString('en-US')} rows, nthread 2, median of ${RUNS}: ${xgbS.toFixed(4)} s = ${Math.round(xgbRate).toLocaleString('en-US')} rows/s`)
  for (const threads of [1, 2]) {
    const s = median(keelTimes[threads]!)
    const rate = SCORE_ROWS / s
    console.log(`keel ${threads} thread(s): ${s.toFixed(4)} s = ${Math.round(rate).toLocaleString('en-US')} rows/s, ratio keel/XGBoost ${(rate / xgbRate).toFixed(2)}×`)
  }
  console.log(`max |keel − XGBoost| probability over ${SCORE_ROWS.toLocaleString('en-US')} rows: ${maxDiff.toExponential(2)}`)
  const pct = (q: number): number => lat[Math.min(LATENCY_ROWS - 1, Math.floor(q * LATENCY_ROWS))]!
  console.log(`keel predictRow over ${LATENCY_ROWS.toLocaleString('en-US')} rows: p50 ${pct(0.5).toFixed(2)} µs, p99 ${pct(0.99).toFixed(2)} µs`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
