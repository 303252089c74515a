import { describe, expect, it } from 'vitest'
import { createRandom } from '../../core/random.js'
import type { Random } from '../../core/random.js'
import { shapTreeLeaf, validateShapTree } from './shap-tree.js'
import type { ShapTree } from './shap-tree.js'
import { meanValue, treeShap, TreeShapExplainer } from './tree-shap.js'

/** A random binary tree of depth ≤ maxDepth; features repeat along paths; covers per `coverMode`. */
function randomTree(random: Random, nFeatures: number, maxDepth: number, coverMode: 'consistent' | 'zeros' | 'loose'): ShapTree {
  const feature: number[] = []
  const threshold: number[] = []
  const left: number[] = []
  const right: number[] = []
  const missing: number[] = []
  const value: number[] = []
  const grow = (depth: number): number => {
    const k = feature.length
    feature.push(-1)
    threshold.push(0)
    left.push(-1)
    right.push(-1)
    missing.push(random.int(2))
    value.push(random.normal())
    if (depth < maxDepth && (depth < 2 || random.next() < 0.7)) {
      feature[k] = random.int(nFeatures)
      threshold[k] = random.normal()
      left[k] = grow(depth + 1)
      right[k] = grow(depth + 1)
    }
    return k
  }
  grow(0)
  const n = feature.length
  const cover = new Float64Array(n)
  const fill = (k: number): number => {
    if (feature[k]! < 0) {
      cover[k] = coverMode === 'zeros' && random.next() < 0.3 ? 0 : 1 + random.int(20)
      return cover[k]!
    }
    const c = fill(left[k]!) + fill(right[k]!)
    // 'loose' covers (parent ≠ sum of children) still define a valid expectation; both sides must agree.
    cover[k] = coverMode === 'loose' ? c * (0.5 + random.next()) : c
    return cover[k]!
  }
  fill(0)
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    missingGoesLeft: Uint8Array.from(missing),
    value: Float64Array.from(value),
    cover,
  }
}

/** E[f(x) | x_S] with the other features integrated out by cover, the definition TreeSHAP computes exactly. */
function conditionalExpectation(tree: ShapTree, row: ArrayLike<number>, inS: (f: number) => boolean, node = 0): number {
  const f = tree.feature[node]!
  if (f < 0) return tree.value[node]!
  const l = tree.left[node]!
  const r = tree.right[node]!
  if (inS(f)) {
    const x = row[f]!
    const goLeft = Number.isNaN(x) ? tree.missingGoesLeft[node] === 1 : x < tree.threshold[node]!
    return conditionalExpectation(tree, row, inS, goLeft ? l : r)
  }
  const c = tree.cover[node]!
  const wl = c > 0 ? tree.cover[l]! / c : 0.5
  const wr = c > 0 ? tree.cover[r]! / c : 0.5
  return wl * conditionalExpectation(tree, row, inS, l) + wr * conditionalExpectation(tree, row, inS, r)
}

/** Shapley values by enumerating every subset (2^M), plus the bias v(∅) in the last slot. */
function bruteForceShap(trees: readonly ShapTree[], row: ArrayLike<number>, nFeatures: number): Float64Array {
  const v = (mask: number): number => trees.reduce((s, t) => s + conditionalExpectation(t, row, (f) => (mask & (1 << f)) !== 0), 0)
  const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1))
  const out = new Float64Array(nFeatures + 1)
  for (let mask = 0; mask < 1 << nFeatures; mask++) {
    let size = 0
    for (let f = 0; f < nFeatures; f++) if ((mask & (1 << f)) !== 0) size++
    const weight = (factorial(size) * factorial(nFeatures - size - 1)) / factorial(nFeatures)
    const base = v(mask)
    for (let i = 0; i < nFeatures; i++) {
      if ((mask & (1 << i)) !== 0) continue
      out[i]! += weight * (v(mask | (1 << i)) - base)
    }
  }
  out[nFeatures] = v(0)
  return out
}

function randomRow(random: Random, nFeatures: number): Float64Array {
  const row = new Float64Array(nFeatures)
  for (let f = 0; f < nFeatures; f++) row[f] = random.next() < 0.15 ? Number.NaN : random.normal()
  return row
}

