import { createRandom } from '../core/random.js'

/** Assigns each of `rows` rows to one of `k` folds of near-equal size, shuffled by `seed`. */
export function assignFolds(rows: number, k: number, seed: number): Int32Array {
  const order = createRandom(seed).permutation(rows)
  const folds = new Int32Array(rows)
  for (let p = 0; p < rows; p++) folds[order[p]!] = p % k
  return folds
}
