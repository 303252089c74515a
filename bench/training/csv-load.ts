/**
 * CSV load: keel's `readCsv` vs `pandas.read_csv` on the same file, in the same run.
 * Generates a 200,000-row × 30-feature (31-column) fraud-like CSV (bench/training/generate.ts, seed 42) in
 * a temp dir, then alternates keel and pandas reads (RUNS each; pandas timed inside Python around `read_csv`
 * only) and prints the medians as rows/s, wall and CPU, and the ratio keel ÷ pandas (goal ≥ 1×).
 * Usage: tsx bench/training/csv-load.ts [rows=200000] [runs=5]
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readCsv } from '../../src/data/csv-reader.js'
import { generateFraudCsv } from './generate.js'

const PANDAS = `
import json, sys, time
import pandas as pd
w0, c0 = time.perf_counter(), time.process_time()
df = pd.read_csv(sys.argv[1])
w, c = time.perf_counter() - w0, time.process_time() - c0
print(json.dumps({"rows": len(df), "columns": df.shape[1], "wall": w, "cpu": c}))
`

interface Timing {
  rows: number
  wall: number
  cpu: number
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 200_000)
  const runs = Number(process.argv[3] ?? 5)
  const dir = mkdtempSync(join(tmpdir(), 'keel-csv-bench-'))
  try {
    const path = join(dir, 'fraud.csv')
    const generated = await generateFraudCsv(path, rows, 42)
    console.log(`data: ${rows} rows × 31 columns, ${(generated.bytes / 1e6).toFixed(1)} MB, ${generated.positives} positives`)
    const keel: Timing[] = []
    const pandas: Timing[] = []
    for (let run = 0; run < runs; run++) {
      const c0 = process.cpuUsage()
      const w0 = performance.now()
      const frame = await readCsv(path)
      const wall = (performance.now() - w0) / 1000
      const cpu = process.cpuUsage(c0)
      keel.push({ rows: frame.rows, wall, cpu: (cpu.user + cpu.system) / 1e6 })
      const out = execFileSync('/usr/bin/python3', ['-c', PANDAS, path], { encoding: 'utf8' })
      const p = JSON.parse(out) as { rows: number; columns: number; wall: number; cpu: number }
      pandas.push({ rows: p.rows, wall: p.wall, cpu: p.cpu })
      if (frame.rows !== p.rows || frame.columns.length !== p.columns) throw new Error(`row/column mismatch: keel ${frame.rows}×${frame.columns.length}, pandas ${p.rows}×${p.columns}`)
      console.log(`run ${run + 1}: keel ${wall.toFixed(3)} s (cpu ${keel.at(-1)!.cpu.toFixed(3)} s), pandas ${p.wall.toFixed(3)} s (cpu ${p.cpu.toFixed(3)} s)`)
    }
    const kw = median(keel.map((t) => t.wall))
    const pw = median(pandas.map((t) => t.wall))
    const kc = median(keel.map((t) => t.cpu))
    const pc = median(pandas.map((t) => t.cpu))
    const rate = (s: number): string => `${Math.round(rows / s).toLocaleString('en-US')} rows/s`
    console.log(`keel readCsv:     median ${kw.toFixed(3)} s wall = ${rate(kw)}; cpu ${kc.toFixed(3)} s = ${rate(kc)}`)
    console.log(`pandas.read_csv:  median ${pw.toFixed(3)} s wall = ${rate(pw)}; cpu ${pc.toFixed(3)} s = ${rate(pc)}`)
    console.log(`ratio keel/pandas (rows/s): wall ${(pw / kw).toFixed(2)}x, cpu ${(pc / kc).toFixed(2)}x (goal >= 1x)`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
