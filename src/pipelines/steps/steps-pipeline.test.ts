import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/support/temp-dir.js'
import { Keel } from '../../client/keel.js'
import { definePipeline } from '../define.js'
import { LocalExecutor } from '../local-executor.js'
import { PipelineEngine } from '../run-engine.js'
import { StepRegistry } from '../step-registry.js'
import type { StepRunRecord } from '../types.js'
import { builtInSteps, stepTable } from './index.js'

/** Labelled rows where x1 carries the signal; `shift` moves x1 for everyone (a drift a retrained model adapts to). */
function writeData(path: string, rows: number, seed: number, flip = false): void {
  let s = seed
  const random = (): number => ((s = (s * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)
  const lines = ['x1,x2,label']
  for (let i = 0; i < rows; i++) {
    const label = random() < 0.3 ? 1 : 0
    // After the "drift" the signal moves from x1 to x2: a model trained before it ranks worse on new data.
    const x1 = (label === 1 && !flip ? 1.5 : 0) + random() * 2
    const x2 = (label === 1 && flip ? 1.5 : 0) + random() * 2
    lines.push(`${x1.toFixed(4)},${x2.toFixed(4)},${label}`)
  }
  writeFileSync(path, lines.join('\n') + '\n')
}

const registry = builtInSteps(new StepRegistry())
const training = definePipeline(
  {
    name: 'training',
    params: {
      data: 'string',
      spec: { type: 'json', default: { target: 'label', algorithm: { name: 'logistic', params: { C: 1, maxIter: 100 } }, explain: { enabled: false } } },
    },
    steps: [
      { name: 'ingest', kind: 'keel.ingest', inputs: { path: 'params.data' } },
      { name: 'split', kind: 'keel.split', inputs: { dataset: 'ingest.dataset', options: { value: { testFraction: 0.3, seed: 3, stratify: 'label' } } } },
      { name: 'fit', kind: 'keel.fit', inputs: { dataset: 'split.train', spec: 'params.spec' } },
      { name: 'evaluate', kind: 'keel.evaluate', inputs: { model: 'fit.model', dataset: 'split.test' } },
      { name: 'gate', kind: 'keel.gate', inputs: { metrics: 'evaluate.metrics', dataset: 'split.test', baseline: { value: 'models:/m@champion' }, thresholds: { value: { roc_auc: { minAbsoluteChange: 0.01 } } } }, cache: false },
      { name: 'register', kind: 'keel.register', inputs: { model: 'fit.model', name: { value: 'm' } } },
      { name: 'promote', kind: 'keel.promote', inputs: { name: { value: 'm' }, version: 'register.version', alias: { value: 'champion' }, gate: 'gate.gate' }, when: { input: 'gate' }, cache: false },
    ],
  },
  registry,
)

let dir: ReturnType<typeof tempDir>
let keel: Keel
let engine: PipelineEngine

beforeEach(async () => {
  dir = tempDir('keel-steps-pipeline-')
  keel = await Keel.open(`sqlite:${join(dir.path, 'keel.db')}`)
  engine = new PipelineEngine(keel, registry, new LocalExecutor(keel, registry))
})

afterEach(async () => {
  await engine.close()
  await keel.close()
  dir.remove()
})

const byName = (steps: StepRunRecord[]): Record<string, StepRunRecord> => Object.fromEntries(steps.map((s) => [s.step, s]))

describe('the built-in steps as a pipeline on the local executor', () => {
  it('trains and promotes; a rerun on the same data hits the cache and keeps the champion; new data that beats it is promoted', async () => {
    const data = join(dir.path, 'data.csv')
    writeData(data, 600, 11)
    const first = await engine.run(training, { data })
    const steps1 = byName(await keel.pipelines.getSteps(first.id))
    expect(first.status, stepTable(Object.values(steps1))).toBe('succeeded')
    expect(steps1['promote']!.outputs).toEqual({ promoted: true, previous: null, version: '1' })
    expect((await keel.resolve('models:/m@champion')).version).toBe('1')

    // Same data: everything up to evaluate comes from the cache; the gate (never cached) compares the same model
    // with itself as champion → fails → promote is skipped.
    const second = await engine.run(training, { data })
    const steps2 = byName(await keel.pipelines.getSteps(second.id))
    expect(second.status).toBe('succeeded')
    for (const name of ['ingest', 'split', 'fit', 'evaluate']) expect(steps2[name]!.status, `${name}: ${steps2[name]!.cacheReason}`).toBe('cached')
    expect(steps2['fit']!.cacheReason).toMatch(/^hit/)
    expect(steps2['gate']!.status).toBe('succeeded')
    expect((steps2['gate']!.outputs!['gate'] as { passed: boolean }).passed).toBe(false)
    expect(steps2['promote']!.status).toBe('skipped')
    expect((await keel.resolve('models:/m@champion')).version).toBe('1')

    // Drifted data: the old champion ranks badly on it, the retrained model beats it on the same test rows.
    const fresh = join(dir.path, 'fresh.csv')
    writeData(fresh, 600, 12, true)
    const third = await engine.run(training, { data: fresh })
    const steps3 = byName(await keel.pipelines.getSteps(third.id))
    expect(steps3['ingest']!.cacheReason).toMatch(/^miss/)
    expect(steps3['promote']!.status, stepTable(Object.values(steps3))).toBe('succeeded')
    const promotedTo = String(steps3['register']!.outputs!['version'])
    expect((await keel.resolve('models:/m@champion')).version).toBe(promotedTo)
    expect(stepTable(Object.values(steps3), training.steps.map((s) => s.name)).split('\n')[1]).toMatch(/^ingest\s+succeeded\s+1\s/)
  })

  it('a failed validation fails the run without retrying and nothing is registered', async () => {
    const data = join(dir.path, 'data.csv')
    writeData(data, 100, 13)
    const strict = definePipeline(
      {
        name: 'strict',
        params: { data: 'string' },
        steps: [
          { name: 'ingest', kind: 'keel.ingest', inputs: { path: 'params.data' } },
          {
            name: 'validate',
            kind: 'keel.validate',
            inputs: { dataset: 'ingest.dataset', schema: { value: { format: 'keel-data-schema', formatVersion: 1, extraColumns: 'allow', columns: [{ name: 'x1', kind: 'numeric', dtype: 'float', max: 0.1 }] } } },
            retries: 3,
          },
          { name: 'fit', kind: 'keel.fit', inputs: { dataset: 'validate.dataset', spec: { value: { target: 'label', algorithm: { name: 'logistic' } } } } },
          { name: 'register', kind: 'keel.register', inputs: { model: 'fit.model', name: { value: 'm' } } },
        ],
      },
      registry,
    )
    const run = await engine.run(strict, { data })
    const steps = byName(await keel.pipelines.getSteps(run.id))
    expect(run.status).toBe('failed')
    expect(steps['validate']!.status).toBe('failed')
    expect(steps['validate']!.attempts).toHaveLength(1)
    expect(steps['validate']!.error).toMatch(/breaks its schema/)
    expect(steps['register']!.status).not.toBe('succeeded')
    expect((await keel.registry.searchModelVersions({ filter: "name = 'm'" })).items).toHaveLength(0)
  })
})
