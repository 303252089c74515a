/**
 * bench/gbdt (issue 4): keel's histogram gradient boosting against XGBoost hist and scikit-learn's
 * HistGradientBoostingClassifier on one fraud-like data set, in one run.
 *
 *   npx tsx bench/gbdt/run.ts [rows=200000] [threads=2] [--keel-only]      (npm run bench:gbdt)
 *
 * keel's generator (bench/training/generate.ts, seed 42) writes a rows × 30-feature CSV into a temp dir; keel
 * fits first in this process, then /usr/bin/python3 bench/gbdt/xgb_train.py fits XGBoost and then
 * scikit-learn, one after the other, never alongside keel (the machine has 2 cores). All fit on keel's
 * stratified 80/20 split (seed 0, handed to Python as a byte mask) with the same 37 features (numeric columns,
 * then `merchant` one-hot); only the fit is timed. Settings: 100 rounds, learning rate 0.1, 31 leaves grown
 * leaf-wise with no depth limit, 255 value bins; keel uses XGBoost's regularisation defaults (lambda 1,
 * min_child_weight 1, no minimum rows per leaf), scikit-learn its own (l2 0, min_samples_leaf 20).
 * Goals (issue 4): fit-time ratio keel / XGBoost ≤ 1.0 and keel / scikit-learn ≤ 1.0, AUC within 0.003 of XGBoost's.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readCsv } from '../../src/data/csv-reader.js'
import { stratifiedSplit } from '../../src/data/splits.js'
import { rocAuc } from '../../src/evaluation/ranking-metrics.js'
import { Pipeline } from '../../src/features/pipeline.js'
import { gbdt } from '../../src/models/gbdt/index.js'
import { generateFraudCsv } from '../training/generate.js'
import { backgroundCores, busiestProcesses, otherCores, table, timed, type Timing } from '../training/measure.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'xgb_train.py')
const TARGET = 'label'

interface PythonFit {
  model: string
  version: string
  features: string[]
  n_train: number
  run: { wall: number; cpu: number; other_cpu: number | null; auc: number }
  threadpools: Array<[string, number]>
}

function python(model: 'xgboost' | 'sklearn', csv: string, mask: string): PythonFit {
  const out = execFileSync(PYTHON, [SCRIPT, model, csv, mask], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 })
  const last = out.trim().split('\n').at(-1) ?? ''
  const parsed = JSON.parse(last) as PythonFit
  if (parsed.model !== model) throw new Error(`xgb_train.py ${model} printed an unexpected result: ${last.slice(0, 200)}`)
  return parsed
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'))
  const keelOnly = process.argv.includes('--keel-only')
  const rows = Number(args[0] ?? 200_000)
  const threads = Number(args[1] ?? 2)
  if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(threads) || threads < 1) throw new Error('usage: run.ts [rows >= 1000] [threads >= 1] [--keel-only]')
  const started = new Date()
  const background = await backgroundCores(2000)
  console.log(`bench/gbdt ${started.toISOString()}: ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  console.log(`other processes before the run: ${background === null ? 'n/a' : background.toFixed(2)} cores busy; busiest: ${busiestProcesses(6) || 'n/a'}`)
  const dir = mkdtempSync(join(tmpdir(), 'keel-gbdt-bench-'))
  try {
    const csv = join(dir, 'fraud.csv')
    const mask = join(dir, 'test-mask.u8')
    const generated = await generateFraudCsv(csv, rows, 42)
    console.log(`data: ${rows.toLocaleString('en-US')} rows × 30 features (+ label), ${(generated.bytes / 1e6).toFixed(1)} MB, ${generated.positives} positives`)
    const frame = await readCsv(csv)
    const split = stratifiedSplit(frame, TARGET, { testFraction: 0.2, seed: 0 })
    const testMask = new Uint8Array(frame.rows)
    for (const i of split.testIndices) testMask[i] = 1
    writeFileSync(mask, testMask)
    const { pipeline, frame: trainX } = new Pipeline([{ type: 'oneHot', columns: { kind: 'categorical' } }]).fitTransform(split.train, TARGET)
    const train = trainX.withColumn(split.train.column(TARGET))
    const test = pipeline.transform(split.test).withColumn(split.test.column(TARGET))

    const params = gbdt.resolveParams({ nRounds: 100, learningRate: 0.1, maxLeaves: 31, lambda: 1, minChildWeight: 1, minSamplesLeaf: 1, maxBins: 255, threads })
    const keel = await timed(() => gbdt.fit(train, TARGET, 'classification', params, { seed: 0, threads }))
    const classes = keel.result.classes ?? []
    const positive = classes.indexOf('1')
    const proba = keel.result.predictProba(test)
    const scores = new Float64Array(test.rows)
    for (let i = 0; i < test.rows; i++) scores[i] = proba[i * classes.length + positive]!
    const keelAuc = rocAuc(test.numeric(TARGET), scores)
    const s = (t: Timing): string => `${t.wall.toFixed(3)} s (cpu ${t.cpu.toFixed(2)} s, others ${otherCores(t)} cores)`
    console.log(`keel gbdt (${threads} threads): ${s(keel.timing)}, holdout AUC ${keelAuc.toFixed(5)}`)
    if (keelOnly) return

    const xgb = python('xgboost', csv, mask)
    const skl = python('sklearn', csv, mask)
    for (const p of [xgb, skl]) {
      if (JSON.stringify(p.features) !== JSON.stringify(pipeline.outputFeatures)) throw new Error(`keel and ${p.model} features differ`)
      if (p.n_train !== train.rows) throw new Error(`keel fits ${train.rows} rows, ${p.model} ${p.n_train}`)
    }
    const py = (p: PythonFit): Timing => ({ wall: p.run.wall, cpu: p.run.cpu, otherCpu: p.run.other_cpu })
    const ratio = (p: PythonFit): number => keel.timing.wall / p.run.wall
    const pass = (ok: boolean): string => (ok ? 'met' : 'MISSED')
    console.log('')
    console.log(
      table([
        ['model', 'fit', 'holdout AUC', 'keel / this (time)', 'AUC Δ keel − this'],
        [`keel gbdt, ${threads} threads`, s(keel.timing), keelAuc.toFixed(5), '—', '—'],
        [`XGBoost ${xgb.version} hist, nthread 2`, s(py(xgb)), xgb.run.auc.toFixed(5), `${ratio(xgb).toFixed(2)}× (≤ 1: ${pass(ratio(xgb) <= 1)})`, `${(keelAuc - xgb.run.auc).toFixed(5)} (|Δ| ≤ 0.003: ${pass(Math.abs(keelAuc - xgb.run.auc) <= 0.003)})`],
        [`scikit-learn ${skl.version} HistGradientBoosting`, s(py(skl)), skl.run.auc.toFixed(5), `${ratio(skl).toFixed(2)}× (≤ 1: ${pass(ratio(skl) <= 1)})`, (keelAuc - skl.run.auc).toFixed(5)],
      ]),
    )
    console.log(`Python thread pools: ${skl.threadpools.map(([api, n]) => `${api} ${n}`).join(', ')}; load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}; total ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`)
    console.log(`json: ${JSON.stringify({ rows, trainRows: train.rows, threads, keel: { ...keel.timing, auc: keelAuc }, xgboost: { ...py(xgb), auc: xgb.run.auc }, sklearn: { ...py(skl), auc: skl.run.auc } })}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
