/**
 * Peak memory of `readCsv` on a big CSV, by hand: node --expose-gc --import tsx bench/training/csv-memory.ts <file.csv>
 * Prints the columns' typed-array size and the peak of heapUsed + arrayBuffers (sampled at every progress
 * callback, i.e. every 1 MiB read) above the baseline, and the process's max RSS.
 */
import { readCsv } from '../../src/data/csv-reader.js'
import { progressBar } from '../../src/data/progress-bar.js'

const path = process.argv[2]
if (path === undefined) throw new Error('usage: csv-memory.ts <file.csv>')
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc so the baseline holds live memory only')
gc()
const m0 = process.memoryUsage()
const base = m0.heapUsed + m0.arrayBuffers
let peak = base
const bar = progressBar(process.stderr, path)
const t0 = performance.now()
const frame = await readCsv(path, {
  onProgress: (p) => {
    const m = process.memoryUsage()
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers)
    bar(p)
  },
})
bar.done()
const seconds = (performance.now() - t0) / 1000
const typed = frame.columns.reduce((s, c) => s + (c.kind === 'numeric' ? 8 : 4) * frame.rows, 0)
const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`
console.log(`${frame.rows} rows × ${frame.columns.length} columns in ${seconds.toFixed(2)} s (${Math.round(frame.rows / seconds).toLocaleString('en-US')} rows/s)`)
console.log(`typed arrays ${mb(typed)}; peak heap+arrayBuffers above baseline ${mb(peak - base)} = ${((peak - base) / typed).toFixed(2)}x`)
console.log(`max RSS ${mb(process.resourceUsage().maxRSS * 1000)} (baseline RSS ${mb(m0.rss)}) = ${((process.resourceUsage().maxRSS * 1000 - m0.rss) / typed).toFixed(2)}x above baseline`)
