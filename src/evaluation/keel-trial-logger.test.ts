import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { Keel } from '../client/keel.js'
import { manualClock } from '../core/clock.js'
import { trialLoggerFor } from './keel-trial-logger.js'
import { gridSearch } from './search.js'
import { fitShrunkLine, toyRegressionFrame } from './toy-models.test-support.js'

describe('trialLoggerFor: each trial is a nested run', () => {
  let dir: ReturnType<typeof tempDir>
  let keel: Keel

  beforeEach(async () => {
    dir = tempDir('keel-eval-')
    keel = await Keel.open('sqlite::memory:', { artifactsRoot: join(dir.path, 'artifacts'), cwd: dir.path, user: 'ana', clock: manualClock(1_700_000_000_000) })
  })

  afterEach(async () => {
    await keel.close()
    dir.remove()
  })

  it('logs params, metrics and status under the parent run', async () => {
    await keel.setExperiment('search')
    const parent = await keel.startRun({ runName: 'search' })
    const frame = toyRegressionFrame(40)
    const fit = (train: typeof frame, target: string, params: Record<string, unknown>) => {
      if (params['shrink'] === 0) throw new Error('degenerate')
      return fitShrunkLine(train, target, Number(params['shrink']))
    }
    const result = await gridSearch(
      { shrink: [0, 0.5, 1] },
      { frame, target: 'y', fit, metric: 'rmse', evaluation: { method: 'cv', folds: 4 }, logger: trialLoggerFor(keel, parent) },
    )
    await parent.end()
    const page = await keel.tracking.searchRuns({
      experimentIds: [parent.experimentId],
      filter: `tags.mlflow.parentRunId = '${parent.id}'`,
      orderBy: ['params.shrink ASC'],
    })
    expect(page.items.map((r) => r.info.runName)).toEqual(['trial-0', 'trial-1', 'trial-2'])
    expect(page.items.map((r) => r.info.status)).toEqual(['FAILED', 'FINISHED', 'FINISHED'])
    const best = page.items[2]!
    expect(best.data.params).toContainEqual({ key: 'shrink', value: '1' })
    expect(best.data.tags).toContainEqual({ key: 'keel.search.trial', value: '2' })
    expect(best.data.metrics.find((m) => m.key === 'rmse')?.value).toBe(result.bestScore)
    expect(best.data.metrics.some((m) => m.key === 'rmse_std')).toBe(true)
    expect(page.items[0]!.data.metrics).toEqual([])
  })
})
