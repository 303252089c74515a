import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import type { Row } from '../../core/frame.js'
import { loadModel } from '../algorithms.js'
import { parseXgboostModel, XgboostPredictor } from './xgboost.js'

/** Written by test/fixtures/xgboost/make_xgboost.py (XGBoost 1.7): the model file and XGBoost's outputs. */
interface Expected {
  objective: string
  features: string[]
  inputs: Array<Array<number | null>>
  predictions: Array<number | number[]>
  margins: Array<number | number[]>
}

const NAMES = ['binary', 'multiclass', 'regression'] as const

function fixtureText(name: string, suffix: string): string {
  return readFileSync(new URL(`../../../test/fixtures/xgboost/${name}.${suffix}.json`, import.meta.url), 'utf8')
}

function load(name: string): { text: string; expected: Expected; frame: Frame; rows: Row[] } {
  const text = fixtureText(name, 'model')
  const expected = JSON.parse(fixtureText(name, 'expected')) as Expected
  const frame = new Frame(expected.features.map((f, j) => numericColumn(f, expected.inputs.map((r) => r[j] ?? Number.NaN))))
  const rows = expected.inputs.map((r) => Object.fromEntries(expected.features.map((f, j) => [f, r[j] ?? null])))
  return { text, expected, frame, rows }
}

/** XGBoost's predict() output per row, as keel lays out probabilities (binary: P(class 1)). */
function keelOutputs(model: XgboostPredictor, frame: Frame): number[][] {
  if (model.task === 'regression') return Array.from(model.predict(frame), (v) => [v])
  const p = model.predictProba(frame)
  const k = model.outputs
  return Array.from({ length: frame.rows }, (_, i) => (k === 2 ? [p[i * 2 + 1]!] : Array.from(p.subarray(i * k, i * k + k))))
}

function asRows(values: Array<number | number[]>): number[][] {
  return values.map((v) => (Array.isArray(v) ? v : [v]))
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length)
  let worst = 0
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i]!.length)
    row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!))))
  })
  return worst
}

describe('XGBoost JSON import equals XGBoost 1.7', () => {
  for (const name of NAMES) {
    it(`${name}: frame predictions, margins and single rows equal XGBoost's to 1e-6`, () => {
      const { text, expected, frame, rows } = load(name)
      const model = XgboostPredictor.fromJson(text)
      expect(model.model.objective).toBe(expected.objective)
      expect(model.features).toEqual(expected.features)
      // The fixture has missing values, so the default directions are exercised.
      expect(expected.inputs.some((r) => r.includes(null))).toBe(true)

      expect(maxAbsDiff(keelOutputs(model, frame), asRows(expected.predictions))).toBeLessThan(1e-6)
      const groups = model.model.groups
      const m = model.predictMargin(frame)
      const margins = Array.from({ length: frame.rows }, (_, i) => Array.from(m.subarray(i * groups, i * groups + groups)))
      expect(maxAbsDiff(margins, asRows(expected.margins))).toBeLessThan(1e-6)

      const single = rows.map((row) => {
        if (model.task === 'regression') return [model.predictRow(row)]
        const p = model.predictProbaRow(row)
        return p.length === 2 ? [p[1]!] : Array.from(p)
      })
      expect(maxAbsDiff(single, asRows(expected.predictions))).toBeLessThan(1e-6)
    })
  }

  it('single-row scoring writes into the caller’s buffer and matches predict()', () => {
    const { text, frame, rows } = load('multiclass')
    const model = XgboostPredictor.fromJson(text)
    const out = new Float64Array(3)
    expect(model.predictProbaRow(rows[0]!, out)).toBe(out)
    const classes = model.predict(frame)
    rows.forEach((row, i) => expect(model.predictRow(row)).toBe(classes[i]))
    expect(new Set(classes).size).toBe(3)
  })

  it('binary predict() is the most probable class and probabilities sum to 1', () => {
    const { text, frame } = load('binary')
    const model = XgboostPredictor.fromJson(text)
    const p = model.predictProba(frame)
    const cls = model.predict(frame)
    for (let i = 0; i < frame.rows; i++) {
      expect(p[i * 2]! + p[i * 2 + 1]!).toBeCloseTo(1, 6)
      expect(cls[i]).toBe(p[i * 2 + 1]! > 0.5 ? 1 : 0)
    }
    expect(model.classes).toEqual(['0', '1'])
  })

  it('base_score enters as a margin: logit for binary:logistic, as-is for regression', () => {
    const binary = parseXgboostModel(load('binary').text)
    expect(binary.baseMargin).toBeCloseTo(Math.log(binary.baseScore / (1 - binary.baseScore)), 6)
    const regression = parseXgboostModel(load('regression').text)
    expect(regression.baseScore).toBe(10)
    expect(regression.baseMargin).toBe(10)
  })

  it('multiclass trees are interleaved by class from tree_info', () => {
    const model = parseXgboostModel(load('multiclass').text)
    expect(model.groups).toBe(3)
    expect(model.trees).toHaveLength(60)
    expect(Array.from(model.treeGroup.subarray(0, 6))).toEqual([0, 1, 2, 0, 1, 2])
  })

  it('trees() are ShapTrees whose leaves, walked with XGBoost’s rule, rebuild the margin', () => {
    const { text, expected, frame } = load('regression')
    const model = XgboostPredictor.fromJson(text)
    const trees = model.trees()
    const margins = model.predictMargin(frame)
    expected.inputs.slice(0, 20).forEach((input, i) => {
      const x = input.map((v) => (v === null ? Number.NaN : Math.fround(v)))
      let sum = model.baseMargin
      for (const tree of trees) {
        let k = 0
        for (let steps = 0; tree.feature[k]! >= 0 && steps < 64; steps++) {
          const v = x[tree.feature[k]!]!
          k = Number.isNaN(v) ? (tree.missingGoesLeft[k] === 1 ? tree.left[k]! : tree.right[k]!) : v < tree.threshold[k]! ? tree.left[k]! : tree.right[k]!
        }
        sum += tree.value[k]!
      }
      expect(sum).toBeCloseTo(margins[i]!, 4)
      // Covers are hessian sums: children add up to the parent.
      for (const tree of trees.slice(0, 3)) {
        for (let k = 0; k < tree.feature.length; k++) {
          if (tree.feature[k]! < 0) continue
          expect(tree.cover[tree.left[k]!]! + tree.cover[tree.right[k]!]!).toBeCloseTo(tree.cover[k]!, 2)
        }
      }
    })
  })

  it('save() → loadModel() gives the same predictions', () => {
    for (const name of NAMES) {
      const { text, frame } = load(name)
      const model = XgboostPredictor.fromJson(text, { target: 'y' })
      const saved = JSON.parse(JSON.stringify(model.save())) as ReturnType<XgboostPredictor['save']>
      expect(saved.kind).toBe('xgboost')
      expect(saved.target).toBe('y')
      const loaded = loadModel(saved)
      expect(Array.from(loaded.predict(frame))).toEqual(Array.from(model.predict(frame)))
      if (model.task === 'classification') expect(Array.from(loaded.predictProba(frame))).toEqual(Array.from(model.predictProba(frame)))
    }
  })

  it('custom class labels are used and must match the class count', () => {
    const { text } = load('multiclass')
    expect(XgboostPredictor.fromJson(text, { classes: ['a', 'b', 'c'] }).classes).toEqual(['a', 'b', 'c'])
    expect(() => XgboostPredictor.fromJson(text, { classes: ['a', 'b'] })).toThrow(/'classes' has 2 labels.*3 classes/)
  })
})

