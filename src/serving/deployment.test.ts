import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { servingStore, xgbBinaryExpected } from '../../test/support/serving-fixture.js'
import type { ServingStore } from '../../test/support/serving-fixture.js'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import { isKeelError } from '../core/errors.js'
import { Frame, numericColumn } from '../core/frame.js'
import type { Logger } from '../core/logger.js'
import { loadScoringModel } from '../scoring/scoring-model.js'
import type { Scores, ScoringModel } from '../scoring/scoring-model.js'
import { MANIFEST_FILE, MODEL_DIR, readJsonArtifact } from '../training/trained-model.js'
import { batchingOptions, DEFAULT_BATCHING, openDeployment } from './deployment.js'
import type { DeploymentMetrics, DeploymentOptions, DeploymentSpec } from './deployment.js'
import { seededRandom } from './traffic-router.js'
import type { Deployment } from './types.js'

let store: ServingStore
let keel: Keel
const open: Deployment[] = []
const clock = manualClock()

beforeEach(async () => {
  store = await servingStore()
  keel = await Keel.open(store.storeUri, { user: 'test' })
})

afterEach(async () => {
  vi.useRealTimers()
  for (const d of open.splice(0)) await d.close()
  await keel.close()
  store.remove()
})

async function deploy(spec: Partial<DeploymentSpec> = {}, options: DeploymentOptions = {}): Promise<Deployment> {
  const d = await openDeployment(keel, { name: 'fraud', batching: 'off', ...spec }, { clock, pollMs: 0, ...options })
  open.push(d)
  return d
}

/** The fixture's rows as a frame (null = missing), and XGBoost's probabilities for them. */
function fixtureFrame(): { frame: Frame; probabilities: number[] } {
  const { features, inputs, probabilities } = xgbBinaryExpected()
  const frame = new Frame(features.map((name, j) => numericColumn(name, inputs.map((row) => row[j] ?? Number.NaN))))
  return { frame, probabilities }
}

function oneRow(): Frame {
  return fixtureFrame().frame.slice(0, 1)
}

const ctx = { deadline: Number.MAX_SAFE_INTEGER }

/** A gate that holds a scorer's calls until released. */
function holdScorer(scorer: ScoringModel): { release: () => void; calls: () => number } {
  const original = scorer.score.bind(scorer)
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let calls = 0
  scorer.score = async (frame: Frame): Promise<Scores> => {
    calls++
    await gate
    return original(frame)
  }
  return { release, calls: () => calls }
}

