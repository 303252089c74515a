import { describe, expect, it } from 'vitest'
import { KeelError } from '../../core/errors.js'
import { compileInputs, frameFromCsv, frameFromLists, frameFromRecords, frameFromSplit, parseCsv, show } from './request-frame.js'

const schema = compileInputs([
  { name: 'amount', type: 'double', required: false },
  { name: 'kind', type: 'string' },
  { name: 'at', type: 'datetime', required: false },
  { name: 'v', type: 'tensor<float32>[batch,3]', required: false },
])

function error(fn: () => unknown): KeelError {
  try {
    fn()
  } catch (e) {
    if (e instanceof KeelError) return e
    throw e
  }
  throw new Error('expected a KeelError')
}

describe('request-frame', () => {
  it('compiles tensor inputs into consecutive slots and builds typed columns', () => {
    expect(schema.width).toBe(6)
    expect(schema.slotNames).toEqual(['amount', 'kind', 'at', 'v_0', 'v_1', 'v_2'])
    const cols = frameFromRecords(schema, [{ amount: 1.5, kind: 'a', at: '2024-01-02T00:00:00Z', v: [1, 2, 3], extra: 1 }, { kind: null, amount: null }], 10, 'rows')
    expect(cols.ignored).toEqual(['extra'])
    const frame = cols.build()
    expect(Array.from(frame.numeric('amount'))).toEqual([1.5, Number.NaN])
    expect(frame.row(0)).toEqual({ amount: 1.5, kind: 'a', at: Date.parse('2024-01-02T00:00:00Z'), v_0: 1, v_1: 2, v_2: 3 })
    expect(frame.row(1)).toEqual({ amount: null, kind: null, at: null, v_0: null, v_1: null, v_2: null })
  })

  it('lists follow the flat signature order; split columns may come in any order', () => {
    const lists = frameFromLists(schema, [[1, 'b', null, 4, 5, 6]], 10, 'instances').build()
    expect(lists.row(0)).toEqual({ amount: 1, kind: 'b', at: null, v_0: 4, v_1: 5, v_2: 6 })
    const split = frameFromSplit(schema, { columns: ['kind', 'amount'], data: [['z', 2]] }, 10).build()
    expect(split.row(0)).toMatchObject({ amount: 2, kind: 'z' })
    expect(error(() => frameFromSplit(schema, { columns: ['kind', 'kind'], data: [['a', 'b']] }, 10)).message).toMatch(/twice/)
    expect(error(() => frameFromSplit(schema, { columns: ['kind'], data: [['a', 1]] }, 10)).message).toMatch(/has 2 values but columns names 1/)
  })

  it('errors name the column, the 1-based row and the value; required columns must be present', () => {
    expect(error(() => frameFromRecords(schema, [{ kind: 'a' }, { kind: 'a', amount: 'abc' }], 10, 'r')).message).toBe(
      `Column 'amount' expects a number, row 2 has "abc".`,
    )
    expect(error(() => frameFromRecords(schema, [{ kind: 'a', v: [1, 2] }], 10, 'r')).message).toMatch(/'v' expects a list of 3 numbers per row, row 1 has \[1,2\]/)
    expect(error(() => frameFromRecords(schema, [{ amount: 1 }], 10, 'r').build()).message).toMatch(/no column 'kind'/)
    const tooMany = error(() => frameFromLists(schema, Array.from({ length: 11 }, () => [1, 'a', null, 1, 2, 3]), 10, 'x'))
    expect(tooMany.status).toBe(413)
    expect(tooMany.message).toMatch(/at most 10/)
  })

  it('parses CSV with quotes, CRLF, blank lines and pandas missing markers', () => {
    expect(parseCsv('a,b\r\n"x,""y""",2\n\n3,\n', 10)).toEqual([
      ['a', 'b'],
      ['x,"y"', '2'],
      ['3', ''],
    ])
    const csvSchema = compileInputs([
      { name: 'amount', type: 'double' },
      { name: 'kind', type: 'string' },
    ])
    const frame = frameFromCsv(csvSchema, 'kind,amount,extra\na,1.5,q\n,NaN,q\n"b",,q', 10).build()
    expect(frame.toRecords()).toEqual([
      { amount: 1.5, kind: 'a' },
      { amount: null, kind: null },
      { amount: null, kind: 'b' },
    ])
    expect(error(() => frameFromCsv(csvSchema, 'amount,kind\nInfinity,a', 10)).message).toMatch(/expects a finite number, row 1 has "Infinity"/)
    expect(error(() => frameFromCsv(csvSchema, 'amount,kind\n"1,a', 10)).message).toMatch(/quoted cell/)
  })

  it('shows deep or huge values without walking them', () => {
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(show(deep)).toBe('[[[[...]]]]')
    expect(show('x'.repeat(1e6)).length).toBeLessThanOrEqual(40)
    expect(show({ a: 1, b: 'c' })).toBe('{"a":1,"b":"c"}')
  })
})
