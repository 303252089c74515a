import { z } from 'zod'
import { invalidParameter } from '../core/errors.js'

/**
 * Numbers on MLflow's wire. Protobuf JSON lets int64 fields arrive as numbers or digit strings (and GET query
 * parameters are always strings); doubles may be the strings "NaN", "Infinity" and "-Infinity".
 */

const INT_PATTERN = /^-?\d+$/

/** Meta key marking the lenient wire schemas below, so `fastVariant` can swap in plain ones. */
export const WIRE_KIND = 'x-keel-wire'
export type WireKind = 'int64' | 'double' | 'bool' | 'enum'
const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  nan: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  inf: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
}

/** An int64 as a JS number, or undefined when `value` is not an integer that a double holds exactly. */
export function toInt64(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value === 'string' && INT_PATTERN.test(value.trim())) {
    const n = Number(value.trim())
    return Number.isSafeInteger(n) ? n : undefined
  }
  return undefined
}

/** A double from a JSON number, a numeric string or one of protobuf's non-finite spellings. */
export function toDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return value
  if (typeof value !== 'string') return undefined
  const special = NON_FINITE[value.trim()]
  if (special !== undefined) return special
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  const n = Number(trimmed)
  return Number.isFinite(n) ? n : undefined
}

/** Writes a double as MLflow does: non-finite values become "NaN", "Infinity" or "-Infinity". */
export function formatDouble(value: number): number | string {
  if (Number.isFinite(value)) return value
  if (Number.isNaN(value)) return 'NaN'
  return value > 0 ? 'Infinity' : '-Infinity'
}

/** Reads a double written by `formatDouble` (or any spelling `toDouble` accepts); throws naming the field. */
export function parseDouble(value: unknown, field: string): number {
  const n = toDouble(value)
  if (n === undefined) throw invalidParameter(`Invalid value for '${field}': expected a number or "NaN", "Infinity", "-Infinity".`)
  return n
}

/** Reads an int64 from a response; throws naming the field. */
export function parseInt64(value: unknown, field: string): number {
  const n = toInt64(value)
  if (n === undefined) throw invalidParameter(`Invalid value for '${field}': expected an integer (a JSON number or a string of digits).`)
  return n
}

/** Request schema of an int64 field: a JSON number or a string of digits, as a safe JS integer. */
export function int64Schema(): z.ZodType<number, number | string> {
  return z
    .union([z.number(), z.string()], { error: 'expected an integer (a JSON number or a string of digits)' })
    .transform((value, ctx) => {
      const n = toInt64(value)
      if (n !== undefined) return n
      ctx.issues.push({
        code: 'custom',
        input: value,
        message: 'expected an integer (a JSON number or a string of digits) within ±2^53',
      })
      return z.NEVER
    })
    .meta({ description: 'int64: a JSON number or a string of digits', [WIRE_KIND]: 'int64' })
}

/** Request schema of a double field: a number, a numeric string, or "NaN" / "Infinity" / "-Infinity". */
export function doubleSchema(): z.ZodType<number, number | string> {
  return z
    .union([z.number(), z.string()], { error: 'expected a number or "NaN", "Infinity", "-Infinity"' })
    .transform((value, ctx) => {
      const n = toDouble(value)
      if (n !== undefined) return n
      ctx.issues.push({ code: 'custom', input: value, message: 'expected a number or "NaN", "Infinity", "-Infinity"' })
      return z.NEVER
    })
    .meta({ description: 'double: a JSON number or "NaN", "Infinity", "-Infinity"', [WIRE_KIND]: 'double' })
}

/** Request schema of a bool field: JSON true/false, or "true"/"false" from a query string. */
export function boolSchema(): z.ZodType<boolean, boolean | string> {
  return z
    .union([z.boolean(), z.enum(['true', 'false', 'True', 'False'])], { error: 'expected true or false' })
    .transform((value) => value === true || value === 'true' || value === 'True')
    .meta({ description: 'bool: true or false', [WIRE_KIND]: 'bool' })
}

/**
 * Request schema of a protobuf enum: accepted by name (as MLflow clients send it) or by its number.
 * `names[i]` has the number `i + 1`, as in MLflow's protos.
 */
export function enumSchema<const T extends readonly [string, ...string[]]>(
  names: T,
): z.ZodType<T[number], string | number> {
  const expected = `expected one of ${names.join(', ')}`
  return z
    .union([z.string(), z.number()], { error: expected })
    .transform((value, ctx) => {
      if (typeof value === 'string' && (names as readonly string[]).includes(value)) return value as T[number]
      const index = toInt64(value)
      const byNumber = index === undefined ? undefined : names[index - 1]
      if (byNumber !== undefined) return byNumber as T[number]
      ctx.issues.push({ code: 'custom', input: value, message: expected })
      return z.NEVER
    })
    .meta({ description: `enum, by name (or its number): ${names.join(', ')}`, enum: [...names], [WIRE_KIND]: 'enum' })
}