function recordingLogger(): Logger & { entries: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> } {
  const entries: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = []
  const at = (level: string) => (obj: object, msg?: string) => entries.push({ level, obj: obj as Record<string, unknown>, msg })
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

function recordingMetrics(): DeploymentMetrics & { loads: Array<[string, string, number]>; batches: number[] } {
  const loads: Array<[string, string, number]> = []
  const batches: number[] = []
  return {
    loads,
    batches,
    observeLoad: (m, v, s) => loads.push([m, v, s]),
    observeBatch: (_m, _v, rows) => batches.push(rows),
    setQueueDepth: () => undefined,
  }
}

/** Registers `fraud` v3 whose model file is corrupt JSON (the manifest is v1's, so only loading fails). */
async function registerBrokenVersion(): Promise<string> {
  const v1 = await keel.resolve('models:/fraud/1')
  const manifest = await readJsonArtifact(keel.artifacts, v1.source, MANIFEST_FILE)
  const run = await keel.startRun({ experiment: 'broken' })
  await run.logArtifact({ name: 'model.json', content: '{"learner": {"gradient_booster": ' }, MODEL_DIR)
  await run.logArtifact({ name: MANIFEST_FILE, content: JSON.stringify(manifest) }, MODEL_DIR)
  await run.end()
  const version = await keel.registerModel({ name: 'fraud', runId: run.id, artifactPath: MODEL_DIR, lineage: { signature: v1.lineage.signature! } })
  return version.version
}

describe('openDeployment', () => {
  it("loads the champion by alias, warmed up, and answers with XGBoost's probabilities to 1e-6", async () => {
    const metrics = recordingMetrics()
    const d = await deploy({}, { metrics })
    expect(d.ready()).toBe(true)
    const champion = d.champion()
    expect([champion.model, champion.version, champion.alias]).toEqual(['fraud', '1', 'champion'])
    expect(champion.inputs.map((c) => c.name)).toEqual(xgbBinaryExpected().features)
    expect(champion.outputs.map((c) => c.name)).toEqual(['probability_0', 'probability_1'])
    expect(champion.loadMs).toBeGreaterThan(0)
    expect(champion.loadedAt).toBe(clock.now())
    expect(metrics.loads).toEqual([['fraud', '1', champion.loadMs / 1000]])
    expect(d.versions()).toEqual([champion])

    const { frame, probabilities } = fixtureFrame()
    const answer = await d.predict(frame, ctx)
    expect(answer.arm).toBe('champion')
    expect(answer.served).toBe(champion)
    expect(answer.shadow).toBeUndefined()
    const proba = answer.scores.proba!
    expect(proba.length).toBe(2 * frame.rows)
    for (let i = 0; i < frame.rows; i++) expect(Math.abs(proba[2 * i + 1]! - probabilities[i]!)).toBeLessThan(1e-6)
  })

  it('pins a version by number (no alias) and fails to open when the champion cannot be resolved', async () => {
    const d = await deploy({ champion: '2' })
    expect([d.champion().version, d.champion().alias]).toEqual(['2', undefined])
    const error = await openDeployment(keel, { name: 'fraud', champion: 'nope' }, { pollMs: 0 }).catch((e: unknown) => e)
    expect(isKeelError(error) && error.status).toBe(400)
    expect((error as Error).message).toMatch(/nope/)
    const missing = await openDeployment(keel, { name: 'no-such-model' }, { pollMs: 0 }).catch((e: unknown) => e)
    expect(isKeelError(missing) && missing.code).toBe('RESOURCE_DOES_NOT_EXIST')
  })

  it('rejects an invalid policy or poll interval before loading anything', async () => {
    await expect(openDeployment(keel, { name: 'fraud', policy: { kind: 'canary', challengerWeight: 2 } })).rejects.toThrow(/challengerWeight/)
    await expect(openDeployment(keel, { name: 'fraud' }, { pollMs: -1 })).rejects.toThrow(/pollMs/)
  })
})

describe('hot swap', () => {
  it('swaps in the moved version on refresh; the old one finishes its in-flight request, then is closed', async () => {
    const d = await deploy()
    const old = d.champion()
    const held = holdScorer(old.scorer)
    const closeOld = vi.spyOn(old.scorer, 'close')

    const inFlight = d.predict(oneRow(), ctx)
    expect(held.calls()).toBe(1)
    await keel.setAlias('fraud', 'champion', 2)
    await d.refresh()

    expect(d.champion().version).toBe('2')
    expect(d.versions().map((v) => v.version)).toEqual(['2'])
    // The swap happened while v1 still had a request: it must stay open.
    expect(closeOld).not.toHaveBeenCalled()
    const fresh = await d.predict(oneRow(), ctx)
    expect(fresh.served.version).toBe('2')

    held.release()
    const answered = await inFlight
    expect(answered.served.version).toBe('1')
    expect(answered.scores.proba![1]).toBeCloseTo(fresh.scores.proba![1]!, 12)
    await vi.waitFor(() => expect(closeOld).toHaveBeenCalledTimes(1))
  })

  it('closes an idle old version at once, and rolls back by moving the alias back', async () => {
    const d = await deploy()
    const v1 = d.champion()
    const closeV1 = vi.spyOn(v1.scorer, 'close')
    await keel.setAlias('fraud', 'champion', 2)
    await d.refresh()
    const v2 = d.champion()
    expect(v2.version).toBe('2')
    await vi.waitFor(() => expect(closeV1).toHaveBeenCalledTimes(1))

    const closeV2 = vi.spyOn(v2.scorer, 'close')
    await keel.setAlias('fraud', 'champion', 1)
    await d.refresh()
    expect(d.champion().version).toBe('1')
    expect(d.champion()).not.toBe(v1) // a fresh load, not the closed scorer
    expect((await d.predict(oneRow(), ctx)).served.version).toBe('1')
    await vi.waitFor(() => expect(closeV2).toHaveBeenCalledTimes(1))
  })

  it('does nothing when the alias did not move', async () => {
    const d = await deploy()
    const before = d.champion()
    await d.refresh()
    expect(d.champion()).toBe(before)
  })

  it('keeps the old version serving when the new one fails to load, logs it once, and recovers on the next move', async () => {
    const logger = recordingLogger()
    const d = await deploy({}, { logger })
    const broken = await registerBrokenVersion()
    await keel.setAlias('fraud', 'champion', broken)
    await d.refresh()
    expect(d.champion().version).toBe('1')
    expect(d.ready()).toBe(true)
    expect((await d.predict(oneRow(), ctx)).served.version).toBe('1')
    const errors = logger.entries.filter((e) => e.level === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.obj['version']).toBe(broken)
    expect(errors[0]!.obj['serving']).toBe('1')

    await d.refresh()
    expect(logger.entries.filter((e) => e.level === 'error')).toHaveLength(1)
    expect(logger.entries.filter((e) => e.level === 'debug' && e.obj['version'] === broken)).toHaveLength(1)

    await keel.setAlias('fraud', 'champion', 2)
    await d.refresh()
    expect(d.champion().version).toBe('2')
  })

  it('keeps serving when the alias cannot be read (champion alias deleted)', async () => {
    const logger = recordingLogger()
    const d = await deploy({}, { logger })
    await keel.registry.deleteAlias('fraud', 'champion', 'test')
    await d.refresh()
    expect(d.champion().version).toBe('1')
    expect(logger.entries.some((e) => e.level === 'warn' && e.obj['arm'] === 'champion')).toBe(true)
  })

  it('never overlaps refreshes: concurrent calls share one queued run after the current one', async () => {
    const d = await deploy()
    const resolve = keel.resolve.bind(keel)
    let running = 0
    let most = 0
    let calls = 0
    keel.resolve = async (uri: string) => {
      calls++
      running++
      most = Math.max(most, running)
      try {
        return await resolve(uri)
      } finally {
        running--
      }
    }
    await Promise.all([d.refresh(), d.refresh(), d.refresh(), d.refresh()])
    expect(most).toBe(1)
    expect(calls).toBe(2)
  })

  it('polls the aliases every pollMs with a timer that close() stops', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const d = await deploy({}, { pollMs: 5000 })
    expect(vi.getTimerCount()).toBe(1)
    await keel.setAlias('fraud', 'champion', 2)
    await vi.advanceTimersByTimeAsync(4999)
    expect(d.champion().version).toBe('1')
    await vi.advanceTimersByTimeAsync(1)
    await vi.waitFor(() => expect(d.champion().version).toBe('2'))
    // The next poll is armed only after the refresh finished.
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(1))
    await d.close()
    expect(vi.getTimerCount()).toBe(0)
    expect(d.ready()).toBe(false)
  })

  it('rejects predictions with 503 after close and closes every loaded scorer', async () => {
    const d = await deploy({ challenger: 'challenger' })
    const closes = d.versions().map((v) => vi.spyOn(v.scorer, 'close'))
    expect(closes).toHaveLength(2)
    await d.close()
    for (const c of closes) expect(c).toHaveBeenCalledTimes(1)
    const error = await d.predict(oneRow(), ctx).catch((e: unknown) => e)
    expect(isKeelError(error) && error.status).toBe(503)
  })
})

