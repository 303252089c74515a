import { aborted, invalidParameter, isKeelError, KeelError } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import type { Predictor } from '../models/predictor.js'
import { crossValidate, evaluatePredictor, stratificationLabels } from './cross-validate.js'
import { greaterIsBetter as defaultDirection } from './evaluate.js'
import { createRandom } from '../core/random.js'
import { gridPoints, isEnumerable, samplePoints } from './search-space.js'
import type { Params, SearchSpace } from './search-space.js'
import { holdout } from './splitters.js'
import type { TrialLogger } from './trial-logger.js'

export type SearchFitFn = (
  train: Frame,
  target: string,
  params: Params,
  context: { seed: number; signal?: AbortSignal },
) => Promise<Predictor> | Predictor

export type TrialEvaluation =
  | { method: 'cv'; folds?: number; stratified?: boolean; shuffle?: boolean; seed?: number }
  | { method: 'holdout'; testFraction?: number; stratified?: boolean; seed?: number }

export interface SearchOptions {
  frame: Frame
  target: string
  fit: SearchFitFn
  /** The metric to optimise, a name from evaluateClassifier/evaluateRegressor (e.g. 'roc_auc', 'rmse'). */
  metric: string
  /** Default: false for losses and errors, true otherwise. */
  greaterIsBetter?: boolean
  /** Default: 5-fold cross-validation. */
  evaluation?: TrialEvaluation
  /** Each trial becomes a nested run when given. */
  logger?: TrialLogger
  seed?: number
  signal?: AbortSignal
}

export interface Trial {
  index: number
  params: Params
  /** The optimised metric; NaN when the trial failed. */
  score: number
  /** Holdout metrics, or cross-validation means plus `<name>_std`. */
  metrics: Record<string, number>
  status: 'finished' | 'failed'
  error?: string
  round?: number
  budget?: number
}

export interface SearchResult {
  bestParams: Params
  bestScore: number
  bestTrial: Trial
  trials: Trial[]
}

interface Candidate {
  params: Params
  round?: number
  budget?: number
  frame?: Frame
}

class TrialRunner {
  readonly trials: Trial[] = []
  private firstError: unknown
  constructor(private readonly options: SearchOptions) {}

  get greater(): boolean {
    return this.options.greaterIsBetter ?? defaultDirection(this.options.metric)
  }

  async run(candidate: Candidate): Promise<Trial> {
    const { options } = this
    if (isAborted(options.signal)) throw aborted('The search was aborted; no best trial was chosen.')
    const index = this.trials.length
    const info: Parameters<TrialLogger['startTrial']>[0] = { index, params: candidate.params }
    if (candidate.round !== undefined) info.round = candidate.round
    if (candidate.budget !== undefined) info.budget = candidate.budget
    const logged = options.logger === undefined ? undefined : await options.logger.startTrial(info)
    const trial: Trial = { index, params: candidate.params, score: Number.NaN, metrics: {}, status: 'finished' }
    if (candidate.round !== undefined) trial.round = candidate.round
    if (candidate.budget !== undefined) trial.budget = candidate.budget
    try {
      trial.metrics = await this.evaluate(candidate.frame ?? options.frame, candidate.params)
      const score = trial.metrics[options.metric]
      if (score === undefined) {
        throw invalidParameter(`The search metric '${options.metric}' is not among the trial's metrics (${Object.keys(trial.metrics).join(', ')}).`)
      }
      trial.score = score
      await logged?.logMetrics(trial.metrics)
      await logged?.end('FINISHED')
    } catch (error) {
      await logged?.end('FAILED')
      // An unknown metric or an abort is the caller's to see at once; a model that fails on some params is not.
      if (isAborted(options.signal) || (isKeelError(error) && /search metric/.test(error.message))) throw error
      this.firstError ??= error
      trial.status = 'failed'
      trial.error = error instanceof Error ? error.message : String(error)
    }
    this.trials.push(trial)
    return trial
  }

  private async evaluate(frame: Frame, params: Params): Promise<Record<string, number>> {
    const { options } = this
    const seed = options.seed ?? 0
    const evaluation = options.evaluation ?? { method: 'cv' }
    const context = (s: number): { seed: number; signal?: AbortSignal } =>
      options.signal === undefined ? { seed: s } : { seed: s, signal: options.signal }
    if (evaluation.method === 'holdout') {
      const split = holdout(frame.rows, {
        testFraction: evaluation.testFraction ?? 0.2,
        seed: evaluation.seed ?? seed,
        ...(evaluation.stratified === true ? { stratify: stratificationLabels(frame, options.target) } : {}),
      })
      const predictor = await options.fit(frame.take(split.train), options.target, params, context(seed))
      return evaluatePredictor(predictor, frame.take(split.test), options.target)
    }
    const cvOptions: Parameters<typeof crossValidate>[3] = {
      folds: evaluation.folds ?? 5,
      stratified: evaluation.stratified ?? false,
      shuffle: evaluation.shuffle ?? false,
      seed: evaluation.seed ?? seed,
    }
    if (options.signal !== undefined) cvOptions.signal = options.signal
    const cv = await crossValidate(frame, options.target, (train, target, c) => options.fit(train, target, params, context(c.seed)), cvOptions)
    const metrics: Record<string, number> = { ...cv.mean }
    for (const [name, value] of Object.entries(cv.std)) metrics[`${name}_std`] = value
    return metrics
  }

