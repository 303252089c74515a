/**
 * bench/profile: keel's mergeable profiles at scale, single-threaded.
 * 1. Speed: one 30-column numeric frame (200,000 rows, in memory) profiled three times after a warm-up:
 *    values/s (the goal is ≥ 5 M values/s).
 * 2. Bounded memory: a 10,000,000-row × 30-column window streamed through one ProfileBuilder in chunks of
 *    100,000 rows. Chunks are generated one at a time into the same buffers (the window never exists whole), so
 *    peak RSS shows what profiling holds: sketches of bounded size per column. 25 columns are continuous
 *    (normal, lognormal, uniform; 2 % missing), 5 are small integers (frequent items stay exact).
 * Reports rows/s and values/s of profiling alone (generation timed apart), peak RSS, and the profile's JSON size.
 * Usage: npx tsx bench/profile/run.ts [rows=10000000] [chunk=100000]
 */
import { Frame, numericColumn } from '../../src/core/frame.js'
import { createRandom } from '../../src/core/random.js'
import { ProfileBuilder, profileColumns, profileFrame } from '../../src/monitoring/profile.js'

const ROWS = Number(process.argv[2] ?? 10_000_000)
const CHUNK = Number(process.argv[3] ?? 100_000)
const COLUMNS = 30

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0)
const random = createRandom(42)

function fill(columns: Float64Array[], rows: number): void {
  for (let j = 0; j < COLUMNS; j++) {
    const values = columns[j]!
    for (let i = 0; i < rows; i++) {
      if (j >= 25) values[i] = random.int(6)
      else if (random.next() < 0.02) values[i] = Number.NaN
      else if (j % 3 === 0) values[i] = j + random.normal()
      else if (j % 3 === 1) values[i] = Math.exp(random.normal())
      else values[i] = random.next() * 1000
    }
  }
}

function frameOf(columns: Float64Array[], rows: number): Frame {
  return new Frame(columns.map((values, j) => numericColumn(`f${j}`, rows === values.length ? values : values.subarray(0, rows))))
}

// 1. Speed on an in-memory frame.
{
  const rows = 200_000
  const columns = Array.from({ length: COLUMNS }, () => new Float64Array(rows))
  fill(columns, rows)
  const frame = frameOf(columns, rows)
  profileFrame(frame)
  const runs: number[] = []
  for (let r = 0; r < 3; r++) {
    const started = process.hrtime.bigint()
    profileFrame(frame)
    runs.push(Number(process.hrtime.bigint() - started) / 1e9)
  }
  const best = Math.min(...runs)
  console.log(`speed: ${rows} rows × ${COLUMNS} numeric columns in ${(best * 1000).toFixed(0)} ms (best of 3) = ${((rows * COLUMNS) / best / 1e6).toFixed(1)} M values/s`)
}

// 2. A 10 M-row window, streamed.
{
  const columns = Array.from({ length: COLUMNS }, () => new Float64Array(CHUNK))
  const builder = new ProfileBuilder(profileColumns(frameOf(columns, CHUNK)))
  let profiling = 0
  let generating = 0
  let peakRss = process.memoryUsage().rss
  const startRss = peakRss
  for (let done = 0; done < ROWS; done += CHUNK) {
    const rows = Math.min(CHUNK, ROWS - done)
    let t = process.hrtime.bigint()
    fill(columns, rows)
    generating += Number(process.hrtime.bigint() - t) / 1e9
    t = process.hrtime.bigint()
    builder.addFrame(frameOf(columns, rows))
    profiling += Number(process.hrtime.bigint() - t) / 1e9
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const t = process.hrtime.bigint()
  const profile = builder.build()
  profiling += Number(process.hrtime.bigint() - t) / 1e9
  const json = JSON.stringify(profile)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  const maxRss = process.resourceUsage().maxRSS * 1024
  console.log(
    `window: ${ROWS.toLocaleString('en')} rows × ${COLUMNS} columns in chunks of ${CHUNK.toLocaleString('en')}: profiling ${profiling.toFixed(1)} s ` +
      `(${(ROWS / profiling / 1e6).toFixed(2)} M rows/s, ${((ROWS * COLUMNS) / profiling / 1e6).toFixed(1)} M values/s), generating ${generating.toFixed(1)} s`,
  )
  console.log(`memory: RSS ${mb(startRss)} MB at start, peak ${mb(Math.max(peakRss, maxRss))} MB (the window itself would be ${mb(ROWS * COLUMNS * 8)} MB); profile JSON ${(json.length / 1024).toFixed(0)} KB`)
  console.log(`rows profiled: ${profile.rows.toLocaleString('en')}, f0 count ${profile.columns[0]!.count.toLocaleString('en')}`)
}