describe('challenger and traffic policies', () => {
  it('loads the challenger beside the champion and routes canary traffic by weight (seeded)', async () => {
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'canary', challengerWeight: 0.2 } }, { random: seededRandom(123) })
    expect(d.versions().map((v) => [v.version, v.alias])).toEqual([
      ['1', 'champion'],
      ['2', 'challenger'],
    ])
    const row = oneRow()
    let challenger = 0
    const n = 2000
    for (let i = 0; i < n; i++) {
      const answer = await d.predict(row, ctx)
      expect(answer.served.version).toBe(answer.arm === 'challenger' ? '2' : '1')
      if (answer.arm === 'challenger') challenger++
    }
    expect(Math.abs(challenger / n - 0.2)).toBeLessThan(0.04)

    d.setPolicy({ kind: 'single' })
    expect(d.policy()).toEqual({ kind: 'single' })
    for (let i = 0; i < 50; i++) expect((await d.predict(row, ctx)).arm).toBe('champion')
    expect(() => d.setPolicy({ kind: 'ab', challengerWeight: -1 })).toThrow(/challengerWeight/)
    expect(d.policy()).toEqual({ kind: 'single' })
  })

  it('routes sticky A/B by route key: the same key gets the same version every time', async () => {
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'ab', challengerWeight: 0.5 } })
    const row = oneRow()
    const seen = new Map<string, string>()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 40; i++) {
        const key = `customer-${i}`
        const version = (await d.predict(row, { ...ctx, routeKey: key })).served.version
        if (round === 0) seen.set(key, version)
        else expect(version).toBe(seen.get(key))
      }
    }
    expect(new Set(seen.values())).toEqual(new Set(['1', '2']))
  })

  it('unloads the challenger when its alias is deleted; all traffic then goes to the champion', async () => {
    const logger = recordingLogger()
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'canary', challengerWeight: 1 } }, { logger })
    expect((await d.predict(oneRow(), ctx)).served.version).toBe('2')
    const closeChallenger = vi.spyOn(d.versions()[1]!.scorer, 'close')
    await keel.registry.deleteAlias('fraud', 'challenger', 'test')
    await d.refresh()
    expect(d.versions().map((v) => v.version)).toEqual(['1'])
    await vi.waitFor(() => expect(closeChallenger).toHaveBeenCalledTimes(1))
    const answer = await d.predict(oneRow(), ctx)
    expect([answer.arm, answer.served.version]).toEqual(['champion', '1'])

    // Setting the alias again brings a challenger back on the next refresh.
    await keel.setAlias('fraud', 'challenger', 1)
    await d.refresh()
    expect(d.versions().map((v) => v.alias)).toEqual(['champion', 'challenger'])
  })

  it('opens without a challenger that cannot load, and logs why', async () => {
    const logger = recordingLogger()
    await keel.setAlias('fraud', 'challenger', await registerBrokenVersion())
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'canary', challengerWeight: 1 } }, { logger })
    expect(d.versions().map((v) => v.version)).toEqual(['1'])
    expect((await d.predict(oneRow(), ctx)).arm).toBe('champion')
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual(['loading the challenger failed; it is not served'])
  })

  it('shadow: the champion answers, the challenger scores a copy off the response path', async () => {
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'shadow' } })
    const [champion, challenger] = d.versions()
    const held = holdScorer(challenger!.scorer)
    const { frame, probabilities } = fixtureFrame()

    // The challenger is held, yet the answer arrives: the shadow never delays the response.
    const answer = await d.predict(frame, ctx)
    expect(answer.arm).toBe('champion')
    expect(answer.served).toBe(champion)
    expect(answer.shadow).toBeDefined()
    let shadowDone = false
    void answer.shadow!.then(() => (shadowDone = true))
    await new Promise((r) => setImmediate(r))
    expect(held.calls()).toBe(1)
    expect(shadowDone).toBe(false)

    held.release()
    const shadow = await answer.shadow!
    expect(shadow?.served).toBe(challenger)
    for (let i = 0; i < frame.rows; i++) expect(Math.abs(shadow!.scores.proba![2 * i + 1]! - probabilities[i]!)).toBeLessThan(1e-6)
  })

  it('shadow: a failing challenger never fails the response; the error is logged and the shadow resolves undefined', async () => {
    const logger = recordingLogger()
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'shadow' } }, { logger })
    d.versions()[1]!.scorer.score = () => Promise.reject(new Error('challenger exploded'))
    const answer = await d.predict(oneRow(), ctx)
    expect(answer.served.version).toBe('1')
    expect(await answer.shadow).toBeUndefined()
    expect(logger.entries.some((e) => e.level === 'warn' && e.msg === 'shadow scoring failed')).toBe(true)
  })

  it('shadows only `fraction` of requests', async () => {
    const d = await deploy({ challenger: 'challenger', policy: { kind: 'shadow', fraction: 0.25 } }, { random: seededRandom(5) })
    let shadowed = 0
    for (let i = 0; i < 400; i++) {
      const answer = await d.predict(oneRow(), ctx)
      if (answer.shadow !== undefined) {
        shadowed++
        await answer.shadow
      }
    }
    expect(shadowed).toBeGreaterThan(60)
    expect(shadowed).toBeLessThan(140)
  })
})

