import { describe, expect, it } from 'vitest'
import { categoricalColumn, Frame, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import { meanSquaredError, r2Score } from '../regression-metrics.js'
import { globalImportance, permutationImportance } from './importance.js'

/** y = 2·a exactly; b is in the frame but the model ignores it; c is categorical and shifts y by its code. */
function dataset(rows: number): Frame {
  const random = createRandom(3)
  const a = new Float64Array(rows)
  const b = new Float64Array(rows)
  const c: string[] = []
  const y = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    a[i] = random.normal()
    b[i] = random.normal()
    c.push(i % 2 === 0 ? 'lo' : 'hi')
    y[i] = 2 * a[i]! + (i % 2 === 0 ? 0 : 1)
  }
  return new Frame([numericColumn('a', a), numericColumn('b', b), categoricalColumn('c', c), numericColumn('y', y)])
}

const model = (frame: Frame): Float64Array => {
  const a = frame.numeric('a')
  const c = frame.column('c')
  if (c.kind !== 'categorical') throw new Error('c must stay categorical')
  return a.map((v, i) => 2 * v + c.codes[i]!)
}

describe('permutationImportance', () => {
  it('gives an ignored feature exactly 0 and a used one the drop the maths predicts', async () => {
    const frame = dataset(4000)
    const result = await permutationImportance(model, frame, 'y', meanSquaredError, { repeats: 4, seed: 9, greaterIsBetter: false })
    expect(result.baseline).toBe(0)
    expect(result.importances.map((r) => r.feature)).toEqual(['a', 'b', 'c'])
    const [a, b, c] = result.importances
    expect(b!.mean).toBe(0)
    expect(b!.std).toBe(0)
    // Shuffling a: MSE = 4·E[(a − a')²] = 8·Var(a) ≈ 8 for a standard normal; shuffling c (half 0, half 1): ≈ 0.5.
    expect(a!.mean).toBeGreaterThan(7.4)
    expect(a!.mean).toBeLessThan(8.6)
    expect(c!.mean).toBeGreaterThan(0.44)
    expect(c!.mean).toBeLessThan(0.56)
    expect(a!.drops).toHaveLength(4)
    expect(a!.std).toBeGreaterThan(0)
    expect(JSON.parse(JSON.stringify(result))).toEqual(result)
  })

  it('is reproducible by seed, and greater-is-better metrics drop positively too', async () => {
    const frame = dataset(500)
    const one = await permutationImportance(model, frame, 'y', r2Score, { repeats: 3, seed: 1 })
    const again = await permutationImportance(async (f) => model(f), frame, 'y', r2Score, { repeats: 3, seed: 1 })
    const other = await permutationImportance(model, frame, 'y', r2Score, { repeats: 3, seed: 2 })
    expect(again).toEqual(one)
    expect(other.importances[0]!.drops).not.toEqual(one.importances[0]!.drops)
    expect(one.importances[0]!.mean).toBeGreaterThan(1)
    // The frame itself is not modified by the shuffles.
    expect(Array.from(model(frame))).toEqual(Array.from(frame.numeric('y')))
  })

  it('refuses bad arguments with errors naming them', async () => {
    const frame = dataset(10)
    await expect(permutationImportance(model, frame, 'y', r2Score, { repeats: 0 })).rejects.toThrow(/repeats must be an integer/)
    await expect(permutationImportance(model, frame, new Float64Array(3), r2Score)).rejects.toThrow(/'target' has 3 values for 10 rows/)
    await expect(permutationImportance(model, frame, 'y', r2Score, { features: ['nope'] })).rejects.toThrow(/No column 'nope'/)
    await expect(permutationImportance(model, frame, 'y', () => Number.NaN)).rejects.toThrow(/metric returned NaN/)
  })
})

describe('globalImportance', () => {
  it('is mean |SHAP| per feature, summed over outputs, sorted, ignoring the bias', () => {
    // 2 rows × 2 outputs × (2 features + bias)
    const values = Float64Array.from([1, -2, 9, 0, 4, 9, -3, 0, 9, 1, 2, 9])
    const g = globalImportance({ rows: 2, nGroups: 2, features: ['p', 'q'], values })
    expect(g.features).toEqual([
      { feature: 'q', importance: 1 + 3, byOutput: [1, 3] },
      { feature: 'p', importance: 2 + 0.5, byOutput: [2, 0.5] },
    ])
    expect(() => globalImportance({ rows: 2, nGroups: 1, features: ['p', 'q'], values })).toThrow(/expected rows·outputs·\(features \+ 1\) = 6/)
  })
})
