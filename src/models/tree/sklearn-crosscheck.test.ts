import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import type { Predictor, Task } from '../predictor.js'
import { decisionTree } from './decision-tree.js'
import { randomForest } from './random-forest.js'

/** Fixtures written by test/fixtures/tree/make_tree.py (scikit-learn 1.2): data, split, params and scores. */
interface Fixture {
  n_test: number
  columns: Record<string, number[]>
  target: number[]
  models: Record<string, { params: Record<string, unknown>; sklearn_mean: number; sklearn_min: number; sklearn_max: number }>
}

function load(name: string): { train: Frame; test: Frame; fixture: Fixture } {
  const fixture = JSON.parse(readFileSync(new URL(`../../../test/fixtures/tree/${name}.json`, import.meta.url), 'utf8')) as Fixture
  const frame = new Frame([...Object.entries(fixture.columns).map(([k, v]) => numericColumn(k, v)), numericColumn('y', fixture.target)])
  const cut = frame.rows - fixture.n_test
  return { train: frame.slice(0, cut), test: frame.slice(cut), fixture }
}

function score(model: Predictor, test: Frame, task: Task): number {
  const predicted = model.predict(test)
  const y = test.numeric('y')
  if (task === 'classification') {
    let hits = 0
    for (let i = 0; i < y.length; i++) if (Number(model.classes![predicted[i]!]) === y[i]) hits++
    return hits / y.length
  }
  let mean = 0
  for (const v of y) mean += v / y.length
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < y.length; i++) {
    ssRes += (y[i]! - predicted[i]!) ** 2
    ssTot += (y[i]! - mean) ** 2
  }
  return 1 - ssRes / ssTot
}

const cases: Array<[string, Task, string]> = [
  ['classification', 'classification', 'tree_gini'],
  ['classification', 'classification', 'tree_entropy'],
  ['classification', 'classification', 'forest'],
  ['regression', 'regression', 'tree'],
  ['regression', 'regression', 'forest'],
]

describe('tree and forest scores match scikit-learn 1.2 on the same split', () => {
  for (const [set, task, model] of cases) {
    it(`${set} ${model}: holdout ${task === 'classification' ? 'accuracy' : 'R²'} within 0.01 of scikit-learn's`, async () => {
      const { train, test, fixture } = load(set)
      const ref = fixture.models[model]!
      const algorithm = model.startsWith('forest') ? randomForest : decisionTree
      const params = algorithm.resolveParams({ ...ref.params, ...(model.startsWith('forest') ? { threads: 2 } : {}) })
      const fitted = await algorithm.fit(train, 'y', task, params as never, { seed: 1 })
      const keel = score(fitted, test, task)
      console.log(`${set}/${model}: keel ${keel.toFixed(4)} sklearn ${ref.sklearn_mean.toFixed(4)} [${ref.sklearn_min.toFixed(4)}, ${ref.sklearn_max.toFixed(4)}]`)
      expect(Math.abs(keel - ref.sklearn_mean)).toBeLessThanOrEqual(0.01)
    })
  }
})