describe('batching', () => {
  it("resolves the setting: 'auto' batches ONNX only; options turn it on with defaults filled in", () => {
    expect(batchingOptions('auto', 'onnx')).toEqual(DEFAULT_BATCHING)
    expect(batchingOptions(undefined, 'onnx')).toEqual(DEFAULT_BATCHING)
    expect(batchingOptions('auto', 'xgboost')).toBeUndefined()
    expect(batchingOptions('off', 'onnx')).toBeUndefined()
    expect(batchingOptions({ maxBatchRows: 8 }, 'xgboost')).toEqual({ ...DEFAULT_BATCHING, maxBatchRows: 8 })
  })

  it('coalesces concurrent requests to an ONNX model into batches with the same answers', async () => {
    // The imported MLP's [batch, 8] input is named as columns f0..f7 (keel models import --columns).
    const probe = await loadScoringModel(keel, 'models:/mlp@champion')
    expect(probe.inputs).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7'])
    await probe.close()
    const metrics = recordingMetrics()
    const d = await deploy({ name: 'mlp', batching: 'auto' }, { metrics, clock: { now: () => Date.now() } })
    const rows = 32
    const frames = Array.from({ length: rows }, (_, i) => new Frame(Array.from({ length: 8 }, (_, j) => numericColumn(`f${j}`, [((i + 1) * (j + 2)) / 50]))))
    const direct = await Promise.all(frames.map((f) => d.champion().scorer.score(f)))
    const answers = await Promise.all(frames.map((f) => d.predict(f, { deadline: Date.now() + 10_000 })))
    expect(metrics.batches.length).toBeGreaterThan(0)
    expect(metrics.batches.length).toBeLessThan(rows)
    expect(metrics.batches.reduce((a, b) => a + b, 0)).toBe(rows)
    for (let i = 0; i < rows; i++) {
      const got = answers[i]!.scores.prediction
      const want = direct[i]!.prediction
      expect(got.length).toBe(want.length)
      for (let k = 0; k < want.length; k++) expect(got[k]).toBeCloseTo(want[k]!, 6)
    }
  })

  it('scores XGBoost directly under auto, and through the batcher when options are given', async () => {
    const metrics = recordingMetrics()
    const direct = await deploy({ batching: 'auto' }, { metrics })
    await direct.predict(oneRow(), ctx)
    expect(metrics.batches).toEqual([])
    const batched = await deploy({ batching: { maxBatchRows: 4, maxWaitMs: 0 } }, { metrics, clock: { now: () => Date.now() } })
    const answers = await Promise.all(Array.from({ length: 8 }, () => batched.predict(oneRow(), { deadline: Date.now() + 10_000 })))
    expect(metrics.batches.reduce((a, b) => a + b, 0)).toBe(8)
    expect(Math.max(...metrics.batches)).toBeLessThanOrEqual(4)
    for (const a of answers) expect(a.scores.proba![1]).toBeCloseTo(answers[0]!.scores.proba![1]!, 12)
  })
})
