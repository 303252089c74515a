import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'
import type { ServingStore } from '../../test/support/serving-fixture.js'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import type { CategoricalColumn, NumericColumn } from '../core/frame.js'
import type { ModelVersion } from '../registry/types.js'
import { loadScoringModel } from '../scoring/scoring-model.js'
import type { ScoringModel } from '../scoring/scoring-model.js'
import { aliasOf, inputSpecs, loadVersion, modelUriOf, outputSpecs, resolveVersion, warmupFrame } from './load-version.js'

function scorer(overrides: Partial<ScoringModel> = {}): ScoringModel {
  return {
    kind: 'test',
    task: 'classification',
    classes: ['no', 'yes'],
    inputs: ['amount', 'country'],
    schema: { country: 'category' },
    score: (frame) => Promise.resolve({ prediction: new Float64Array(frame.rows) }),
    useThreads: () => Promise.resolve(1),
    close: () => Promise.resolve(),
    ...overrides,
  }
}

function version(lineage: ModelVersion['lineage'] = {}): ModelVersion {
  return {
    name: 'fraud',
    version: '4',
    creationTimestamp: 0,
    lastUpdatedTimestamp: 0,
    description: '',
    userId: 'u',
    currentStage: 'None',
    source: 'mlflow-artifacts:/x',
    runId: '',
    runLink: '',
    status: 'READY',
    statusMessage: '',
    tags: [],
    aliases: [],
    modelId: '',
    lineage,
  }
}

describe('model URIs of deployment refs', () => {
  it('reads digits as a pinned version and anything else as an alias', () => {
    expect(modelUriOf('fraud', 'champion')).toBe('models:/fraud@champion')
    expect(modelUriOf('fraud', '12')).toBe('models:/fraud/12')
    expect(aliasOf('challenger')).toBe('challenger')
    expect(aliasOf('3')).toBeUndefined()
  })
})

describe('signature of a served version', () => {
  it("uses the version's signature when it has one", () => {
    const signature = { inputs: [{ name: 'amount', type: 'long' }], outputs: [{ name: 'score', type: 'double' }] }
    const v = version({ signature })
    expect(inputSpecs(v, scorer())).toEqual(signature.inputs)
    expect(outputSpecs(v, scorer())).toEqual(signature.outputs)
  })

  it("falls back to the scorer's inputs as optional doubles (categories as strings) and its classes", () => {
    expect(inputSpecs(version(), scorer())).toEqual([
      { name: 'amount', type: 'double', required: false },
      { name: 'country', type: 'string', required: false },
    ])
    expect(outputSpecs(version(), scorer())).toEqual([
      { name: 'probability_no', type: 'double' },
      { name: 'probability_yes', type: 'double' },
    ])
    expect(outputSpecs(version(), scorer({ classes: undefined, task: 'regression' }))).toEqual([{ name: 'prediction', type: 'double' }])
  })
})

describe('warmupFrame', () => {
  const inputs = [
    { name: 'amount', type: 'double' },
    { name: 'country', type: 'string' },
  ]

  it.each([
    ['a record', { amount: 12.5, country: 'FR' }],
    ['an array of records', [{ amount: 12.5, country: 'FR' }]],
    ["MLflow's split", { columns: ['country', 'amount'], data: [['FR', 12.5]] }],
  ])('takes the input example as %s', (_name, example) => {
    const frame = warmupFrame(example, inputs, scorer())
    expect(frame.rows).toBe(1)
    expect(frame.names).toEqual(['amount', 'country'])
    expect(frame.row(0)).toEqual({ amount: 12.5, country: 'FR' })
  })

  it('uses zeros and missing categories without an example, in the columns the scorer reads', () => {
    const frame = warmupFrame(undefined, [], scorer())
    expect((frame.column('amount') as NumericColumn).values).toEqual(Float64Array.of(0))
    expect((frame.column('country') as CategoricalColumn).codes).toEqual(Int32Array.of(-1))
  })
})

describe('loadVersion (registry)', () => {
  let store: ServingStore
  let keel: Keel

  beforeEach(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri)
  })

  afterEach(async () => {
    await keel.close()
    store.remove()
  })

  it('loads a resolved version, warms it up and reports its load time', async () => {
    const clock = manualClock()
    const loads: Array<[string, string, number]> = []
    const target = await resolveVersion(keel, 'fraud', 'challenger')
    const served = await loadVersion(keel, target, 'challenger', { clock, observeLoad: (m, v, s) => loads.push([m, v, s]) })
    try {
      expect([served.model, served.version, served.alias, served.loadedAt]).toEqual(['fraud', '2', 'challenger', clock.now()])
      expect(served.inputs.map((c) => c.name)).toEqual(xgbBinaryExpected().features)
      expect(served.loadMs).toBeGreaterThan(0)
      expect(loads).toEqual([['fraud', '2', served.loadMs / 1000]])
      const scores = await served.scorer.score(warmupFrame(undefined, served.inputs, served.scorer))
      expect(scores.proba?.length).toBe(2)
    } finally {
      await served.scorer.close()
    }
  })

  it('scores the warm-up row warmupRuns times before the version counts as loaded', async () => {
    let scored = 0
    const target = await resolveVersion(keel, 'fraud', 'champion')
    const served = await loadVersion(keel, target, 'champion', {
      clock: manualClock(),
      warmupRuns: 5,
      loadScorer: async (k, uri) => {
        const real = await loadScoringModel(k, uri)
        const score = real.score.bind(real)
        real.score = (frame) => {
          scored++
          expect(frame.names).toEqual(xgbBinaryExpected().features)
          return score(frame)
        }
        return real
      },
    })
    await served.scorer.close()
    expect(scored).toBe(5)
  })

  it('refuses a version whose warm-up fails: the scorer is closed and no load is reported', async () => {
    const loads: unknown[] = []
    let closed = 0
    const target = await resolveVersion(keel, 'fraud', 'champion')
    const failing = loadVersion(keel, target, 'champion', {
      clock: manualClock(),
      observeLoad: (...a) => loads.push(a),
      loadScorer: () =>
        Promise.resolve(
          scorer({
            inputs: ['amount'],
            score: () => Promise.reject(new Error('cannot score')),
            close: () => {
              closed++
              return Promise.resolve()
            },
          }),
        ),
    })
    await expect(failing).rejects.toThrow(/cannot score/)
    expect(closed).toBe(1)
    expect(loads).toEqual([])
  })

  it('refuses a scorer that answers fewer predictions than rows', async () => {
    const target = await resolveVersion(keel, 'fraud', 'champion')
    const short = loadVersion(keel, target, 'champion', {
      clock: manualClock(),
      loadScorer: () => Promise.resolve(scorer({ score: () => Promise.resolve({ prediction: new Float64Array(0) }) })),
    })
    await expect(short).rejects.toThrow(/Warm-up/)
  })
})
