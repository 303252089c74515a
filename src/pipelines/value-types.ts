import type { ArtifactRef, StepValue, ValueType } from './types.js'

/** Every ValueType, for validation and error messages. */
export const VALUE_TYPES: readonly ValueType[] = ['json', 'number', 'string', 'boolean', 'artifact', 'dataset', 'model', 'metrics', 'gate']

const VALUE_TYPE_SET: ReadonlySet<string> = new Set(VALUE_TYPES)
const REF_TYPES: ReadonlySet<ValueType> = new Set<ValueType>(['artifact', 'dataset', 'model'])

export function isValueType(value: unknown): value is ValueType {
  return typeof value === 'string' && VALUE_TYPE_SET.has(value)
}

/**
 * Whether an edge from an output (or parameter) of type `source` may feed an input of type `target`.
 * `json` takes anything; a generic `artifact` and its specific kinds (`dataset`, `model`) feed each other, but a
 * dataset never feeds a model input; everything else needs the same type.
 */
export function typeAccepts(target: ValueType, source: ValueType): boolean {
  if (target === 'json' || target === source) return true
  if (REF_TYPES.has(target) && REF_TYPES.has(source)) return target === 'artifact' || source === 'artifact'
  return false
}

export function isArtifactRef(value: unknown): value is ArtifactRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const record = value as Record<string, unknown>
  return typeof record['uri'] === 'string' && typeof record['digest'] === 'string'
}

function isPlainObject(value: unknown): value is Record<string, StepValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Whether a constant (a `{ value }` input or a parameter default) has the shape `type` promises; undefined when it does, else what is wrong. */
export function valueMismatch(type: ValueType, value: StepValue): string | undefined {
  switch (type) {
    case 'json':
      return undefined
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a finite number'
    case 'string':
      return typeof value === 'string' ? undefined : 'a string'
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false'
    case 'artifact':
    case 'dataset':
    case 'model':
      return isArtifactRef(value) ? undefined : 'an artifact reference { uri, digest }'
    case 'metrics':
      return isPlainObject(value) && Object.values(value).every((v) => typeof v === 'number')
        ? undefined
        : 'an object of numbers, e.g. { "auc": 0.91 }'
    case 'gate':
      return isGateValue(value) ? undefined : 'a gate { passed: boolean, ... } or a boolean'
  }
}

function isGateValue(value: StepValue): boolean {
  return typeof value === 'boolean' || (isPlainObject(value) && typeof value['passed'] === 'boolean')
}

/** The one rule for `when`: a boolean true, or a gate whose `passed` is true. Anything else skips the step. */
export function whenPasses(value: StepValue | undefined): boolean {
  if (value === true) return true
  return isPlainObject(value) && value['passed'] === true
}

/** For messages: a short JSON preview of a value. */
export function previewValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** Why `value` cannot cross a queue as JSON (functions, undefined, NaN, Dates…), or undefined when it can. */
export function jsonProblem(value: unknown, depth = 0): string | undefined {
  if (depth > 64) return 'it is nested more than 64 levels deep'
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${String(value)} is not JSON; use null or a finite number`
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = jsonProblem(item, depth + 1)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return 'it is a class instance; pass plain JSON (objects, arrays, strings, numbers, booleans, null)'
    for (const item of Object.values(value)) {
      const problem = jsonProblem(item, depth + 1)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  return `a ${typeof value} is not JSON`
}

/** What is wrong with a constant for `type`, or undefined. */
export function constantProblem(type: ValueType, value: unknown): string | undefined {
  const notJson = jsonProblem(value)
  if (notJson !== undefined) return `is not JSON: ${notJson}`
  const expected = valueMismatch(type, value as StepValue)
  return expected === undefined ? undefined : `${previewValue(value)} is not ${expected} (type '${type}')`
}

