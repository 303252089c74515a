import { invalidParameter } from '../../core/errors.js'

/**
 * Small checkers for user-supplied params: each names the algorithm and the field, and says what is allowed,
 * because params usually come from a YAML spec or a search space rather than typed code.
 */
export function rejectUnknownParams(algorithm: string, params: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) {
      throw invalidParameter(`Unknown ${algorithm} param '${key}'. Allowed params: ${allowed.join(', ')}.`)
    }
  }
}

export function numberParam(
  algorithm: string,
  name: string,
  value: unknown,
  fallback: number,
  range: { min: number; minExclusive?: boolean; integer?: boolean },
): number {
  if (value === undefined) return fallback
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (range.minExclusive === true ? value > range.min : value >= range.min) &&
    (range.integer !== true || Number.isInteger(value))
  if (!ok) {
    const kind = range.integer === true ? 'an integer' : 'a finite number'
    const bound = range.minExclusive === true ? `> ${range.min}` : `>= ${range.min}`
    throw invalidParameter(`${algorithm} param '${name}' must be ${kind} ${bound}, got ${JSON.stringify(value)}.`)
  }
  return value
}

export function booleanParam(algorithm: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') {
    throw invalidParameter(`${algorithm} param '${name}' must be true or false, got ${JSON.stringify(value)}.`)
  }
  return value
}

export function enumParam<T extends string>(algorithm: string, name: string, value: unknown, fallback: T, allowed: readonly T[]): T {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidParameter(`${algorithm} param '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}.`)
  }
  return value as T
}

/** A column name or null (e.g. the sample-weight column). */
export function columnParam(algorithm: string, name: string, value: unknown): string | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string' || value === '') {
    throw invalidParameter(`${algorithm} param '${name}' must be a column name or null, got ${JSON.stringify(value)}.`)
  }
  return value
}
