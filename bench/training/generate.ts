/**
 * keel's fraud-like data generator (seeded): 30 features (29 numeric `f0`…`f28` and one categorical,
 * `merchant`) and a binary `label` with about 2 % positives, so 31 columns. Features are written with full
 * float64 precision (shortest round-trip text, like pandas' `to_csv`), so CSV readers are timed on realistic
 * 17-digit numbers.
 * Usage: tsx bench/training/generate.ts <out.csv> [rows=200000] [seed=42]
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { pathToFileURL } from 'node:url'
import { createRandom } from '../../src/core/random.js'

export const MERCHANTS = ['grocery', 'fuel', 'online', 'travel', 'restaurant', 'electronics', 'pharmacy', 'gaming'] as const
/** Numeric features; with `merchant` that makes the 30 features of issue 3's benchmark data set. */
export const FEATURES = 29

export async function generateFraudCsv(path: string, rows: number, seed = 42): Promise<{ bytes: number; positives: number }> {
  const random = createRandom(seed)
  const gauss = (): number => {
    const u = 1 - random.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next())
  }
  // Fixed random weights: the label depends on 8 informative features through a logistic model.
  const weights = Array.from({ length: FEATURES }, (_, j) => (j < 8 ? gauss() * 1.5 : 0))
  const merchantRisk = MERCHANTS.map(() => gauss() * 0.8)
  const intercept = calibrateIntercept(seed, weights, merchantRisk, 0.02)
  const out = createWriteStream(path)
  let bytes = 0
  let positives = 0
  const header = [...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'merchant', 'label'].join(',') + '\n'
  out.write(header)
  bytes += header.length
  const x = new Float64Array(FEATURES)
  let lines: string[] = []
  for (let i = 0; i < rows; i++) {
    let score = intercept
    for (let j = 0; j < FEATURES; j++) {
      x[j] = gauss() * (1 + j / 10)
      score += weights[j]! * x[j]!
    }
    const m = random.int(MERCHANTS.length)
    score += merchantRisk[m]!
    const label = random.next() < 1 / (1 + Math.exp(-score)) ? 1 : 0
    positives += label
    lines.push(`${Array.from(x).join(',')},${MERCHANTS[m]!},${label}`)
    if (lines.length === 2000 || i === rows - 1) {
      const text = lines.join('\n') + '\n'
      bytes += Buffer.byteLength(text)
      if (!out.write(text)) await once(out, 'drain')
      lines = []
    }
  }
  out.end()
  await once(out, 'finish')
  return { bytes, positives }
}

/** The intercept that gives `rate` positives on average, by bisection over a fixed pre-sample of scores. */
function calibrateIntercept(seed: number, weights: readonly number[], merchantRisk: readonly number[], rate: number): number {
  const random = createRandom(seed + 1)
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next())
  const scores = new Float64Array(20_000)
  for (let i = 0; i < scores.length; i++) {
    let s = merchantRisk[random.int(merchantRisk.length)]!
    for (let j = 0; j < weights.length; j++) s += weights[j]! * gauss() * (1 + j / 10)
    scores[i] = s
  }
  let lo = -50
  let hi = 10
  for (let step = 0; step < 60; step++) {
    const mid = (lo + hi) / 2
    let mean = 0
    for (const s of scores) mean += 1 / (1 + Math.exp(-(s + mid)))
    if (mean / scores.length > rate) hi = mid
    else lo = mid
  }
  return (lo + hi) / 2
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [path, rows = '200000', seed = '42'] = process.argv.slice(2)
  if (path === undefined) throw new Error('usage: generate.ts <out.csv> [rows] [seed]')
  const result = await generateFraudCsv(path, Number(rows), Number(seed))
  console.log(`${path}: ${rows} rows, ${result.bytes} bytes, ${result.positives} positives (${((100 * result.positives) / Number(rows)).toFixed(2)} %)`)
}
