import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { artifactPathFromUri } from '../artifacts/artifact-path.js'
import { Keel } from '../client/keel.js'
import { createRandom } from '../core/random.js'
import { tempDir } from '../../test/support/temp-dir.js'
import { runCli } from '../../test/support/run-cli.js'
import { explainRows, loadGlobalImportance } from './explain-rows.js'
import { TOP_FEATURES_TAG, type StoredImportance } from './explanations.js'
import { loadTrainedModel } from './load-trained-model.js'
import type { TrainingSpecInput } from './spec.js'
import { train } from './train.js'

const XGB_FIXTURES = new URL('../../test/fixtures/xgboost/', import.meta.url).pathname

let dir: { path: string; remove: () => void }
let keel: Keel
let csv: string

/**
 * Only `signal` carries the label; `noise_a`, `noise_b` and `city` (one-hot encoded, so one input column
 * becomes three model features) are independent of it.
 */
function writeData(path: string, rows: number): void {
  const random = createRandom(11)
  const lines = ['noise_a,signal,city,noise_b,y']
  for (let i = 0; i < rows; i++) {
    const signal = random.normal()
    const city = ['oslo', 'pune', 'lima'][random.int(3)]!
    const y = signal + 0.4 * random.normal() > 0 ? 1 : 0
    lines.push(`${random.normal().toFixed(4)},${signal.toFixed(4)},${city},${random.normal().toFixed(4)},${y}`)
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

beforeEach(async () => {
  dir = tempDir('keel-explain-')
  csv = join(dir.path, 'signal.csv')
  writeData(csv, 1200)
  keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`, { user: 'explainer' })
})

afterEach(async () => {
  await keel.close()
  dir.remove()
})

function spec(algorithm: TrainingSpecInput['algorithm'], name: string): TrainingSpecInput {
  return {
    experiment: 'explain',
    seed: 3,
    data: { path: csv, schema: { city: 'category' } },
    target: 'y',
    task: 'classification',
    features: { steps: [{ type: 'oneHot', columns: ['city'], handleUnknown: 'ignore' }] },
    algorithm,
    evaluation: { testFraction: 0.25 },
    register: { name, alias: 'champion' },
  }
}

async function artifactText(runArtifactUri: string, path: string): Promise<string | undefined> {
  const full = `${artifactPathFromUri(runArtifactUri)}/${path}`
  if ((await keel.artifacts.stat(full)) === undefined) return undefined
  const chunks: Buffer[] = []
  for await (const chunk of (await keel.artifacts.get(full)).body) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks).toString('utf8')
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))

describe('global importances logged by train()', () => {
  it('gbdt: TreeSHAP ranks the informative column first, in raw input columns; run and version carry the top features', async () => {
    const result = await train(spec({ name: 'gbdt', params: { nRounds: 30, maxLeaves: 8, threads: 1 } }, 'signal-gbdt'), { keel })
    const run = await keel.tracking.getRun(result.runId)
    const stored = JSON.parse((await artifactText(run.info.artifactUri, 'model/explanations/global_importance.json'))!) as StoredImportance
    expect(stored.method).toBe('mean_abs_shap')
    expect(stored.rows).toBe(300)
    expect(stored.holdoutRows).toBe(300)
    expect(stored.unit).toBe('mean |SHAP| of the log-odds of 1')
    expect(stored.features.map((f) => f.feature).sort()).toEqual(['city', 'noise_a', 'noise_b', 'signal'])
    expect(stored.features[0]!.feature).toBe('signal')
    // The signal dominates: the noise columns only pick up what 30 rounds overfit.
    expect(stored.features[0]!.importance).toBeGreaterThan(5 * stored.features[1]!.importance)
    // city is the one input the pipeline split into several model features.
    expect(stored.features.find((f) => f.feature === 'city')!.modelFeatures?.sort()).toEqual(['city=lima', 'city=oslo', 'city=pune'])
    const svg = (await artifactText(run.info.artifactUri, 'model/explanations/global_importance.svg'))!
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    expect(svg).toContain('>signal</text>')
    expect(svg).not.toMatch(/<script|href=/)

    const top = stored.features.slice(0, 5).map((f) => f.feature).join(',')
    expect(run.data.tags.find((t) => t.key === TOP_FEATURES_TAG)?.value).toBe(top)
    expect(result.version?.tags.find((t) => t.key === TOP_FEATURES_TAG)?.value).toBe(top)
    expect(await loadGlobalImportance(keel, 'models:/signal-gbdt@champion')).toEqual(stored)
    // Metrics stay clean: nothing importance-related is logged as a metric.
    expect(run.data.metrics.filter((m) => m.key.includes('importance'))).toEqual([])
  })

  it('logistic: permutation importance (log loss increase) ranks the informative column first', async () => {
    const result = await train(spec({ name: 'logistic', params: { C: 1 } }, 'signal-logistic'), { keel })
    const stored = await loadGlobalImportance(keel, `runs:/${result.runId}/model`)
    expect(stored).toMatchObject({ method: 'permutation', metric: 'log_loss', repeats: 5, rows: 300 })
    expect(stored.features[0]!.feature).toBe('signal')
    expect(stored.features[0]!.importance).toBeGreaterThan(0.3)
    for (const f of stored.features.slice(1)) expect(Math.abs(f.importance)).toBeLessThan(0.05)
    expect(stored.features[0]!.std).toBeGreaterThanOrEqual(0)
  })

  it('explain.enabled false logs no explanations, and the loader says why', async () => {
    const result = await train({ ...spec({ name: 'logistic' }, 'signal-plain'), explain: { enabled: false } }, { keel })
    const run = await keel.tracking.getRun(result.runId)
    expect(await artifactText(run.info.artifactUri, 'model/explanations/global_importance.json')).toBeUndefined()
    expect(run.data.tags.some((t) => t.key === TOP_FEATURES_TAG)).toBe(false)
    expect(result.version?.tags.some((t) => t.key === TOP_FEATURES_TAG)).toBe(false)
    await expect(loadGlobalImportance(keel, 'models:/signal-plain/1')).rejects.toThrow(/has no stored importances/)
  })

  it('caps the explained rows at explain.maxRows with a seeded sample', async () => {
    const once = await train({ ...spec({ name: 'gbdt', params: { nRounds: 5, threads: 1 } }, 'capped'), explain: { maxRows: 50 } }, { keel })
    const again = await train({ ...spec({ name: 'gbdt', params: { nRounds: 5, threads: 1 } }, 'capped'), explain: { maxRows: 50 } }, { keel })
    const a = await loadGlobalImportance(keel, `runs:/${once.runId}/model`)
    const b = await loadGlobalImportance(keel, `runs:/${again.runId}/model`)
    expect(a.rows).toBe(50)
    expect(a.holdoutRows).toBe(300)
    expect(b).toEqual(a)
  })
})

describe('explainRows', () => {
  const rows = [
    { noise_a: 0.1, signal: 1.5, city: 'oslo', noise_b: -0.3 },
    { noise_a: -1.2, signal: -0.7, city: 'lima', noise_b: 0.8 },
    { noise_a: 0.5, signal: 0.05, city: 'nowhere', noise_b: null },
  ]

  it("gbdt: base + contributions equal the model's log-odds, whose sigmoid is the loaded model's probability", async () => {
    await train(spec({ name: 'gbdt', params: { nRounds: 20, maxLeaves: 8, threads: 1 } }, 'rows-gbdt'), { keel })
    const explained = await explainRows(keel, 'models:/rows-gbdt@champion', rows)
    const model = await loadTrainedModel(keel, 'models:/rows-gbdt@champion')
    expect(explained.kind).toBe('gbdt')
    expect(explained.rows).toHaveLength(3)
    explained.rows.forEach((outputs, i) => {
      expect(outputs).toHaveLength(1)
      const [o] = outputs
      expect(o!.output).toBe('1')
      expect(o!.contributions.map((c) => c.feature).sort()).toEqual(['city', 'noise_a', 'noise_b', 'signal'])
      const total = o!.baseValue + o!.contributions.reduce((s, c) => s + c.value, 0)
      expect(total).toBeCloseTo(o!.sum, 9)
      expect(o!.sum).toBeCloseTo(o!.modelValue, 9)
      // Independent of explainRows' own model call: the served probability.
      expect(sigmoid(o!.sum)).toBeCloseTo(model.predictProba(rows[i]!)[1]!, 9)
      // Sorted by magnitude; a strong signal dominates.
      const magnitudes = o!.contributions.map((c) => Math.abs(c.value))
      expect([...magnitudes].sort((a, b) => b - a)).toEqual(magnitudes)
    })
    expect(explained.rows[0]![0]!.contributions[0]!.feature).toBe('signal')
    expect(explained.rows[0]![0]!.contributions[0]!.value).toBeGreaterThan(0)
    expect(explained.rows[1]![0]!.contributions[0]!.value).toBeLessThan(0)
  })

  it("random forest: contributions sum to the loaded model's probability of class 1 (background stored with the model)", async () => {
    await train(spec({ name: 'random-forest', params: { nTrees: 10, maxDepth: 5 } }, 'rows-forest'), { keel })
    const explained = await explainRows(keel, 'models:/rows-forest@champion', rows.slice(0, 2))
    const model = await loadTrainedModel(keel, 'models:/rows-forest@champion')
    expect(explained.space).toBe('the probability of 1')
    explained.rows.forEach((outputs, i) => {
      const [o] = outputs
      expect(outputs).toHaveLength(1)
      expect(o!.sum).toBeCloseTo(model.predictProba(rows[i]!)[1]!, 9)
      expect(o!.modelValue).toBeCloseTo(o!.sum, 9)
    })
  })

  it("imported XGBoost: equals XGBoost's pred_contribs and margins (no pipeline)", async () => {
    const file = join(XGB_FIXTURES, 'binary.model.json')
    const imported = await runCli(['models', 'import', '--name', 'xgb', '--format', 'xgboost', file], { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}` })
    expect(imported.code).toBe(0)
    const expected = JSON.parse(readFileSync(join(XGB_FIXTURES, 'binary.expected.json'), 'utf8')) as {
      features: string[]
      inputs: Array<Array<number | null>>
      margins: number[]
      contributions: number[][]
    }
    const inputRows = expected.inputs.slice(0, 20).map((values) => Object.fromEntries(expected.features.map((f, j) => [f, values[j] ?? null])))
    const explained = await explainRows(keel, 'models:/xgb/1', inputRows)
    expect(explained.kind).toBe('xgboost')
    explained.rows.forEach((outputs, i) => {
      const [o] = outputs
      expect(Math.abs(o!.sum - expected.margins[i]!)).toBeLessThan(1e-5)
      expect(Math.abs(o!.baseValue - expected.contributions[i]![expected.features.length]!)).toBeLessThan(1e-5)
      for (const c of o!.contributions) expect(Math.abs(c.value - expected.contributions[i]![expected.features.indexOf(c.feature)]!)).toBeLessThan(1e-5)
    })
    await expect(loadGlobalImportance(keel, 'models:/xgb/1')).rejects.toThrow(/has no stored importances/)
  })

  it('refuses a model without trees, naming the alternative', async () => {
    await train(spec({ name: 'logistic' }, 'rows-logistic'), { keel })
    await expect(explainRows(keel, 'models:/rows-logistic@champion', rows)).rejects.toThrow(/'logistic' model; exact per-row explanations need a tree model/)
  })
})