describe('XGBoost import refuses bad input', () => {
  const binaryText = (): string => fixtureText('binary', 'model')
  const mutate = (change: (doc: Record<string, any>) => void): Record<string, unknown> => {
    const doc = JSON.parse(binaryText()) as Record<string, any>
    change(doc)
    return doc
  }

  it('truncated JSON', () => {
    const text = binaryText()
    expect(() => parseXgboostModel(text.slice(0, Math.floor(text.length / 2)))).toThrow(/not valid JSON.*truncated or corrupt/)
  })

  it('JSON that is not an XGBoost model', () => {
    expect(() => parseXgboostModel('{"hello": 1}')).toThrow(/'learner' is missing/)
    expect(() => parseXgboostModel([1, 2])).toThrow(/Not a usable XGBoost JSON model/)
  })

  it('unsupported objectives, naming it and the supported ones', () => {
    const doc = mutate((d) => (d['learner'].objective = { name: 'rank:pairwise' }))
    expect(() => parseXgboostModel(doc)).toThrow(/'rank:pairwise' is not supported.*binary:logistic, multi:softprob, reg:squarederror/)
  })

  it('boosters other than gbtree', () => {
    const doc = mutate((d) => (d['learner'].gradient_booster.name = 'dart'))
    expect(() => parseXgboostModel(doc)).toThrow(/booster 'dart' is not supported/)
  })

  it('corrupt trees: cut arrays, links out of range, cycles, features out of range', () => {
    const cut = mutate((d) => d['learner'].gradient_booster.model.trees[3].split_conditions.pop())
    expect(() => parseXgboostModel(cut)).toThrow(/tree 3\.split_conditions has \d+ entries for \d+ nodes/)
    const link = mutate((d) => (d['learner'].gradient_booster.model.trees[0].left_children[0] = 999))
    expect(() => parseXgboostModel(link)).toThrow(/tree 0 links to node 999/)
    const cycle = mutate((d) => (d['learner'].gradient_booster.model.trees[0].left_children[1] = 0))
    expect(() => parseXgboostModel(cycle)).toThrow(/tree 0 reaches node 0 twice/)
    const feature = mutate((d) => (d['learner'].gradient_booster.model.trees[0].split_indices[0] = 6))
    expect(() => parseXgboostModel(feature)).toThrow(/splits on feature 6, but the model has 6/)
    const info = mutate((d) => (d['learner'].gradient_booster.model.tree_info[0] = 1))
    expect(() => parseXgboostModel(info)).toThrow(/output group 1, but the model has 1/)
  })

  it('categorical splits', () => {
    const doc = mutate((d) => (d['learner'].gradient_booster.model.trees[0].split_type[0] = 1))
    expect(() => parseXgboostModel(doc)).toThrow(/categorical splits/)
  })

  it('a frame missing the model’s features, and non-numeric row values', () => {
    const { text, frame, rows } = load('binary')
    const model = XgboostPredictor.fromJson(text)
    expect(() => model.predict(frame.drop(['amount', 'tenure']))).toThrow(/lacks feature\(s\) 'amount', 'tenure'.*needs: age, amount/)
    expect(() => model.predictRow({ ...rows[0], age: 'old' })).toThrow(/Feature 'age' must be a number/)
    expect(() => XgboostPredictor.fromJson(load('regression').text).predictProba(frame)).toThrow(/regressor/)
  })

  it('unnamed features are called f0, f1, ...', () => {
    const doc = mutate((d) => delete d['learner'].feature_names)
    expect(parseXgboostModel(doc).features).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5'])
  })
})
