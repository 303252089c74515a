import type { z } from 'zod'
import { KeelError, invalidParameter } from '../core/errors.js'

/**
 * Turns a request message (JSON body, or query parameters for GET) into the endpoint's typed input, or throws
 * INVALID_PARAMETER_VALUE naming the first bad field, with every issue in `details.issues`. `fast`, when
 * given, is the endpoint's `fastVariant`: tried first, the lenient schema decides when it refuses.
 */
export function parseRequest<S extends z.ZodType>(schema: S, raw: unknown, fast?: z.ZodType): z.output<S> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new KeelError('BAD_REQUEST', `The request body must be a JSON object, got ${kindOf(raw)}.`)
  }
  if (fast !== undefined) {
    const quick = fast.safeParse(raw)
    if (quick.success) return quick.data as z.output<S>
  }
  const result = schema.safeParse(raw, { reportInput: true })
  if (result.success) return result.data
  const issues = result.error.issues.map((issue) => ({
    field: fieldName(issue.path),
    message: describeIssue(issue),
  }))
  const first = issues[0]
  const message = first === undefined ? 'Invalid request.' : first.message
  throw invalidParameter(issues.length > 1 ? `${message} (and ${issues.length - 1} more problem(s), see details)` : message, {
    issues,
  })
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldName(issue.path)
  const input = (issue as { input?: unknown }).input
  if (issue.code === 'invalid_type' && input === undefined) {
    return `Missing value for required parameter '${field}'. See the API docs (/openapi.json) for the request's fields.`
  }
  const why = issue.code === 'invalid_type' ? `expected ${article(issue.expected)}` : issue.message
  return `Invalid value ${preview(input)} for parameter '${field}' supplied: ${why}.`
}

/** `['metrics', 3, 'value']` → `metrics[3].value`. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out === '' ? '(body)' : out
}

function article(expected: string): string {
  if (expected === 'array') return 'a list'
  if (expected === 'object') return 'an object'
  if (expected === 'int' || expected === 'integer') return 'an integer'
  return `a ${expected}`
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (value === undefined) return 'nothing'
  return `a ${typeof value}`
}

function preview(value: unknown): string {
  if (value === undefined) return '(missing)'
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

type Def = { type: string; innerType?: z.ZodType }

/** Whether a field of an object schema is a list, looking through optional/default wrappers. */
function isListField(schema: z.ZodType | undefined): boolean {
  let current: z.ZodType | undefined = schema
  for (let depth = 0; current !== undefined && depth < 8; depth++) {
    const def = (current as unknown as { _zod: { def: Def } })._zod.def
    if (def.type === 'array') return true
    current = def.innerType
  }
  return false
}

/**
 * MLflow's GET convention: the request message as query parameters, repeated keys for lists
 * (`run_ids=a&run_ids=b`), also `key[]=`; a list given once is still a list.
 */
export function queryToMessage(
  query: Readonly<Record<string, unknown>>,
  shape: Readonly<Record<string, z.ZodType>>,
): Record<string, unknown> {
  const message: Record<string, unknown> = {}
  for (const [rawKey, value] of Object.entries(query)) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey
    const previous = message[key]
    if (isListField(shape[key])) {
      const items = Array.isArray(value) ? value : [value]
      message[key] = Array.isArray(previous) ? [...(previous as unknown[]), ...items] : items
    } else {
      message[key] = previous === undefined ? value : ([] as unknown[]).concat(previous, value)
    }
  }
  return message
}
