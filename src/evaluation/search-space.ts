import { invalidParameter } from '../core/errors.js'
import { createRandom } from '../core/random.js'
import type { Random } from '../core/random.js'

export type ParamValue = string | number | boolean
export type Params = Record<string, ParamValue>

export type Distribution =
  | { readonly kind: 'choice'; readonly values: readonly ParamValue[] }
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'logUniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'intRange'; readonly low: number; readonly high: number; readonly step: number }

/** A plain array means `choice(array)`; a plain value is fixed. */
export type SearchSpace = Readonly<Record<string, Distribution | readonly ParamValue[] | ParamValue>>

export function choice(values: readonly ParamValue[]): Distribution {
  if (values.length === 0) throw invalidParameter('choice() needs at least one value.')
  return { kind: 'choice', values: [...values] }
}

/** Uniform on [low, high). */
export function uniform(low: number, high: number): Distribution {
  if (!(Number.isFinite(low) && Number.isFinite(high) && low < high)) throw invalidParameter(`uniform(${low}, ${high}) needs finite low < high.`)
  return { kind: 'uniform', low, high }
}

/** Log-uniform on [low, high): uniform in log space, for rates and regularisation strengths. */
export function logUniform(low: number, high: number): Distribution {
  if (!(low > 0 && Number.isFinite(high) && low < high)) throw invalidParameter(`logUniform(${low}, ${high}) needs 0 < low < high.`)
  return { kind: 'logUniform', low, high }
}

/** Integers low, low + step, ... up to and including high. */
export function intRange(low: number, high: number, step = 1): Distribution {
  if (!(Number.isInteger(low) && Number.isInteger(high) && Number.isInteger(step) && step > 0 && low <= high)) {
    throw invalidParameter(`intRange(${low}, ${high}, ${step}) needs integers with low <= high and step > 0.`)
  }
  return { kind: 'intRange', low, high, step }
}

function normalise(name: string, entry: SearchSpace[string]): Distribution {
  if (Array.isArray(entry)) return choice(entry as readonly ParamValue[])
  if (typeof entry === 'object' && entry !== null && 'kind' in entry) return entry as Distribution
  if (typeof entry === 'string' || typeof entry === 'number' || typeof entry === 'boolean') return choice([entry])
  throw invalidParameter(`Search space entry '${name}' must be a value, an array of values, or choice/uniform/logUniform/intRange.`)
}

function entries(space: SearchSpace): Array<[string, Distribution]> {
  const list = Object.entries(space).map(([name, entry]): [string, Distribution] => [name, normalise(name, entry)])
  if (list.length === 0) throw invalidParameter('The search space is empty; give at least one parameter.')
  return list
}

function finiteValues(d: Distribution): readonly ParamValue[] | undefined {
  if (d.kind === 'choice') return d.values
  if (d.kind === 'intRange') {
    const out: number[] = []
    for (let v = d.low; v <= d.high; v += d.step) out.push(v)
    return out
  }
  return undefined
}

/** Whether every parameter has finitely many values (so a grid exists). */
export function isEnumerable(space: SearchSpace): boolean {
  return entries(space).every(([, d]) => finiteValues(d) !== undefined)
}

const MAX_GRID = 100_000

/** Every combination, the last parameter varying fastest (as scikit-learn's ParameterGrid). */
export function gridPoints(space: SearchSpace): Params[] {
  const axes = entries(space).map(([name, d]) => {
    const values = finiteValues(d)
    if (values === undefined) {
      throw invalidParameter(`Grid search needs a finite list for '${name}' (${d.kind}); use choice([...]) or intRange, or use randomSearch.`)
    }
    return { name, values }
  })
  const total = axes.reduce((n, a) => n * a.values.length, 1)
  if (total > MAX_GRID) throw invalidParameter(`The grid has ${total} points (more than ${MAX_GRID}); narrow it or use randomSearch.`)
  const points: Params[] = []
  for (let i = 0; i < total; i++) {
    const params: Params = {}
    let rest = i
    for (let a = axes.length - 1; a >= 0; a--) {
      const axis = axes[a]!
      params[axis.name] = axis.values[rest % axis.values.length]!
      rest = Math.floor(rest / axis.values.length)
    }
    // Keep the space's key order in each params object.
    points.push(Object.fromEntries(axes.map((a) => [a.name, params[a.name]!])))
  }
  return points
}

function sample(d: Distribution, random: Random): ParamValue {
  switch (d.kind) {
    case 'choice':
      return d.values[random.int(d.values.length)]!
    case 'uniform':
      return d.low + random.next() * (d.high - d.low)
    case 'logUniform':
      return Math.exp(Math.log(d.low) + random.next() * (Math.log(d.high) - Math.log(d.low)))
    case 'intRange':
      return d.low + d.step * random.int(Math.floor((d.high - d.low) / d.step) + 1)
  }
}

/** `count` seeded draws, parameters drawn in the space's key order. */
export function samplePoints(space: SearchSpace, count: number, seed = 0): Params[] {
  if (!Number.isInteger(count) || count < 1) throw invalidParameter(`The number of trials must be a positive integer; got ${count}.`)
  const list = entries(space)
  const random = createRandom(seed)
  return Array.from({ length: count }, () => Object.fromEntries(list.map(([name, d]) => [name, sample(d, random)])))
}