describe('TreeSHAP', () => {
  for (const coverMode of ['consistent', 'zeros', 'loose'] as const) {
    it(`equals brute-force Shapley values on random trees (${coverMode} covers)`, () => {
      const random = createRandom(coverMode === 'consistent' ? 1 : coverMode === 'zeros' ? 2 : 3)
      let checked = 0
      for (let trial = 0; trial < 40; trial++) {
        const nFeatures = 2 + random.int(5)
        const trees = Array.from({ length: 1 + random.int(3) }, () => randomTree(random, nFeatures, 2 + random.int(5), coverMode))
        const explainer = new TreeShapExplainer({ trees, nFeatures })
        const out = new Float64Array(nFeatures + 1)
        for (let r = 0; r < 5; r++) {
          const row = randomRow(random, nFeatures)
          explainer.explainRow(row, out)
          const expected = bruteForceShap(trees, row, nFeatures)
          for (let f = 0; f <= nFeatures; f++) expect(out[f]).toBeCloseTo(expected[f]!, 10)
          checked++
        }
      }
      expect(checked).toBe(200)
    })
  }

  it('sums to the model margin (base + leaf values) on deep trees with repeated features', () => {
    const random = createRandom(7)
    const nFeatures = 4
    const trees = Array.from({ length: 10 }, () => randomTree(random, nFeatures, 12, 'consistent'))
    const explainer = new TreeShapExplainer({ trees, nFeatures, base: [0.25] })
    const out = new Float64Array(nFeatures + 1)
    for (let r = 0; r < 50; r++) {
      const row = randomRow(random, nFeatures)
      explainer.explainRow(row, out)
      const margin = 0.25 + trees.reduce((s, t) => s + t.value[shapTreeLeaf(t, row)]!, 0)
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(margin, 10)
      expect(out[nFeatures]).toBeCloseTo(0.25 + trees.reduce((s, t) => s + meanValue(t), 0), 12)
    }
  })

  it('gives a feature the tree never splits on exactly zero, and a one-split stump its textbook values', () => {
    // Stump on feature 1 at 0.5: left (cover 3) = 10, right (cover 1) = 2. Expected value = (30 + 2) / 4 = 8.
    const stump: ShapTree = {
      feature: Int32Array.from([1, -1, -1]),
      threshold: Float64Array.from([0.5, 0, 0]),
      left: Int32Array.from([1, -1, -1]),
      right: Int32Array.from([2, -1, -1]),
      missingGoesLeft: Uint8Array.from([0, 0, 0]),
      value: Float64Array.from([0, 10, 2]),
      cover: Float64Array.from([4, 3, 1]),
    }
    const out = treeShap([stump], [123, 0.9, Number.NaN], new Float64Array(4))
    expect(Array.from(out)).toEqual([0, 2 - 8, 0, 8])
    // NaN follows missingGoesLeft (0: right) and so scores like x ≥ threshold.
    expect(Array.from(treeShap([stump], [0, Number.NaN, 0], new Float64Array(4)))).toEqual([0, -6, 0, 8])
  })

  it('splits outputs by group (multiclass) and adds each group its base', () => {
    const random = createRandom(11)
    const nFeatures = 3
    const trees = Array.from({ length: 6 }, () => randomTree(random, nFeatures, 4, 'consistent'))
    const group = [0, 1, 2, 0, 1, 2]
    const base = [0.1, -0.2, 0.3]
    const explainer = new TreeShapExplainer({ trees, nFeatures, group, nGroups: 3, base })
    const out = new Float64Array(3 * (nFeatures + 1))
    const row = randomRow(random, nFeatures)
    explainer.explainRow(row, out)
    for (let g = 0; g < 3; g++) {
      const mine = trees.filter((_, t) => group[t] === g)
      const expected = bruteForceShap(mine, row, nFeatures)
      expected[nFeatures]! += base[g]!
      for (let f = 0; f <= nFeatures; f++) expect(out[g * (nFeatures + 1) + f]).toBeCloseTo(expected[f]!, 10)
    }
  })

  it('refuses malformed trees and mismatched options with errors that say what is wrong', () => {
    const good = randomTree(createRandom(5), 3, 3, 'consistent')
    const cyclic: ShapTree = { ...good, left: Int32Array.from(good.left, (l, k) => (k === 0 ? l : l >= 0 ? 0 : l)) }
    expect(() => validateShapTree(cyclic, 3)).toThrow(/reached twice/)
    expect(() => new TreeShapExplainer({ trees: [good], nFeatures: 3, group: [1] })).toThrow(/'group' of tree 0 is 1/)
    expect(() => new TreeShapExplainer({ trees: [good], nFeatures: 1 })).toThrow(/splits on feature \d, but the model has 1 features/)
    expect(() => new TreeShapExplainer({ trees: [{ ...good, cover: good.cover.map((c, k) => (k === 0 ? -1 : c)) }], nFeatures: 3 })).toThrow(/cover -1/)
    expect(() => new TreeShapExplainer({ trees: [], nFeatures: 3 })).toThrow(/no trees/)
  })
})
