import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { isKeelError } from '../core/errors.js'
import { allEndpoints, ENDPOINTS } from './endpoints.js'
import { fastVariant } from './fast-schema.js'
import { parseRequest } from './parse-request.js'
import { MAX_PREDICTIONS_PER_REQUEST } from './prediction-endpoints.js'
import { int64Schema } from './wire-numbers.js'

type CheckDef = { check: string; minimum?: number; maximum?: number; length?: number }
type Def = {
  type: string
  shape?: Record<string, z.ZodType>
  element?: z.ZodType
  innerType?: z.ZodType
  checks?: Array<{ _zod: { def: CheckDef } }>
}
type Bound = { check: string; limit: number | undefined }

/** Every array in a request schema, by path, with its length bounds (bounded depth: request messages are shallow). */
function arrayBounds(schema: z.ZodType, path = '', depth = 0, out: Record<string, Bound[]> = {}): Record<string, Bound[]> {
  if (depth > 12) return out
  const def = (schema as unknown as { _zod: { def: Def } })._zod.def
  if (def.type === 'object') {
    for (const [key, field] of Object.entries(def.shape ?? {})) arrayBounds(field, path === '' ? key : `${path}.${key}`, depth + 1, out)
  } else if (def.type === 'array' && def.element !== undefined) {
    out[path] = (def.checks ?? []).map(({ _zod: { def: c } }) => ({ check: c.check, limit: c.maximum ?? c.minimum ?? c.length }))
    arrayBounds(def.element, `${path}[]`, depth + 1, out)
  } else if (def.innerType !== undefined) {
    arrayBounds(def.innerType, path, depth + 1, out)
  }
  return out
}

const prediction = (i: number) => ({
  id: `p${i}`,
  deployment: 'fraud',
  model: 'fraud',
  version: '1',
  arm: 'champion',
  timestamp: 1_700_000_000_000 + i,
  inputs: { amount: i },
  outputs: { prediction: 1 },
})

describe('fastVariant', () => {
  it('keeps array .min() and .max(), also under optional and inside arrays', () => {
    const schema = z.object({
      ids: z.array(z.string()).min(1).max(2),
      nested: z.array(z.array(int64Schema()).max(1)).optional(),
    })
    const fast = fastVariant(schema)
    expect(fast.safeParse({ ids: ['a', 'b'] }).success).toBe(true)
    expect(fast.safeParse({ ids: ['a', 'b', 'c'] }).success).toBe(false)
    expect(fast.safeParse({ ids: [] }).success).toBe(false)
    expect(fast.safeParse({ ids: ['a'], nested: [[1]] }).success).toBe(true)
    expect(fast.safeParse({ ids: ['a'], nested: [[1, 2]] }).success).toBe(false)
    // still the plain fast path: an int64 as a string is left to the lenient schema
    expect(fast.safeParse({ ids: ['a'], nested: [['1']] }).success).toBe(false)
    expect(schema.safeParse({ ids: ['a'], nested: [['1']] }).success).toBe(true)
  })

  it('keeps refinements on objects, optionals and wire numbers', () => {
    const schema = z.object({
      window: z.object({ from: int64Schema(), to: int64Schema() }).refine((w) => w.from <= w.to, { error: 'from after to' }),
      limit: int64Schema().refine((n) => n > 0, { error: 'positive' }),
      note: z.string().optional().refine((s) => s !== 'x', { error: 'not x' }),
    })
    const fast = fastVariant(schema)
    const valid = { window: { from: 1, to: 2 }, limit: 3, note: 'y' }
    expect(fast.safeParse(valid)).toEqual({ success: true, data: valid })
    for (const bad of [{ window: { from: 3, to: 2 } }, { limit: 0 }, { note: 'x' }]) {
      const message = { ...valid, ...bad }
      expect(schema.safeParse(message).success, JSON.stringify(bad)).toBe(false)
      expect(fast.safeParse(message).success, JSON.stringify(bad)).toBe(false)
    }
  })

  it('carries every array bound of every endpoint in the catalogue', () => {
    let bounded = 0
    for (const ep of allEndpoints()) {
      const lenient = arrayBounds(ep.request)
      expect(arrayBounds(fastVariant(ep.request)), ep.operationId).toEqual(lenient)
      bounded += Object.values(lenient).filter((bounds) => bounds.some((b) => b.check === 'max_length')).length
    }
    expect(bounded).toBeGreaterThan(0)
  })

  it(`refuses ${MAX_PREDICTIONS_PER_REQUEST + 1} predictions on the fast path, naming the field`, () => {
    const schema = ENDPOINTS.appendPredictions.request
    const fast = fastVariant(schema)
    const atLimit = { predictions: Array.from({ length: MAX_PREDICTIONS_PER_REQUEST }, (_, i) => prediction(i)) }
    const over = { predictions: [...atLimit.predictions, prediction(MAX_PREDICTIONS_PER_REQUEST)] }
    expect(fast.safeParse(atLimit).success).toBe(true)
    expect(fast.safeParse(over).success).toBe(false)
    let thrown: unknown
    try {
      parseRequest(schema, over, fast)
    } catch (error) {
      thrown = error
    }
    expect(isKeelError(thrown) && thrown.code).toBe('INVALID_PARAMETER_VALUE')
    expect((thrown as Error).message).toContain("parameter 'predictions'")
    expect((thrown as Error).message).toContain(`at most ${MAX_PREDICTIONS_PER_REQUEST} predictions per request`)
  })
})
