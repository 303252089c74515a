import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import { isKeelError } from '../core/errors.js'
import { categoricalColumn, Frame, numericColumn } from '../core/frame.js'
import type { CategoricalColumn } from '../core/frame.js'
import { loadScoringModel } from '../scoring/scoring-model.js'
import type { Scores, ScoringModel } from '../scoring/scoring-model.js'
import { servingStore } from '../../test/support/serving-fixture.js'
import type { ServingStore } from '../../test/support/serving-fixture.js'
import { Batcher } from './batcher.js'
import type { BatchingOptions } from './types.js'

const FAR = Date.now() + 3_600_000

/** A request frame: numeric `x` and categorical `c` (each request encodes its own dictionary, as protocols do). */
function frameOf(xs: number[], cs?: Array<string | null>): Frame {
  return new Frame([numericColumn('x', xs), categoricalColumn('c', cs ?? xs.map((x) => (x % 2 === 0 ? 'even' : 'odd')))])
}

const CATEGORY_VALUE: Record<string, number> = { even: 1000, odd: 2000, big: 3000 }

/**
 * A deterministic fake model: prediction = x + value(category); proba = [p, 1 - p] with p from x. Each call can be
 * held open by a gate so tests control when the scorer is busy.
 */
class FakeScorer implements ScoringModel {
  readonly kind = 'fake'
  readonly task = 'classification' as const
  readonly classes = ['a', 'b']
  readonly inputs = ['x', 'c']
  readonly schema = {}
  readonly calls: Frame[] = []
  private gates: Array<{ promise: Promise<void>; open: () => void }> = []
  hold = false
  failWhen: ((frame: Frame) => boolean) | undefined

  score(frame: Frame): Promise<Scores> {
    this.calls.push(frame)
    const result = (): Scores => {
      if (this.failWhen?.(frame) === true) throw new Error('model exploded')
      return fakeScores(frame)
    }
    if (!this.hold) return Promise.resolve().then(result)
    let open!: () => void
    const promise = new Promise<void>((resolve) => (open = resolve))
    this.gates.push({ promise, open })
    return promise.then(result)
  }

  /** Lets every held call finish. */
  release(): void {
    const gates = this.gates
    this.gates = []
    for (const g of gates) g.open()
  }

  useThreads(): Promise<number> {
    return Promise.resolve(1)
  }

  close(): Promise<void> {
    return Promise.resolve()
  }
}

function fakeScores(frame: Frame): Scores {
  const x = frame.numeric('x')
  const c = frame.column('c') as CategoricalColumn
  const prediction = new Float64Array(frame.rows)
  const proba = new Float64Array(frame.rows * 2)
  for (let i = 0; i < frame.rows; i++) {
    const code = c.codes[i]!
    prediction[i] = code < 0 ? Number.NaN : x[i]! + CATEGORY_VALUE[c.categories[code]!]!
    const p = 1 / (1 + Math.exp(-x[i]! / 100))
    proba[2 * i] = p
    proba[2 * i + 1] = 1 - p
  }
  return { prediction, proba }
}

function options(overrides: Partial<BatchingOptions> = {}): BatchingOptions {
  return { maxBatchRows: 64, maxWaitMs: 0, maxQueue: 1000, ...overrides }
}

