import { invalidParameter } from './errors.js'

/**
 * keel's one seeded pseudo-random generator, for models, splits, folds and searches. Library code never uses
 * Math.random: the same seed gives the same split, the same folds and the same model on every platform.
 * Algorithm: sfc32 (small, fast, passes PractRand to 2^40+), state filled by splitmix32 from the seed so that
 * nearby seeds (1, 2, 3, ...) give unrelated streams.
 */
export interface Random {
  /** Uniform in [0, 1), 53 bits of randomness. */
  next(): number
  /** Uniform integer in [0, n), unbiased (rejection), for 1 ≤ n ≤ 2^32. */
  int(n: number): number
  /** Standard normal (mean 0, variance 1). */
  normal(): number
  /** Fisher–Yates shuffle in place; returns `a`. */
  shuffle<T extends Int32Array | Uint32Array>(a: T): T
  /** 0, 1, …, n − 1 in a uniformly random order (a fresh array). */
  permutation(n: number): Int32Array
  /** A 32-bit value for seeding an independent child generator (e.g. one per tree or per worker). */
  nextSeed(): number
}

export function createRandom(seed: number): Random {
  if (!Number.isFinite(seed)) throw invalidParameter(`seed must be a finite number, got ${seed}.`)
  // Fold the seed (possibly > 2^32 or fractional) into 32 bits without losing its high part.
  let s = (Math.trunc(seed) >>> 0) ^ (Math.trunc(seed / 4294967296) >>> 0)
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = splitmix()
  let b = splitmix()
  let c = splitmix()
  let d = 1
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return t >>> 0
  }
  // Warm up so the first outputs do not reflect the seeding.
  for (let i = 0; i < 12; i++) u32()

  let spare = Number.NaN
  const next = (): number => {
    const hi = u32() >>> 5 // 27 bits
    const lo = u32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992
  }
  const int = (n: number): number => {
    if (!(n >= 1 && n <= 4294967296) || !Number.isInteger(n)) {
      throw invalidParameter(`Random.int(n) needs an integer n in [1, 2^32], got ${n}.`)
    }
    // Reject the top partial block so every residue is equally likely.
    const limit = 4294967296 - (4294967296 % n)
    for (;;) {
      const x = u32()
      if (x < limit) return x % n
    }
  }
  const shuffle = <T extends Int32Array | Uint32Array>(arr: T): T => {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = int(i + 1)
      const t = arr[i]!
      arr[i] = arr[j]!
      arr[j] = t
    }
    return arr
  }
  // Methods are closures (no `this`), so they may be passed around detached.
  return {
    next,
    int,
    normal(): number {
      // Marsaglia polar method; the second deviate is kept for the next call.
      if (!Number.isNaN(spare)) {
        const v = spare
        spare = Number.NaN
        return v
      }
      for (;;) {
        const u = 2 * next() - 1
        const v = 2 * next() - 1
        const q = u * u + v * v
        if (q > 0 && q < 1) {
          const f = Math.sqrt((-2 * Math.log(q)) / q)
          spare = v * f
          return u * f
        }
      }
    },
    shuffle,
    permutation(n: number): Int32Array {
      if (!(Number.isInteger(n) && n >= 0 && n <= 2147483647)) {
        throw invalidParameter(`Random.permutation(n) needs an integer n ≥ 0, got ${n}.`)
      }
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) out[i] = i
      return shuffle(out)
    },
    nextSeed(): number {
      return u32()
    },
  }
}
