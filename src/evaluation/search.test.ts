import { describe, expect, it } from 'vitest'
import { choice, gridPoints, intRange, logUniform, samplePoints, uniform } from './search-space.js'
import { gridSearch, randomSearch, successiveHalving } from './search.js'
import type { TrialInfo, TrialLogger } from './trial-logger.js'
import { fitMidpointClassifier, fitShrunkLine, toyClassificationFrame, toyRegressionFrame } from './toy-models.test-support.js'

/** Records every trial call, in order. */
function memoryLogger() {
  const events: Array<{ info: TrialInfo; metrics?: Record<string, number>; status?: string }> = []
  const logger: TrialLogger = {
    startTrial(info) {
      const event: (typeof events)[number] = { info }
      events.push(event)
      return {
        logMetrics: (m) => {
          event.metrics = { ...m }
        },
        end: (status) => {
          event.status = status
        },
      }
    },
  }
  return { logger, events }
}

const regression = toyRegressionFrame(90)
const fitLine = (train: typeof regression, target: string, params: Record<string, unknown>) => fitShrunkLine(train, target, Number(params['shrink']))

describe('search spaces', () => {
  it('grids vary the last parameter fastest; intRange is inclusive', () => {
    expect(gridPoints({ a: [1, 2], b: intRange(0, 4, 2), c: 'fixed' })).toEqual([
      { a: 1, b: 0, c: 'fixed' },
      { a: 1, b: 2, c: 'fixed' },
      { a: 1, b: 4, c: 'fixed' },
      { a: 2, b: 0, c: 'fixed' },
      { a: 2, b: 2, c: 'fixed' },
      { a: 2, b: 4, c: 'fixed' },
    ])
    expect(() => gridPoints({ lr: uniform(0, 1) })).toThrowError(/finite list for 'lr'/)
  })

  it('random draws are seeded and stay inside their distributions', () => {
    const space = { lr: logUniform(1e-4, 1), frac: uniform(0.2, 0.4), depth: intRange(2, 8), kind: choice(['gini', 'entropy']) }
    const a = samplePoints(space, 200, 11)
    expect(samplePoints(space, 200, 11)).toEqual(a)
    expect(samplePoints(space, 200, 12)).not.toEqual(a)
    for (const p of a) {
      expect(p['lr']).toBeGreaterThanOrEqual(1e-4)
      expect(p['lr']).toBeLessThan(1)
      expect(p['frac']).toBeGreaterThanOrEqual(0.2)
      expect(p['frac']).toBeLessThan(0.4)
      expect(Number.isInteger(p['depth'])).toBe(true)
    }
    expect(new Set(a.map((p) => p['depth']))).toEqual(new Set([2, 3, 4, 5, 6, 7, 8]))
    // Log-uniform: about half the draws below the geometric middle 1e-2.
    const below = a.filter((p) => (p['lr'] as number) < 1e-2).length
    expect(below).toBeGreaterThan(70)
    expect(below).toBeLessThan(130)
  })
})

