import { createRandom } from '../../core/random.js'
import type { TrainingData } from './training-data.js'
import type { TreeArrays, TreeBuilder } from './tree-builder.js'

/** Per-thread buffers reused across the trees one thread grows. */
export interface GrowScratch {
  indices: Int32Array
  weight: Float64Array
  draws: Int32Array
}

export function growScratch(rows: number): GrowScratch {
  return { indices: new Int32Array(rows), weight: new Float64Array(rows), draws: new Int32Array(rows) }
}

/**
 * Grows one tree from its own seed, so a forest is the same whatever the thread count. With `bootstrap`, rows
 * are drawn with replacement and a row drawn c times gets weight c (scikit-learn does the same), so only the
 * distinct drawn rows are visited.
 */
export function growTree(data: TrainingData, builder: TreeBuilder, seed: number, bootstrap: boolean, scratch: GrowScratch): TreeArrays {
  const random = createRandom(seed)
  const n = data.rows
  const { indices, weight, draws } = scratch
  let count = 0
  if (bootstrap) {
    draws.fill(0)
    for (let j = 0; j < n; j++) draws[random.int(n)]!++
    for (let i = 0; i < n; i++) {
      const c = draws[i]!
      if (c === 0) continue
      weight[i] = c * data.baseWeight[i]!
      indices[count++] = i
    }
  } else {
    for (let i = 0; i < n; i++) {
      weight[i] = data.baseWeight[i]!
      indices[i] = i
    }
    count = n
  }
  return builder.build(indices, count, weight, random)
}
