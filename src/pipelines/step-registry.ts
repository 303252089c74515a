import { alreadyExists, invalidParameter, notFound } from '../core/errors.js'
import type { StepKind } from './types.js'
import { VALUE_TYPES, isValueType } from './value-types.js'

/** Kind names: namespaced like `keel.fit` or `fraud.features`. */
const KIND_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/
/** Input and output names appear in `<step>.<output>` references, so no dots. */
export const PORT_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/

/**
 * The step kinds a process can run, by name. The engine and every worker load the same registry, so a job names
 * its kind and any worker can run it. Kinds are checked when registered, so a bad kind fails at startup.
 */
export class StepRegistry {
  readonly #kinds = new Map<string, StepKind>()

  constructor(kinds: Iterable<StepKind> = []) {
    for (const kind of kinds) this.register(kind)
  }

  /** Adds a kind; registering the same object again is a no-op, another kind under a taken name is refused. */
  register(kind: StepKind): this {
    checkKind(kind)
    const existing = this.#kinds.get(kind.name)
    if (existing === kind) return this
    if (existing !== undefined) {
      throw alreadyExists(`Step kind '${kind.name}' is already registered (version ${existing.version}); give the new kind another name.`, {
        kind: kind.name,
      })
    }
    this.#kinds.set(kind.name, kind)
    return this
  }

  get(name: string): StepKind {
    const kind = this.#kinds.get(name)
    if (kind === undefined) throw notFound(unknownKindMessage(name, this.names()), { kind: name })
    return kind
  }

  has(name: string): boolean {
    return this.#kinds.has(name)
  }

  /** Registered kind names, sorted. */
  names(): string[] {
    return [...this.#kinds.keys()].sort()
  }
}

/** "Unknown step kind 'keel.fitt' (did you mean 'keel.fit'?); registered kinds: ..." */
export function unknownKindMessage(name: string, known: readonly string[]): string {
  const suggestion = closest(name, known)
  const hint = suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`
  const list = known.length === 0 ? 'none are registered; register it with registry.register(kind)' : `registered kinds: ${known.join(', ')}`
  return `Unknown step kind '${name}'${hint}; ${list}.`
}

function checkKind(kind: StepKind): void {
  const label = typeof kind?.name === 'string' ? `Step kind '${kind.name}'` : 'Step kind'
  if (typeof kind !== 'object' || kind === null) throw invalidParameter('A step kind must be an object { name, version, inputs, outputs, run }.')
  if (typeof kind.name !== 'string' || !KIND_NAME.test(kind.name)) {
    throw invalidParameter(`${label}: name must match ${KIND_NAME.source}, e.g. 'keel.fit' or 'fraud.features'.`)
  }
  if (typeof kind.version !== 'string' || kind.version.length === 0) {
    throw invalidParameter(`${label}: version must be a non-empty string (it is part of the cache key; bump it when the step changes).`)
  }
  if (typeof kind.run !== 'function') throw invalidParameter(`${label}: run must be a function (context) => Promise<outputs>.`)
  for (const side of ['inputs', 'outputs'] as const) {
    const ports: unknown = kind[side]
    if (typeof ports !== 'object' || ports === null || Array.isArray(ports)) {
      throw invalidParameter(`${label}: ${side} must be an object of name → type, e.g. { data: 'dataset' }.`)
    }
    for (const [port, type] of Object.entries(ports as Record<string, unknown>)) {
      if (!PORT_NAME.test(port)) throw invalidParameter(`${label}: ${side.slice(0, -1)} name '${port}' must match ${PORT_NAME.source}.`)
      if (!isValueType(type)) {
        throw invalidParameter(`${label}: ${side.slice(0, -1)} '${port}' has type ${JSON.stringify(type)}; use one of ${VALUE_TYPES.join(', ')}.`)
      }
    }
  }
}

/** The nearest name by edit distance, if near enough to be a typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost))
    }
    previous = current
  }
  return previous[b.length] ?? 0
}