describe('gridSearch and randomSearch', () => {
  it('tries every grid point, logs each trial, and returns the best (lowest rmse)', async () => {
    const { logger, events } = memoryLogger()
    const result = await gridSearch({ shrink: [0.5, 0.9, 1, 1.2] }, { frame: regression, target: 'y', fit: fitLine, metric: 'rmse', logger })
    expect(result.trials.map((t) => t.params['shrink'])).toEqual([0.5, 0.9, 1, 1.2])
    expect(result.bestParams).toEqual({ shrink: 1 })
    expect(result.bestScore).toBe(Math.min(...result.trials.map((t) => t.score)))
    expect(events.map((e) => e.status)).toEqual(['FINISHED', 'FINISHED', 'FINISHED', 'FINISHED'])
    expect(events[2]!.metrics!['rmse']).toBe(result.bestScore)
    expect(events[2]!.metrics!['rmse_std']).toBeTypeOf('number')
  })

  it('a failing trial is logged FAILED and the search goes on; all failing throws the first error', async () => {
    const { logger, events } = memoryLogger()
    const fit = (train: typeof regression, target: string, params: Record<string, unknown>) => {
      if (params['shrink'] === 0) throw new Error('shrink 0 is degenerate')
      return fitShrunkLine(train, target, Number(params['shrink']))
    }
    const result = await gridSearch({ shrink: [0, 1] }, { frame: regression, target: 'y', fit, metric: 'r2', logger, evaluation: { method: 'holdout' } })
    expect(result.trials[0]).toMatchObject({ status: 'failed', error: 'shrink 0 is degenerate' })
    expect(result.bestParams).toEqual({ shrink: 1 })
    expect(events.map((e) => e.status)).toEqual(['FAILED', 'FINISHED'])
    await expect(gridSearch({ shrink: [0] }, { frame: regression, target: 'y', fit, metric: 'r2' })).rejects.toThrowError(/degenerate/)
    await expect(gridSearch({ shrink: [1] }, { frame: regression, target: 'y', fit, metric: 'auc' })).rejects.toThrowError(/search metric 'auc'/)
  })

  it('random search over a classifier maximises AUC by default and is reproducible', async () => {
    const frame = toyClassificationFrame(120)
    const options = {
      frame,
      target: 'label',
      fit: (train: typeof frame, target: string, params: Record<string, unknown>) => fitMidpointClassifier(train, target, Number(params['sharpness'])),
      metric: 'roc_auc',
      trials: 5,
      seed: 3,
      evaluation: { method: 'cv', folds: 3, stratified: true } as const,
    }
    const a = await randomSearch({ sharpness: logUniform(0.1, 10) }, options)
    const b = await randomSearch({ sharpness: logUniform(0.1, 10) }, options)
    expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params))
    expect(a.trials).toHaveLength(5)
    expect(a.bestScore).toBe(Math.max(...a.trials.map((t) => t.score)))
    const logLossSearch = await randomSearch({ sharpness: logUniform(0.1, 10) }, { ...options, metric: 'log_loss' })
    expect(logLossSearch.bestScore).toBe(Math.min(...logLossSearch.trials.map((t) => t.score)))
  })
})

describe('successiveHalving', () => {
  it('rows budget: 9 candidates, factor 3 → rounds of 9, 3 and 1 trials on growing nested subsets', async () => {
    const { logger, events } = memoryLogger()
    const trainRows: number[] = []
    const shrinks = [0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8]
    const result = await successiveHalving(
      { shrink: shrinks },
      {
        frame: regression,
        target: 'y',
        metric: 'rmse',
        resource: { kind: 'rows' },
        evaluation: { method: 'holdout', testFraction: 0.25 },
        logger,
        fit: (train, target, params) => {
          trainRows.push(train.rows)
          return fitShrunkLine(train, target, Number(params['shrink']))
        },
      },
    )
    expect(result.trials.map((t) => t.round)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 2])
    // max 90 rows, min = floor(90 / 3²) = 10: budgets 10, 30, 90.
    expect([...new Set(result.trials.map((t) => t.budget))]).toEqual([10, 30, 90])
    expect(trainRows[0]).toBe(10 - Math.ceil(0.25 * 10))
    expect(trainRows.at(-1)).toBe(90 - Math.ceil(0.25 * 90))
    // The kept candidates are the best third of each round.
    const round0 = result.trials.filter((t) => t.round === 0).sort((a, b) => a.score - b.score)
    const round1 = result.trials.filter((t) => t.round === 1)
    expect(round1.map((t) => t.params['shrink']).sort()).toEqual(round0.slice(0, 3).map((t) => t.params['shrink']).sort())
    expect(result.bestParams).toEqual({ shrink: 1 })
    expect(result.bestTrial.round).toBe(2)
    expect(events.map((e) => e.info.budget)).toEqual(result.trials.map((t) => t.budget))
  })

  it('iterations budget: the budget is passed as the named param, factor 2 keeps the top half', async () => {
    const seen: number[] = []
    const result = await successiveHalving(
      { shrink: [0.5, 1, 1.5, 2] },
      {
        frame: regression,
        target: 'y',
        metric: 'r2',
        factor: 2,
        resource: { kind: 'iterations', param: 'iterations', max: 40 },
        fit: (train, target, params) => {
          seen.push(Number(params['iterations']))
          return fitShrunkLine(train, target, Number(params['shrink']))
        },
      },
    )
    // 4 candidates, factor 2 → 3 rounds: budgets 10, 20, 40 with 4, 2, 1 candidates (5 folds each).
    expect(result.trials.map((t) => t.budget)).toEqual([10, 10, 10, 10, 20, 20, 40])
    expect(seen.length).toBe(7 * 5)
    expect(result.bestParams).toEqual({ shrink: 1, iterations: 40 })
  })

  it('needs a candidate count for continuous spaces', async () => {
    await expect(
      successiveHalving({ shrink: uniform(0, 2) }, { frame: regression, target: 'y', metric: 'r2', fit: fitLine, resource: { kind: 'rows' } }),
    ).rejects.toThrowError(/give 'candidates'/)
  })
})
