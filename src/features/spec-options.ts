import { invalidParameter } from '../core/errors.js'

/** Readers for the options of a JSON transform spec; each error names the step and the field. */

export function optionalNumber(spec: Record<string, unknown>, field: string, where: string): number | undefined {
  const v = spec[field]
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidParameter(`${where}: '${field}' must be a finite number, got ${JSON.stringify(v)}.`)
  return v
}

export function optionalEnum<T extends string>(spec: Record<string, unknown>, field: string, allowed: readonly T[], where: string): T | undefined {
  const v = spec[field]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw invalidParameter(`${where}: '${field}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}.`)
  }
  return v as T
}

export function optionalPair(spec: Record<string, unknown>, field: string, where: string): [number, number] | undefined {
  const v = spec[field]
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x)) || !((v[0] as number) < (v[1] as number))) {
    throw invalidParameter(`${where}: '${field}' must be [low, high] with low < high, got ${JSON.stringify(v)}.`)
  }
  return [v[0] as number, v[1] as number]
}

/** Fitted state comes from a saved pipeline: a wrong shape means a corrupt or foreign file. */
export function stateRecord(state: unknown, where: string): Record<string, unknown> {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) throw invalidParameter(`${where}: the saved state is not an object; the pipeline file is corrupt.`)
  return state as Record<string, unknown>
}

export function stateNumber(state: Record<string, unknown>, field: string, where: string): number {
  const v = state[field]
  // NaN and ±Infinity cannot travel in JSON; fitted states never hold them.
  if (typeof v !== 'number') throw invalidParameter(`${where}: saved state field '${field}' must be a number; the pipeline file is corrupt.`)
  return v
}

export function stateStrings(state: Record<string, unknown>, field: string, where: string): string[] {
  const v = state[field]
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidParameter(`${where}: saved state field '${field}' must be a list of strings; the pipeline file is corrupt.`)
  return v as string[]
}

export function stateNumbers(state: Record<string, unknown>, field: string, where: string): number[] {
  const v = state[field]
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw invalidParameter(`${where}: saved state field '${field}' must be a list of numbers; the pipeline file is corrupt.`)
  return v as number[]
}
