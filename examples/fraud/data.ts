import { createRandom } from 'keel'

/**
 * A deterministic synthetic card-fraud data set: the same seed always gives the same bytes (and so the same
 * dataset digest). About 2% of transactions are fraud; fraud skews towards large amounts, night hours, new
 * merchants, foreign cards and bursts of recent transactions.
 */
export const FEATURES = [
  'amount',
  'hour',
  'merchant_age_days',
  'foreign',
  'card_present',
  'tx_last_hour',
  'distance_km',
  'account_age_days',
] as const

export interface FraudData {
  columns: readonly string[]
  /** Row-major features, `rows × FEATURES.length`. */
  x: Float64Array
  y: Uint8Array
  rows: number
}

export function generateFraudData(rows: number, seed = 42): FraudData {
  const generator = createRandom(seed)
  const random = (): number => generator.next()
  const gaussian = (): number => {
    const u = Math.max(random(), 1e-12)
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random())
  }
  const width = FEATURES.length
  const x = new Float64Array(rows * width)
  const y = new Uint8Array(rows)
  for (let i = 0; i < rows; i++) {
    const fraud = random() < 0.02
    // A third of fraud imitates normal behaviour, so the problem is realistically hard (AUC well below 1).
    const f = fraud && random() > 0.35
    const o = i * width
    x[o] = Math.round(Math.exp((f ? 5.2 : 3.6) + gaussian() * 0.9) * 100) / 100
    x[o + 1] = f && random() < 0.6 ? Math.floor(random() * 6) : Math.floor(random() * 24)
    x[o + 2] = Math.floor(f ? random() * 60 : random() * 2000)
    x[o + 3] = random() < (f ? 0.45 : 0.08) ? 1 : 0
    x[o + 4] = random() < (f ? 0.2 : 0.7) ? 1 : 0
    x[o + 5] = Math.floor((f ? 4 : 1) * random() * 3)
    x[o + 6] = Math.round(Math.abs(gaussian()) * (f ? 900 : 40) * 10) / 10
    x[o + 7] = Math.floor(random() * (f ? 400 : 3000))
    y[i] = fraud ? 1 : 0
  }
  return { columns: FEATURES, x, y, rows }
}

/**
 * The data as CSV: features then `is_fraud` (training data), or with `unlabelled` an `id` column first and no
 * label (new transactions to score).
 */
export function toCsv(data: FraudData, options: { unlabelled?: boolean } = {}): string {
  const width = data.columns.length
  const unlabelled = options.unlabelled === true
  const lines = [(unlabelled ? ['id', ...data.columns] : [...data.columns, 'is_fraud']).join(',')]
  for (let i = 0; i < data.rows; i++) {
    const row: string[] = unlabelled ? [`tx-${i + 1}`] : []
    for (let j = 0; j < width; j++) row.push(String(data.x[i * width + j]))
    if (!unlabelled) row.push(String(data.y[i]))
    lines.push(row.join(','))
  }
  return lines.join('\n') + '\n'
}

/** Row `i` as a JSON transaction (what a service would receive). */
export function transaction(data: FraudData, i: number): Record<string, number> {
  const width = data.columns.length
  return Object.fromEntries(data.columns.map((name, j) => [name, data.x[i * width + j]!]))
}