/** Waits (bounded) until `condition` holds, yielding to timers and I/O between checks. */
async function until(condition: () => boolean, what: string, maxTurns = 2000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

function expectUnavailable(error: unknown): void {
  expect(isKeelError(error)).toBe(true)
  if (!isKeelError(error)) return
  expect(error.code).toBe('TEMPORARILY_UNAVAILABLE')
  expect(error.status).toBe(503)
  expect(error.retryable).toBe(true)
  expect(error.details['retryAfterSeconds']).toBeGreaterThanOrEqual(1)
  expect(Number.isInteger(error.details['retryAfterSeconds'])).toBe(true)
}

describe('Batcher with a fake scorer', () => {
  it('coalesces concurrent single-row requests into few calls, each answer equal to scoring it alone', async () => {
    const scorer = new FakeScorer()
    scorer.hold = true
    const batches: number[] = []
    const depths: number[] = []
    const batcher = new Batcher(scorer, options(), { onBatch: (rows) => batches.push(rows), onQueue: (d) => depths.push(d) })
    const first = batcher.score(frameOf([0]), FAR)
    await until(() => scorer.calls.length === 1, 'the first call')
    // The scorer is busy: the next 40 requests pile up and go as one batch when it frees.
    const rest = Array.from({ length: 40 }, (_, i) => batcher.score(frameOf([i + 1]), FAR))
    await until(() => batcher.depth === 40, 'the queue to fill')
    scorer.release()
    await until(() => scorer.calls.length === 2, 'the second call')
    scorer.release()
    const answers = await Promise.all([first, ...rest])
    expect(scorer.calls.length).toBe(2)
    expect(batches).toEqual([1, 40])
    expect(Math.max(...depths)).toBe(40)
    expect(depths[depths.length - 1]).toBe(0)
    answers.forEach((scores, i) => {
      const alone = fakeScores(frameOf([i]))
      expect(Array.from(scores.prediction)).toEqual(Array.from(alone.prediction))
      expect(Array.from(scores.proba!)).toEqual(Array.from(alone.proba!))
    })
    await batcher.close()
  })

  it('batches what arrives in the same tick even with maxWaitMs 0, and merges differing category dictionaries', async () => {
    const scorer = new FakeScorer()
    const batcher = new Batcher(scorer, options())
    // Each request encodes its own dictionary: code 0 is 'odd' in one, 'even' or 'big' in others.
    const frames = [frameOf([1, 2], ['odd', 'even']), frameOf([3], ['big']), frameOf([4, 5, 6], ['even', null, 'odd'])]
    const answers = await Promise.all(frames.map((f) => batcher.score(f, FAR)))
    expect(scorer.calls.length).toBe(1)
    expect(scorer.calls[0]!.rows).toBe(6)
    expect(Array.from(answers[0]!.prediction)).toEqual([2001, 1002])
    expect(Array.from(answers[1]!.prediction)).toEqual([3003])
    // A missing category stays missing (the fake scorer maps it to NaN).
    expect(answers[2]!.prediction[0]).toBe(1004)
    expect(Number.isNaN(answers[2]!.prediction[1])).toBe(true)
    expect(answers[2]!.prediction[2]).toBe(2006)
    expect(answers[2]!.proba!.length).toBe(6)
    await batcher.close()
  })

  it('with maxWaitMs 0 an idle scorer takes a lone request at once; with a wait, a later request joins it', async () => {
    const eager = new FakeScorer()
    const noWait = new Batcher(eager, options({ maxWaitMs: 0 }))
    const a = noWait.score(frameOf([1]), FAR)
    await new Promise((resolve) => setImmediate(resolve))
    const b = noWait.score(frameOf([2]), FAR)
    await Promise.all([a, b])
    expect(eager.calls.map((f) => f.rows)).toEqual([1, 1])

    const patient = new FakeScorer()
    const waiting = new Batcher(patient, options({ maxWaitMs: 30_000, maxBatchRows: 3 }))
    const c = waiting.score(frameOf([1]), FAR)
    await new Promise((resolve) => setImmediate(resolve))
    expect(patient.calls.length).toBe(0)
    const d = waiting.score(frameOf([2]), FAR)
    await new Promise((resolve) => setImmediate(resolve))
    expect(patient.calls.length).toBe(0)
    // Reaching maxBatchRows sends the batch without waiting out the 30 s.
    const e = waiting.score(frameOf([3]), FAR)
    await Promise.all([c, d, e])
    expect(patient.calls.map((f) => f.rows)).toEqual([3])
    await waiting.close()
    await noWait.close()
  })

  it('sends a waiting batch once maxWaitMs has passed', async () => {
    const scorer = new FakeScorer()
    const batcher = new Batcher(scorer, options({ maxWaitMs: 5 }))
    const started = performance.now()
    const scores = await batcher.score(frameOf([7]), FAR)
    expect(performance.now() - started).toBeGreaterThanOrEqual(4)
    expect(Array.from(scores.prediction)).toEqual([2007])
    await batcher.close()
  })

  it('never puts more than maxBatchRows rows in one call, never splits a request, and scores an oversized one alone', async () => {
    const scorer = new FakeScorer()
    scorer.hold = true
    const batcher = new Batcher(scorer, options({ maxBatchRows: 7 }))
    const first = batcher.score(frameOf([0]), FAR)
    await until(() => scorer.calls.length === 1, 'the first call')
    const sizes = [3, 3, 3, 20, 2, 4, 1, 1, 6]
    let next = 100
    const frames = sizes.map((n) => frameOf(Array.from({ length: n }, () => next++)))
    const answers = frames.map((f) => batcher.score(f, FAR))
    await until(() => batcher.depth === sizes.length, 'the queue to fill')
    for (let turn = 0; turn < 20 && batcher.depth > 0; turn++) {
      scorer.release()
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    scorer.release()
    const results = await Promise.all([first, ...answers])
    // FIFO, cut before a request that would overflow: [3,3] [3] [20 alone] [2,4,1] [1,6].
    expect(scorer.calls.map((f) => f.rows)).toEqual([1, 6, 3, 20, 7, 7])
    results.slice(1).forEach((scores, i) => {
      expect(Array.from(scores.prediction)).toEqual(Array.from(fakeScores(frames[i]!).prediction))
    })
    await batcher.close()
  })

  it('rejects a request whose deadline passes while queued, with 503 + Retry-After, and never scores it', async () => {
    const scorer = new FakeScorer()
    scorer.hold = true
    const batcher = new Batcher(scorer, options())
    const first = batcher.score(frameOf([1]), FAR)
    await until(() => scorer.calls.length === 1, 'the first call')
    const late = batcher.score(frameOf([99]), Date.now() + 20)
    const kept = batcher.score(frameOf([2]), FAR)
    expectUnavailable(await rejection(late))
    expect(batcher.depth).toBe(1)
    scorer.release()
    await first
    await until(() => scorer.calls.length === 2, 'the second call')
    scorer.release()
    expect(Array.from((await kept).prediction)).toEqual([1002])
    expect(scorer.calls.map((f) => Array.from(f.numeric('x')))).toEqual([[1], [2]])
    await batcher.close()
  })

  it('checks deadlines by the injected clock when a batch is formed, and refuses a request already past it', async () => {
    const clock = manualClock()
    const scorer = new FakeScorer()
    scorer.hold = true
    const batcher = new Batcher(scorer, options(), {}, { clock })
    expectUnavailable(await rejection(batcher.score(frameOf([5]), clock.now())))
    const first = batcher.score(frameOf([1]), clock.now() + 10_000)
    await until(() => scorer.calls.length === 1, 'the first call')
    const late = rejection(batcher.score(frameOf([99]), clock.now() + 100))
    const kept = batcher.score(frameOf([2]), clock.now() + 10_000)
    clock.advance(500)
    scorer.release()
    await first
    expectUnavailable(await late)
    await until(() => scorer.calls.length === 2, 'the second call')
    scorer.release()
    await kept
    expect(scorer.calls.map((f) => Array.from(f.numeric('x')))).toEqual([[1], [2]])
    await batcher.close()
  })

  it('answers 503 at once when the queue is full', async () => {
    const scorer = new FakeScorer()
    scorer.hold = true
    const batcher = new Batcher(scorer, options({ maxQueue: 2 }))
    const first = batcher.score(frameOf([1]), FAR)
    await until(() => scorer.calls.length === 1, 'the first call')
    const queued = [batcher.score(frameOf([2]), FAR), batcher.score(frameOf([3]), FAR)]
    const error = await rejection(batcher.score(frameOf([4]), FAR))
    expectUnavailable(error)
    expect((error as Error).message).toMatch(/queue is full \(2 requests\)/)
    scorer.release()
    await until(() => scorer.calls.length === 2, 'the second call')
    scorer.release()
    await Promise.all([first, ...queued])
    expect(scorer.calls.map((f) => f.rows)).toEqual([1, 2])
    await batcher.close()
  })

  it('fails only the batch whose scoring failed', async () => {
    const scorer = new FakeScorer()
    scorer.hold = true
    scorer.failWhen = (frame) => frame.numeric('x').includes(13)
    const batcher = new Batcher(scorer, options({ maxBatchRows: 2 }))
    const first = batcher.score(frameOf([1]), FAR)
    await until(() => scorer.calls.length === 1, 'the first call')
    const a = batcher.score(frameOf([12]), FAR)
    const b = batcher.score(frameOf([13]), FAR)
    // Observed now so the rejections are handled while the test awaits other answers.
    const failures = Promise.allSettled([a, b])
    const c = batcher.score(frameOf([14]), FAR)
    const d = batcher.score(frameOf([15]), FAR)
    for (let turn = 0; turn < 10 && scorer.calls.length < 3; turn++) {
      scorer.release()
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    scorer.release()
    expect(Array.from((await first).prediction)).toEqual([2001])
    const settled = await failures
    expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'resolved'))).toEqual(['model exploded', 'model exploded'])
    expect(Array.from((await c).prediction)).toEqual([1014])
    expect(Array.from((await d).prediction)).toEqual([2015])
    expect(scorer.calls.map((f) => f.rows)).toEqual([1, 2, 2])
    await batcher.close()
  })

  it('rejects an answer whose size does not match the batch instead of handing out wrong rows', async () => {
    const scorer = new FakeScorer()
    const broken: ScoringModel = {
      kind: scorer.kind,
      task: scorer.task,
      classes: scorer.classes,
      inputs: scorer.inputs,
      schema: scorer.schema,
      score: () => Promise.resolve({ prediction: new Float64Array(1) }),
      useThreads: () => Promise.resolve(1),
      close: () => Promise.resolve(),
    }
    const batcher = new Batcher(broken, options())
    const results = await Promise.allSettled([batcher.score(frameOf([1]), FAR), batcher.score(frameOf([2]), FAR)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    await batcher.close()
  })

  it('close() scores what is queued, then refuses new work', async () => {
    const scorer = new FakeScorer()
    scorer.hold = true
    const batcher = new Batcher(scorer, options({ maxWaitMs: 60_000 }))
    const queued = [batcher.score(frameOf([1]), FAR), batcher.score(frameOf([2]), FAR)]
    await new Promise((resolve) => setImmediate(resolve))
    expect(scorer.calls.length).toBe(0)
    const closed = batcher.close()
    expectUnavailable(await rejection(batcher.score(frameOf([3]), FAR)))
    await until(() => scorer.calls.length === 1, 'the drain batch')
    scorer.release()
    await closed
    expect((await Promise.all(queued)).map((s) => s.prediction[0])).toEqual([2001, 1002])
  })

  it('refuses bad options with a message naming the option', () => {
    const scorer = new FakeScorer()
    expect(() => new Batcher(scorer, options({ maxBatchRows: 0 }))).toThrow(/maxBatchRows/)
    expect(() => new Batcher(scorer, options({ maxQueue: 1.5 }))).toThrow(/maxQueue/)
    expect(() => new Batcher(scorer, options({ maxWaitMs: -1 }))).toThrow(/maxWaitMs/)
  })
})

describe('Batcher with the ONNX MLP from the registry', () => {
  let store: ServingStore
  let keel: Keel
  let model: ScoringModel

  beforeAll(async () => {
    store = await servingStore()
    keel = await Keel.open(store.storeUri)
    model = await loadScoringModel(keel, 'models:/mlp@champion')
    expect(model.inputs).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'])
  }, 60_000)

  afterAll(async () => {
    await model?.close()
    await keel?.close()
    store?.remove()
  })

  function mlpFrame(seed: number, rows = 1): Frame {
    return new Frame(
      Array.from({ length: 8 }, (_, j) =>
        numericColumn(`f${j}`, Array.from({ length: rows }, (_, r) => Math.sin(seed * 7.1 + j * 1.3 + r * 0.7) * 2)),
      ),
    )
  }

  it('coalesces 48 concurrent single-row requests into fewer calls, each answer equal to scoring alone', async () => {
    const calls: number[] = []
    const counting: ScoringModel = {
      ...model,
      score: (frame) => {
        calls.push(frame.rows)
        return model.score(frame)
      },
    }
    const batcher = new Batcher(counting, options({ maxBatchRows: 16 }))
    const frames = Array.from({ length: 48 }, (_, i) => mlpFrame(i))
    const answers = await Promise.all(frames.map((f) => batcher.score(f, Date.now() + 30_000)))
    expect(calls.length).toBeLessThan(48)
    expect(Math.max(...calls)).toBeLessThanOrEqual(16)
    expect(calls.reduce((a, b) => a + b, 0)).toBe(48)
    for (let i = 0; i < frames.length; i++) {
      const alone = await model.score(frames[i]!)
      const got = answers[i]!
      expect(got.width).toBe(3)
      expect(got.prediction.length).toBe(3)
      for (let k = 0; k < 3; k++) expect(got.prediction[k]).toBeCloseTo(alone.prediction[k]!, 6)
    }
    await batcher.close()
  })

  it('keeps multi-row requests whole and in order', async () => {
    const batcher = new Batcher(model, options({ maxBatchRows: 8 }))
    const frames = [mlpFrame(1, 3), mlpFrame(2, 5), mlpFrame(3, 12), mlpFrame(4, 1)]
    const answers = await Promise.all(frames.map((f) => batcher.score(f, Date.now() + 30_000)))
    for (let i = 0; i < frames.length; i++) {
      const alone = await model.score(frames[i]!)
      expect(answers[i]!.prediction.length).toBe(frames[i]!.rows * 3)
      answers[i]!.prediction.forEach((v, k) => expect(v).toBeCloseTo(alone.prediction[k]!, 6))
    }
    await batcher.close()
  })
})
