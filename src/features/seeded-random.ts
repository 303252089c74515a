/** mulberry32: a tiny seeded generator for fold assignment (library code never uses Math.random). */
export function seededRandom(seed: number): () => number {
  let s = Math.trunc(seed) >>> 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Assigns each of `rows` rows to one of `k` folds of near-equal size, shuffled by `seed`. */
export function assignFolds(rows: number, k: number, seed: number): Int32Array {
  const order = new Int32Array(rows)
  for (let i = 0; i < rows; i++) order[i] = i
  const random = seededRandom(seed)
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  const folds = new Int32Array(rows)
  for (let p = 0; p < rows; p++) folds[order[p]!] = p % k
  return folds
}
