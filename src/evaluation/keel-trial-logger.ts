import type { ActiveRun } from '../client/active-run.js'
import type { Keel } from '../client/keel.js'
import type { TrialInfo, TrialLogger, TrialRun } from './trial-logger.js'

export interface KeelTrialLoggerOptions {
  /** Run names are `<prefix>-<index>` (default `trial`). */
  runNamePrefix?: string
}

/** Logs each trial as a nested run of `parentRun`: params, tags for the round and budget, then metrics. */
export function trialLoggerFor(
  keel: Pick<Keel, 'startRun'>,
  parentRun: Pick<ActiveRun, 'id' | 'experimentId'>,
  options: KeelTrialLoggerOptions = {},
): TrialLogger {
  const prefix = options.runNamePrefix ?? 'trial'
  return {
    async startTrial(trial: TrialInfo): Promise<TrialRun> {
      const tags: Record<string, string> = { 'keel.search.trial': String(trial.index) }
      if (trial.round !== undefined) tags['keel.search.round'] = String(trial.round)
      if (trial.budget !== undefined) tags['keel.search.budget'] = String(trial.budget)
      const suffix = trial.round === undefined ? '' : `-r${trial.round}`
      const run = await keel.startRun({
        experimentId: parentRun.experimentId,
        parentRunId: parentRun.id,
        runName: `${prefix}-${trial.index}${suffix}`,
        tags,
      })
      try {
        await run.logParams(trial.params)
      } catch (error) {
        await run.end('FAILED')
        throw error
      }
      return {
        logMetrics: (metrics) => run.logMetrics(metrics),
        end: async (status) => {
          await run.end(status)
        },
      }
    },
  }
}
