import type { ActiveRun } from '../client/active-run.js'
import type { Keel } from '../client/keel.js'
import type { Frame } from '../core/frame.js'
import { trialLoggerFor } from '../evaluation/keel-trial-logger.js'
import { gridSearch, randomSearch, successiveHalving, type SearchOptions, type SearchResult } from '../evaluation/search.js'
import type { Params, SearchSpace } from '../evaluation/search-space.js'
import type { Predictor } from '../models/predictor.js'
import type { TrainingSpec } from './spec.js'

export interface SearchSummary {
  bestParams: Params
  bestScore: number
  metric: string
  trials: number
}

interface SearchContext {
  keel: Keel
  run: ActiveRun
  frame: Frame
  target: string
  seed: number
  stratified: boolean
  signal?: AbortSignal
  fit: (train: Frame, params: Params, seed: number) => Promise<Predictor>
}

/** Runs the spec's search on the training split; every trial is a nested run of `run`. */
export async function runSearch(search: NonNullable<TrainingSpec['search']>, context: SearchContext): Promise<SearchSummary> {
  const options: SearchOptions = {
    frame: context.frame,
    target: context.target,
    metric: search.metric,
    fit: (train, _target, params, ctx) => context.fit(train, params, ctx.seed),
    evaluation: { method: 'cv', folds: search.folds, stratified: context.stratified, shuffle: true, seed: context.seed },
    logger: trialLoggerFor(context.keel, context.run),
    seed: context.seed,
  }
  if (search.greaterIsBetter !== undefined) options.greaterIsBetter = search.greaterIsBetter
  if (context.signal !== undefined) options.signal = context.signal
  const space = search.space as SearchSpace
  let result: SearchResult
  if (search.method === 'grid') result = await gridSearch(space, options)
  else if (search.method === 'random') result = await randomSearch(space, { ...options, trials: search.trials ?? 10 })
  else {
    const resource =
      search.resource === 'rows'
        ? { kind: 'rows' as const, ...(search.maxResource === undefined ? {} : { max: search.maxResource }) }
        : { kind: 'iterations' as const, param: search.resource, max: search.maxResource ?? 100 }
    result = await successiveHalving(space, {
      ...options,
      resource,
      factor: search.factor,
      ...(search.trials === undefined ? {} : { candidates: search.trials }),
    })
  }
  context.run.logMetrics({ [`search_best_${search.metric}`]: result.bestScore })
  await context.run.setTags({ 'keel.search.method': search.method, 'keel.search.best_params': JSON.stringify(result.bestParams) })
  return { bestParams: result.bestParams, bestScore: result.bestScore, metric: search.metric, trials: result.trials.length }
}
