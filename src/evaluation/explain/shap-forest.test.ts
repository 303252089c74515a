import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { createRandom } from '../../core/random.js'
import { decisionTree } from '../../models/tree/decision-tree.js'
import { randomForest } from '../../models/tree/random-forest.js'
import type { Predictor } from '../../models/predictor.js'
import type { FlatForest } from '../../models/tree/flat-forest.js'
import type { TreePredictor } from '../../models/tree/tree-predictor.js'
import { explainPredictor } from './explain-predictor.js'
import { globalImportance } from './importance.js'
import { nextUp, shapEnsembleFromForest } from './shap-forest.js'
import { TreeShapExplainer } from './tree-shap.js'

const FEATURES = ['x0', 'x1', 'x2', 'x3']

/** x0 and x1 carry the signal (x1 on a coarse grid of ties); x2, x3 are noise. */
function dataset(rows: number, seed: number, task: 'classification' | 'regression'): Frame {
  const random = createRandom(seed)
  const xs = FEATURES.map(() => new Float64Array(rows))
  const y = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    for (const x of xs) x[i] = random.next()
    xs[1]![i] = Math.round(xs[1]![i]! * 8) / 8
    const s = 2 * xs[0]![i]! + xs[1]![i]! + 0.1 * random.normal()
    y[i] = task === 'regression' ? s : s > 1.5 ? 1 : 0
  }
  return new Frame([...xs.map((x, j) => numericColumn(FEATURES[j]!, x)), numericColumn('y', y)])
}

function explain(model: TreePredictor, train: Frame, frame: Frame): { values: Float64Array; nGroups: number; global: ReturnType<typeof globalImportance> } {
  const ensemble = shapEnsembleFromForest(model.forest, { background: train, features: model.features })
  const shap = new TreeShapExplainer(ensemble).explainFrame(frame, model.features)
  return { values: shap.values, nGroups: shap.nGroups, global: globalImportance(shap) }
}

describe('TreeSHAP for keel trees', () => {
  it('a regression tree: bias is the training mean, each row sums to predict(), noise features matter least', async () => {
    const train = dataset(1500, 1, 'regression')
    const model = (await decisionTree.fit(train, 'y', 'regression', decisionTree.resolveParams({ maxDepth: 6 }), { seed: 1 })) as TreePredictor
    const { values, global } = explain(model, train, train)
    const predicted = model.predict(train)
    const y = train.numeric('y')
    const mean = y.reduce((a, b) => a + b, 0) / y.length
    const width = FEATURES.length + 1
    for (let i = 0; i < train.rows; i++) {
      let sum = 0
      for (let f = 0; f < width; f++) sum += values[i * width + f]!
      expect(sum).toBeCloseTo(predicted[i]!, 10)
      // Unweighted CART leaves are training means and covers are training counts, so E[f] = mean(y).
      expect(values[i * width + FEATURES.length]).toBeCloseTo(mean, 10)
    }
    expect(global.features.slice(0, 2).map((f) => f.feature).sort()).toEqual(['x0', 'x1'])
  })

  it('a bootstrapped forest classifier: per class, each row sums to predictProba', async () => {
    const train = dataset(1200, 2, 'classification')
    const test = dataset(200, 3, 'classification')
    const params = randomForest.resolveParams({ nTrees: 10, maxDepth: 5, threads: 1 })
    const model = (await randomForest.fit(train, 'y', 'classification', params, { seed: 4 })) as TreePredictor
    const { values, nGroups, global } = explain(model, train, test)
    expect(nGroups).toBe(2)
    const proba = model.predictProba(test)
    const width = FEATURES.length + 1
    for (let i = 0; i < test.rows; i++) {
      for (let c = 0; c < 2; c++) {
        let sum = 0
        for (let f = 0; f < width; f++) sum += values[(i * 2 + c) * width + f]!
        expect(sum).toBeCloseTo(proba[i * 2 + c]!, 10)
      }
    }
    const top = global.features.map((f) => f.feature)
    expect(top.indexOf('x0')).toBe(0)
    expect(global.features[0]!.byOutput).toHaveLength(2)
    // The generic entry point gives the same values, and says what it needs when the background is missing.
    expect(Array.from(explainPredictor(model, test, { background: train }).values)).toEqual(Array.from(values))
    expect(() => explainPredictor(model, test)).toThrow(/needs 'background' \(its training frame\)/)
    const linear = { kind: 'logistic-regression', features: FEATURES } as unknown as Predictor
    expect(() => explainPredictor(linear, test)).toThrow(/'logistic-regression' has no trees. Use permutationImportance/)
  })

  it("a row exactly on keel's threshold goes left (x ≤ t) in the explanation as in keel's scoring", () => {
    // One stump: x0 ≤ 0.5 → 1 (left), else 3. Background: two rows on the threshold, one above.
    const forest: FlatForest = {
      nOut: 1,
      roots: Int32Array.from([0]),
      feature: Int32Array.from([0, -1, -1]),
      threshold: Float64Array.from([0.5, 0, 0]),
      left: Int32Array.from([1, -1, -1]),
      right: Int32Array.from([2, -1, -1]),
      value: Float64Array.from([0, 1, 3]),
    }
    const background = new Frame([numericColumn('x0', [0.5, 0.5, 0.7])])
    const ensemble = shapEnsembleFromForest(forest, { background, features: ['x0'] })
    expect(Array.from(ensemble.trees[0]!.cover)).toEqual([3, 2, 1])
    const out = new TreeShapExplainer(ensemble).explainRow([0.5], new Float64Array(2))
    // E[f] = (2·1 + 1·3) / 3 = 5/3; on the threshold the row scores 1, so x0 contributes 1 − 5/3.
    expect(out[1]).toBeCloseTo(5 / 3, 12)
    expect(out[0]).toBeCloseTo(1 - 5 / 3, 12)
  })

  it('nextUp turns keel\'s x ≤ t into x < t\' for every double, including zero, negatives and subnormals', () => {
    for (const t of [0, -0, 1, -1, 0.1, -0.1, 1e300, -1e300, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** -1074 * 3, -Infinity]) {
      const u = nextUp(t)
      expect(u).toBeGreaterThan(t)
      expect(t < u).toBe(true)
      // Nothing lies strictly between t and nextUp(t): their midpoint rounds to one of them.
      const mid = t / 2 + u / 2
      expect(mid === t || mid === u || (t === -Infinity && mid === -Infinity)).toBe(true)
    }
    expect(nextUp(-Number.MIN_VALUE) === 0).toBe(true)
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity)
  })
})
