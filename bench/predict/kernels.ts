/**
 * bench/predict kernels: the previous scoring kernel (old-kernel.ts, 4 rows together, float64 block) against
 * the current FastForest on the same model and rows, alternately in one process, medians of rows/s on one
 * thread. Trains the bench model with xgb_predict.py unless a model path is given.
 * Usage: npx tsx bench/predict/kernels.ts [runs=9] [model.json data.csv]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Frame, numericColumn } from '../../src/core/frame.js'
import { readCsv } from '../../src/data/csv-reader.js'
import { XgboostPredictor } from '../../src/models/formats/xgboost.js'
import { XgboostFastMargins } from '../../src/scoring/xgboost-fast.js'
import { generateFraudCsv, MERCHANTS } from '../training/generate.js'
import { XgboostFastMargins as OldKernel } from './old-kernel.js'

const RUNS = Number(process.argv[2] ?? 9)
const ROWS = 160_000
const dir = mkdtempSync(join(tmpdir(), 'keel-bench-kernels-'))
try {
  let modelPath = process.argv[3]
  let csv = process.argv[4]
  if (modelPath === undefined || csv === undefined) {
    csv = join(dir, 'fraud.csv')
    await generateFraudCsv(csv, 200_000, 42)
    modelPath = join(dir, 'model.json')
    execFileSync('/usr/bin/python3', [new URL('./xgb_predict.py', import.meta.url).pathname, csv, modelPath, join(dir, 'p.f32'), '1000', '1'])
  }
  const predictor = XgboostPredictor.fromJson(readFileSync(modelPath, 'utf8'))
  const data = await readCsv(csv, { schema: { merchant: 'category' } })
  const merchant = data.column('merchant')
  if (merchant.kind !== 'categorical') throw new Error('merchant should be categorical')
  const codeOf = merchant.categories.map((c) => MERCHANTS.indexOf(c as (typeof MERCHANTS)[number]))
  const mv = Float64Array.from(merchant.codes, (c) => (c < 0 ? Number.NaN : codeOf[c]!))
  const frame = new Frame(predictor.features.map((f) => (f === 'merchant' ? numericColumn(f, mv) : numericColumn(f, data.numeric(f))))).slice(0, ROWS)
  const oldK = OldKernel.compile(predictor)!
  const newK = XgboostFastMargins.compile(predictor)!
  const a = oldK.margins(frame)
  const b = newK.margins(frame)
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`margin ${i} differs: ${a[i]} vs ${b[i]}`)
  const times = { old: [] as number[], new: [] as number[] }
  for (let r = 0; r < RUNS; r++) {
    for (const [name, k] of [['old', oldK], ['new', newK]] as const) {
      const t = performance.now()
      k.margins(frame)
      times[name].push(performance.now() - t)
    }
  }
  const med = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
  const o = med(times.old)
  const n = med(times.new)
  console.log(`old kernel ${(ROWS / o).toFixed(0)} k rows/s, new ${(ROWS / n).toFixed(0)} k rows/s: new/old ${(o / n).toFixed(2)}× (median of ${RUNS}, 1 thread, margins identical)`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
