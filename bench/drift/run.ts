/**
 * bench/drift (issue 6): keel's drift report against the Python baseline (scipy ks_2samp + numpy PSI, as
 * /work/shared/baselines/drift_bench.py) on the same 30 columns, 1,000,000 reference vs 1,000,000 current rows.
 *
 *   npx tsx bench/drift/run.ts [rows=1000000] [threads=2] [reps=3]
 *
 * /usr/bin/python3 bench/drift/drift_baseline.py writes the data (numpy seed 42) into a temp dir and times its
 * statistics first, alone; then keel reads the same bytes and times, on a DriftPool of `threads` workers
 * (started before timing; copying columns to the workers is timed):
 *   - the full default report (Evidently's selection: 1M reference rows → normed wasserstein for every column,
 *     plus the binned histograms the report carries);
 *   - ks on every column (SciPy's ks_2samp p-value, asymptotic path at this size);
 *   - psi on every column (Evidently's PSI: Sturges bins over ref ∪ cur, zero fill; the baseline bins on 10
 *     reference quantiles — same O(n) binning work, different edges, so values differ).
 * Goal (issue 6): ≥ 2× faster than the baseline for ks and psi.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Frame, numericColumn } from '../../src/core/frame.js'
import { DriftPool } from '../../src/monitoring/drift/index.js'
import type { DatasetDriftResult } from '../../src/monitoring/types.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'drift_baseline.py')
const COLUMNS = 30

interface Baseline {
  ks_ms: number
  psi_ms: number
  ks_p: number[]
  ks_stat: number[]
  psi: number[]
}

function readFrame(path: string, rows: number): Frame {
  const bytes = readFileSync(path)
  const all = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
  if (all.length !== rows * COLUMNS) throw new Error(`${path}: expected ${rows * COLUMNS} values, got ${all.length}`)
  return new Frame(Array.from({ length: COLUMNS }, (_, j) => numericColumn(`f${j}`, all.slice(j * rows, (j + 1) * rows))))
}

async function timed(label: string, reps: number, fn: () => Promise<DatasetDriftResult>): Promise<{ ms: number; result: DatasetDriftResult }> {
  const times: number[] = []
  let result: DatasetDriftResult | undefined
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    result = await fn()
    times.push(performance.now() - t0)
  }
  const sorted = [...times].sort((a, b) => a - b)
  const ms = sorted[Math.floor(sorted.length / 2)]!
  console.log(`| keel ${label} | ${ms.toFixed(0)} ms | ${(ms / COLUMNS).toFixed(1)} ms | ${times.map((t) => t.toFixed(0)).join(', ')} ms |`)
  return { ms, result: result! }
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000)
  const threads = Number(process.argv[3] ?? 2)
  const reps = Number(process.argv[4] ?? 3)
  if (!Number.isInteger(rows) || rows < 1000 || !Number.isInteger(threads) || threads < 1 || !Number.isInteger(reps) || reps < 1) {
    throw new Error('usage: run.ts [rows >= 1000] [threads >= 1] [reps >= 1]')
  }
  console.log(`bench/drift ${new Date().toISOString()}: ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  const dir = mkdtempSync(join(tmpdir(), 'keel-drift-bench-'))
  try {
    console.log('| run (30 columns) | median total | per column | all runs |\n|---|---|---|---|')
    const out = execFileSync(PYTHON, [SCRIPT, dir, String(rows), String(reps)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 1024 * 1024 })
    const lines = out.trim().split('\n')
    for (const l of lines.slice(0, -1)) if (l.startsWith('|')) console.log(l)
    const baseline = JSON.parse(lines.at(-1) ?? '{}') as Baseline
    const reference = readFrame(join(dir, 'reference.f64'), rows)
    const current = readFrame(join(dir, 'current.f64'), rows)
    const pool = DriftPool.start(threads)
    try {
      const report = await timed(`full default report (${threads} threads)`, reps, () => pool.detect(reference, current))
      const ks = await timed(`ks all columns (${threads} threads)`, reps, () => pool.detect(reference, current, { test: 'ks', histograms: false }))
      const psi = await timed(`psi all columns (${threads} threads)`, reps, () => pool.detect(reference, current, { test: 'psi' }))
      console.log(`\nratios (python / keel, higher is better; goal ≥ 2): ks ${(baseline.ks_ms / ks.ms).toFixed(2)}×, psi ${(baseline.psi_ms / psi.ms).toFixed(2)}×`)
      console.log(`full default report: ${report.ms.toFixed(0)} ms; tests ${[...new Set(report.result.columns.map((c) => c.test))].join(', ')}; drifted ${report.result.columns.filter((c) => c.drifted).map((c) => c.column).join(', ')}`)
      // Same data, same statistic: keel's KS p-values must be SciPy's.
      let worst = 0
      ks.result.columns.forEach((c, j) => {
        const p = baseline.ks_p[j]!
        worst = Math.max(worst, p === 0 ? (c.score === 0 ? 0 : 1) : Math.abs(c.score - p) / p)
      })
      console.log(`ks p-values vs scipy on the bench data: max relative difference ${worst.toExponential(2)}; f0..f4 p = ${ks.result.columns.slice(0, 5).map((c) => c.score.toExponential(2)).join(', ')}`)
      console.log(`psi f0..f4 keel (Sturges) ${psi.result.columns.slice(0, 5).map((c) => c.score.toFixed(4)).join(', ')}; python (quantiles) ${baseline.psi.slice(0, 5).map((p) => p.toFixed(4)).join(', ')}`)
    } finally {
      await pool.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