describe('keel models explain', () => {
  it('prints a bar chart of the stored importances, --top limits it, --json gives the file', async () => {
    await train(spec({ name: 'gbdt', params: { nRounds: 20, maxLeaves: 8, threads: 1 } }, 'cli-gbdt'), { keel })
    const env = { KEEL_STORE: `sqlite:${join(dir.path, 'keel.db')}` }
    const text = await runCli(['models', 'explain', 'models:/cli-gbdt@champion'], env)
    expect(text.code).toBe(0)
    const lines = text.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('model     models:/cli-gbdt@champion')
    expect(lines[1]).toBe('method    TreeSHAP: mean |SHAP| of the log-odds of 1')
    expect(lines[2]).toBe('rows      300 of 300 holdout rows (seed 3)')
    const bars = lines.slice(4)
    expect(bars).toHaveLength(4)
    expect(bars[0]).toMatch(/^signal {3}█{40} {2}\d/)
    // Bars shrink with importance.
    const widths = bars.map((l) => (/[█▏▎▍▌▋▊▉]+/.exec(l)?.[0].length ?? 0))
    expect([...widths].sort((a, b) => b - a)).toEqual(widths)

    const top = await runCli(['models', 'explain', 'models:/cli-gbdt@champion', '--top', '2'], env)
    expect(top.stdout.trimEnd().split('\n').slice(4)).toHaveLength(2)
    expect(top.stderr).toContain('2 more features: --top 4')

    const json = await runCli(['models', 'explain', 'models:/cli-gbdt/1', '--json', '--top', '1'], env)
    const doc = JSON.parse(json.stdout) as StoredImportance & { model: string }
    expect(doc).toMatchObject({ model: 'models:/cli-gbdt/1', method: 'mean_abs_shap', rows: 300 })
    expect(doc.features.map((f) => f.feature)).toEqual(['signal'])

    const missing = await runCli(['models', 'explain', 'models:/nope@champion'], env)
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/nope/)
  })
})
