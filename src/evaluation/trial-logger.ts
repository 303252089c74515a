import type { ParamValue } from './search-space.js'

/** What a search tells its logger about one trial. */
export interface TrialInfo {
  index: number
  params: Readonly<Record<string, ParamValue>>
  /** Successive halving: the round and its budget (rows or iterations). */
  round?: number
  budget?: number
}

export interface TrialRun {
  logMetrics(metrics: Readonly<Record<string, number>>): void | Promise<void>
  end(status: 'FINISHED' | 'FAILED'): void | Promise<void>
}

/**
 * Where a search records its trials; kept this small so the search does not depend on the client
 * (`trialLoggerFor` adapts a Keel client, tests pass an in-memory one).
 */
export interface TrialLogger {
  startTrial(trial: TrialInfo): TrialRun | Promise<TrialRun>
}