  /** Best finished trial among `pool` (first on ties); throws the first failure when none finished. */
  best(pool: readonly Trial[] = this.trials): Trial {
    let best: Trial | undefined
    for (const t of pool) {
      if (t.status !== 'finished' || Number.isNaN(t.score)) continue
      if (best === undefined || (this.greater ? t.score > best.score : t.score < best.score)) best = t
    }
    if (best === undefined) {
      if (this.firstError !== undefined) throw this.firstError
      throw invalidParameter(`No trial produced a value for '${this.options.metric}'.`)
    }
    return best
  }

  result(pool?: readonly Trial[]): SearchResult {
    const bestTrial = this.best(pool)
    return { bestParams: bestTrial.params, bestScore: bestTrial.score, bestTrial, trials: this.trials }
  }
}

/** Tries every combination of the space (choice / intRange / arrays only). */
export async function gridSearch(space: SearchSpace, options: SearchOptions): Promise<SearchResult> {
  const points = gridPoints(space)
  const runner = new TrialRunner(options)
  for (const params of points) await runner.run({ params })
  return runner.result()
}

/** `trials` seeded draws from the space. */
export async function randomSearch(space: SearchSpace, options: SearchOptions & { trials: number }): Promise<SearchResult> {
  const points = samplePoints(space, options.trials, options.seed ?? 0)
  const runner = new TrialRunner(options)
  for (const params of points) await runner.run({ params })
  return runner.result()
}

export type HalvingResource =
  /** Train on the first `budget` rows of one seeded shuffle of the frame (nested subsets across rounds). */
  | { kind: 'rows'; min?: number; max?: number }
  /** Pass the budget as the param `param` (e.g. iterations or trees). */
  | { kind: 'iterations'; param: string; max: number; min?: number }

export interface HalvingOptions extends SearchOptions {
  resource: HalvingResource
  /** Keep the top 1/factor of candidates each round, and multiply the budget by factor (default 3). */
  factor?: number
  /** Candidates to sample when the space is not a finite grid (or to sample from a grid). */
  candidates?: number
}

/**
 * Successive halving as scikit-learn's HalvingGridSearchCV: rounds = 1 + floor(log_factor(candidates))
 * (fewer when the budget range is too narrow), budget min × factor^round capped at max, and after each
 * round the best ceil(n / factor) candidates go on. The minimum budget defaults to max / factor^(rounds-1)
 * so the last round uses (about) the whole budget. The best trial of the last round wins.
 */
export async function successiveHalving(space: SearchSpace, options: HalvingOptions): Promise<SearchResult> {
  const factor = options.factor ?? 3
  if (options.candidates === undefined && !isEnumerable(space)) {
    throw invalidParameter("The space has continuous distributions; give 'candidates', the number of points to sample.")
  }
  if (!(Number.isInteger(factor) && factor >= 2)) throw invalidParameter(`'factor' must be an integer of at least 2; got ${factor}.`)
  let candidates: Params[] =
    options.candidates === undefined ? gridPoints(space) : samplePoints(space, options.candidates, options.seed ?? 0)
  const { resource } = options
  const max = resource.kind === 'rows' ? (resource.max ?? options.frame.rows) : resource.max
  if (!(Number.isInteger(max) && max >= 1)) throw invalidParameter(`The resource's 'max' must be a positive integer; got ${max}.`)
  if (resource.kind === 'rows' && max > options.frame.rows) {
    throw invalidParameter(`The resource's 'max' is ${max} rows but the frame has ${options.frame.rows}.`)
  }
  let required = 1
  for (let p = factor; p <= candidates.length; p *= factor) required++
  const min = resource.min ?? Math.max(1, Math.floor(max / factor ** (required - 1)))
  if (!(Number.isInteger(min) && min >= 1 && min <= max)) throw invalidParameter(`The resource's 'min' must be an integer in [1, ${max}]; got ${min}.`)
  let possible = 1
  for (let p = factor; p <= Math.floor(max / min); p *= factor) possible++
  const rounds = Math.min(required, possible)

  const order = resource.kind === 'rows' ? createRandom(options.seed ?? 0).permutation(options.frame.rows) : undefined
  const runner = new TrialRunner(options)
  let last: Trial[] = []
  for (let round = 0; round < rounds; round++) {
    const budget = Math.min(min * factor ** round, max)
    const frame = order === undefined ? undefined : options.frame.take(order.subarray(0, budget))
    last = []
    for (const params of candidates) {
      const candidate: Candidate = { round, budget, params: resource.kind === 'iterations' ? { ...params, [resource.param]: budget } : params }
      if (frame !== undefined) candidate.frame = frame
      last.push(await runner.run(candidate))
    }
    if (round === rounds - 1) break
    const keep = Math.ceil(candidates.length / factor)
    const ranked = last
      .map((t, i) => ({ t, i }))
      .sort((a, b) => compare(a.t, b.t, runner.greater) || a.i - b.i)
      .slice(0, keep)
      .sort((a, b) => a.i - b.i)
    candidates = ranked.map(({ i }) => candidates[i]!)
  }
  // For an iterations budget, bestParams includes the budget param the winning trial trained with.
  return runner.result(last)
}

/** Better trials first; failed (NaN) trials last. */
function compare(a: Trial, b: Trial, greater: boolean): number {
  const an = Number.isNaN(a.score)
  const bn = Number.isNaN(b.score)
  if (an || bn) return an === bn ? 0 : an ? 1 : -1
  return greater ? b.score - a.score : a.score - b.score
}

// A function, so TypeScript does not narrow `aborted` across the awaits in between.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}
