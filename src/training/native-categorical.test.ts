import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import type { Row } from '../core/frame.js'
import { createRandom } from '../core/random.js'
import { readDataset } from '../data/read-dataset.js'
import type { GbdtPredictor } from '../models/gbdt/gbdt-predictor.js'
import { runCli } from '../../test/support/run-cli.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { explainRows, loadGlobalImportance } from './explain-rows.js'
import { loadTrainedModel } from './load-trained-model.js'
import type { TrainingSpecInput } from './spec.js'
import { train } from './train.js'

const N_CATS = 40

let dir: { path: string; remove: () => void }
let keel: Keel
let trainCsv: string
let scoreCsv: string

/**
 * categorical.test.ts's data as CSV: a random half of 40 categories raises the odds, `x` adds a weak numeric
 * signal, 5% of `cat` is missing (an empty field). Read without a schema, so `cat` is a string column.
 */
function writeData(path: string, n: number, seed: number): void {
  const order = createRandom(3).permutation(N_CATS)
  const good = new Set(Array.from(order.subarray(0, N_CATS / 2), (k) => `c${k}`))
  const r = createRandom(seed)
  const lines = ['cat,x,y']
  for (let i = 0; i < n; i++) {
    const c = `c${r.int(N_CATS)}`
    const missing = r.next() < 0.05
    const x = r.normal()
    const logit = (good.has(c) ? 1.5 : -1.5) + 0.5 * x
    const y = r.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0
    lines.push(`${missing ? '' : c},${x.toFixed(6)},${y}`)
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

beforeEach(async () => {
  dir = tempDir('keel-native-cat-')
  trainCsv = join(dir.path, 'train.csv')
  scoreCsv = join(dir.path, 'score.csv')
  writeData(trainCsv, 8000, 1)
  writeData(scoreCsv, 300, 2)
  keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { user: 'cat' })
})

afterEach(async () => {
  await keel.close()
  dir.remove()
})

type Steps = Array<{ type: string } & Record<string, unknown>>

function spec(name: string, steps: Steps, algorithm: TrainingSpecInput['algorithm']): TrainingSpecInput {
  return {
    experiment: 'native-categorical',
    seed: 5,
    data: { path: trainCsv },
    target: 'y',
    task: 'classification',
    features: { steps },
    algorithm,
    evaluation: { testFraction: 0.25 },
    register: { name, alias: 'champion' },
  }
}

// Three stumps: one category-set split separates the halves; one-hot thresholds peel off one category each.
const STUMPS = { name: 'gbdt', params: { nRounds: 3, maxLeaves: 2, learningRate: 0.3, threads: 1 } }
const SMALL = { name: 'gbdt', params: { nRounds: 10, maxLeaves: 4, learningRate: 0.3, threads: 1 } }

/** gbdt's documented rule, walked by hand: categorical splits send an unseen category right. */
function unseenMargin(model: GbdtPredictor, x: number, catFeature: number): number {
  const t = model.model
  let margin = t.base[0]!
  for (let tree = 0; tree < t.roots.length; tree++) {
    let k = t.roots[tree]!
    for (let depth = 0; t.feature[k]! >= 0 && depth < 64; depth++) {
      const f = t.feature[k]!
      if (f === catFeature) {
        expect(t.catStart![k]).toBeGreaterThanOrEqual(0)
        k = t.right[k]!
      } else {
        k = x < t.threshold[k]! ? t.left[k]! : t.right[k]!
      }
    }
    margin += t.value[k]!
  }
  return margin
}

describe('gbdt through a training spec splits string columns natively', () => {
  it('trains without an encoding step and beats the same spec with oneHot on the holdout', async () => {
    const native = await train(spec('cat-native', [], STUMPS), { keel })
    const onehot = await train(spec('cat-onehot', [{ type: 'oneHot', columns: ['cat'], handleUnknown: 'ignore' }], STUMPS), { keel })
    expect(native.pipeline.outputFeatures).toEqual(['cat', 'x'])
    expect(native.pipeline.outputKinds).toEqual(['categorical', 'numeric'])
    expect((native.predictor.predictor as GbdtPredictor).hasCategorical).toBe(true)
    expect(native.metrics['roc_auc']).toBeGreaterThan(0.78)
    expect(native.metrics['roc_auc']).toBeGreaterThan(onehot.metrics['roc_auc']! + 0.15)
    // With more trees one-hot catches up partly; native stays ahead.
    const nativeSmall = await train(spec('cat-native-small', [], SMALL), { keel })
    const onehotSmall = await train(spec('cat-onehot-small', [{ type: 'oneHot', columns: ['cat'], handleUnknown: 'ignore' }], SMALL), { keel })
    expect(nativeSmall.metrics['roc_auc']).toBeGreaterThan(onehotSmall.metrics['roc_auc']! + 0.01)
  })

  it('the saved model scores rows and frames alike, types the column as string, and sends unseen categories right', async () => {
    const result = await train(spec('cat-rows', [], SMALL), { keel })
    const model = await loadTrainedModel(keel, 'models:/cat-rows@champion')
    expect(model.manifest.inputs).toEqual([
      { name: 'cat', type: 'string' },
      { name: 'x', type: 'double' },
    ])
    expect(model.pipeline.passCategorical).toBe(true)
    const frame = await readDataset(scoreCsv)
    const proba = model.predictProba(frame)
    const labels = model.predict(frame)
    // The in-memory model from train() and the loaded one agree bit for bit.
    expect(Array.from(result.predictor.predictProbaFrame(frame))).toEqual(Array.from(proba))
    const cat = frame.column('cat')
    if (cat.kind !== 'categorical') throw new Error('cat must be read as a string column')
    const x = frame.numeric('x')
    let missing = 0
    for (let i = 0; i < frame.rows; i++) {
      const code = cat.codes[i]!
      if (code < 0) missing++
      const row: Row = { cat: code < 0 ? null : cat.categories[code]!, x: x[i]! }
      const p = model.predictProba(row)
      expect(p[1]).toBeCloseTo(proba[2 * i + 1]!, 12)
      expect(model.predict(row)).toBe(labels[i])
    }
    expect(missing).toBeGreaterThan(0)
    // Rows as a list take the same path; a row and the frame row differ in nothing but form.
    const first = { cat: cat.categories[cat.codes[0]!] ?? null, x: x[0]! }
    expect(model.predictProba([first, first])[3]).toBeCloseTo(proba[1]!, 12)

    // An unseen category goes right at every categorical split (docs/training.md), for rows and frames.
    const predictor = model.predictor as GbdtPredictor
    const catFeature = predictor.features.indexOf('cat')
    for (const xv of [-1, 0.3, 2]) {
      const p = model.predictProba({ cat: 'never-seen', x: xv })[1]!
      expect(Math.log(p / (1 - p))).toBeCloseTo(unseenMargin(predictor, xv, catFeature), 9)
    }
    const unseenCsv = join(dir.path, 'unseen.csv')
    writeFileSync(unseenCsv, 'cat,x\nnever-seen,0.3\n')
    const unseenFrame = await readDataset(unseenCsv)
    expect(model.predictProba(unseenFrame)[1]).toBeCloseTo(model.predictProba({ cat: 'never-seen', x: 0.3 })[1]!, 12)
  })

  it('keel predict scores a CSV with the string column, equal to loadTrainedModel', async () => {
    await train(spec('cat-cli', [], SMALL), { keel })
    const output = join(dir.path, 'scores.csv')
    // A category the model never saw, in the CSV too.
    writeFileSync(scoreCsv, `${readFileSync(scoreCsv, 'utf8')}never-seen,0.5,1\n`)
    const env = { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}`, KEEL_USER: 'cat' }
    const res = await runCli(['predict', '--model', 'models:/cat-cli@champion', '--input', scoreCsv, '--output', output, '--keep', 'cat', '--json'], env)
    expect(res.code, res.stderr).toBe(0)
    const model = await loadTrainedModel(keel, 'models:/cat-cli@champion')
    const frame = await readDataset(scoreCsv)
    const proba = model.predictProba(frame)
    const lines = readFileSync(output, 'utf8').trimEnd().split('\n')
    expect(lines[0]!.split(',')).toEqual(['cat', 'prediction', 'probability_0', 'probability_1'])
    expect(lines).toHaveLength(frame.rows + 1)
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',')
      expect(Number(cells[3])).toBeCloseTo(proba[2 * i + 1]!, 9)
    })
    expect(lines.at(-1)!.startsWith('never-seen,')).toBe(true)
  })

  it('explanations: the global importance ranks the string column first and explainRows sums to the margin', async () => {
    await train(spec('cat-explain', [], SMALL), { keel })
    const importance = await loadGlobalImportance(keel, 'models:/cat-explain@champion')
    expect(importance.method).toBe('mean_abs_shap')
    expect(importance.features.map((f) => f.feature)).toEqual(['cat', 'x'])
    expect(importance.features[0]!.importance).toBeGreaterThan(2 * importance.features[1]!.importance)
    const rows: Row[] = [
      { cat: 'c1', x: 0.2 },
      { cat: 'c7', x: -1.1 },
      { cat: null, x: 0 },
      { cat: 'never-seen', x: 1.5 },
    ]
    const explained = await explainRows(keel, 'models:/cat-explain@champion', rows)
    const model = await loadTrainedModel(keel, 'models:/cat-explain@champion')
    expect(explained.rows).toHaveLength(rows.length)
    explained.rows.forEach(([out], i) => {
      expect(out!.contributions.map((c) => c.feature).sort()).toEqual(['cat', 'x'])
      const total = out!.baseValue + out!.contributions.reduce((s, c) => s + c.value, 0)
      expect(total).toBeCloseTo(out!.sum, 9)
      expect(out!.sum).toBeCloseTo(out!.modelValue, 9)
      const p = model.predictProba(rows[i]!)[1]!
      expect(out!.modelValue).toBeCloseTo(Math.log(p / (1 - p)), 9)
    })
    // The category carries the signal: its contribution is not zero for a known category.
    expect(Math.abs(explained.rows[0]![0]!.contributions.find((c) => c.feature === 'cat')!.value)).toBeGreaterThan(0.1)
  })

  it('algorithms that cannot take strings keep the clear error', async () => {
    for (const algorithm of [{ name: 'logistic' }, { name: 'random-forest', params: { nTrees: 2 } }]) {
      await expect(train(spec(`cat-${algorithm.name}`, [], algorithm), { keel })).rejects.toThrow(
        /Column 'cat' is categorical and no pipeline step encodes it; add a oneHot, ordinal or targetEncode step/,
      )
    }
  })
})
