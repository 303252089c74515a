import { describe, expect, it } from 'vitest'
import { KeelError } from '../core/errors.js'
import { fireTimes, nextFire, parseCron } from './cron.js'

const at = (iso: string): Date => new Date(iso)
/** `count` fire times after `after`, as ISO strings. */
function sequence(expr: string, after: string, count: number): string[] {
  const out: string[] = []
  let t = at(after)
  for (let i = 0; i < count; i++) {
    t = nextFire(expr, t)
    out.push(t.toISOString())
  }
  return out
}

describe('nextFire', () => {
  it('steps of minutes, strictly after the given time (seconds ignored)', () => {
    expect(sequence('*/5 * * * *', '2024-01-01T00:00:00Z', 3)).toEqual(['2024-01-01T00:05:00.000Z', '2024-01-01T00:10:00.000Z', '2024-01-01T00:15:00.000Z'])
    expect(nextFire('*/5 * * * *', at('2024-01-01T00:04:59.999Z')).toISOString()).toBe('2024-01-01T00:05:00.000Z')
    expect(sequence('*/5 * * * *', '2024-01-31T23:50:00Z', 3)).toEqual(['2024-01-31T23:55:00.000Z', '2024-02-01T00:00:00.000Z', '2024-02-01T00:05:00.000Z'])
    expect(sequence('5/15 * * * *', '2024-01-01T00:00:00Z', 5)).toEqual([
      '2024-01-01T00:05:00.000Z',
      '2024-01-01T00:20:00.000Z',
      '2024-01-01T00:35:00.000Z',
      '2024-01-01T00:50:00.000Z',
      '2024-01-01T01:05:00.000Z',
    ])
  })

  it('ranges with steps and lists', () => {
    expect(sequence('0 8-18/4 * * *', '2024-05-01T00:00:00Z', 4)).toEqual(['2024-05-01T08:00:00.000Z', '2024-05-01T12:00:00.000Z', '2024-05-01T16:00:00.000Z', '2024-05-02T08:00:00.000Z'])
    expect(sequence('15,45 1,13 * * *', '2024-05-01T00:00:00Z', 5)).toEqual([
      '2024-05-01T01:15:00.000Z',
      '2024-05-01T01:45:00.000Z',
      '2024-05-01T13:15:00.000Z',
      '2024-05-01T13:45:00.000Z',
      '2024-05-02T01:15:00.000Z',
    ])
  })

  it('month ends: the 31st skips months without one', () => {
    expect(sequence('0 0 31 * *', '2024-01-31T00:00:00Z', 4)).toEqual(['2024-03-31T00:00:00.000Z', '2024-05-31T00:00:00.000Z', '2024-07-31T00:00:00.000Z', '2024-08-31T00:00:00.000Z'])
    expect(sequence('59 23 31 DEC *', '2024-12-31T23:59:00Z', 2)).toEqual(['2025-12-31T23:59:00.000Z', '2026-12-31T23:59:00.000Z'])
    expect(sequence('0 0 1 JAN,jul *', '2024-01-01T00:00:00Z', 3)).toEqual(['2024-07-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z'])
  })

  it('leap years: 29 February every four years, not in 2100', () => {
    expect(sequence('0 0 29 2 *', '2023-03-01T00:00:00Z', 3)).toEqual(['2024-02-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z'])
    expect(nextFire('0 0 29 FEB *', at('2096-03-01T00:00:00Z')).toISOString()).toBe('2104-02-29T00:00:00.000Z')
    expect(sequence('0 0 28-31 * *', '2024-02-27T00:00:00Z', 3)).toEqual(['2024-02-28T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2024-03-28T00:00:00.000Z'])
  })

  it('weekdays by name and number (7 = Sunday); day-of-month OR day-of-week when both are restricted', () => {
    // 2024-03-01 is a Friday.
    expect(sequence('0 12 * * MON-FRI', '2024-03-01T12:00:00Z', 2)).toEqual(['2024-03-04T12:00:00.000Z', '2024-03-05T12:00:00.000Z'])
    expect(nextFire('0 0 * * 7', at('2024-03-01T00:00:00Z')).toISOString()).toBe('2024-03-03T00:00:00.000Z')
    expect(nextFire('0 0 * * 0', at('2024-03-01T00:00:00Z')).toISOString()).toBe('2024-03-03T00:00:00.000Z')
    // 13th or any Friday: 2024-09-06 is a Friday, before the 13th.
    expect(sequence('0 0 13 * FRI', '2024-09-01T00:00:00Z', 3)).toEqual(['2024-09-06T00:00:00.000Z', '2024-09-13T00:00:00.000Z', '2024-09-20T00:00:00.000Z'])
    // `*/2` day-of-month counts as unrestricted (Vixie cron): AND with Monday.
    expect(nextFire('0 0 */2 * MON', at('2024-03-01T00:00:00Z')).toISOString()).toBe('2024-03-11T00:00:00.000Z')
  })

  it('agrees with a minute-by-minute matcher from December to April (a leap February) for assorted expressions', () => {
    const exprs = ['*/7 */5 * * *', '0 0 1,15 * *', '30 2 * 2-3 SUN', '0 6 10-20 * TUE,THU', '0 0 29 * *', '*/20 23 28-31 * *']
    for (const expr of exprs) {
      const spec = parseCron(expr)
      const from = at('2023-12-25T00:00:00Z')
      const until = at('2024-04-02T00:00:00Z')
      const expected: string[] = []
      for (let t = from.getTime() + 60_000; t <= until.getTime(); t += 60_000) if (bruteMatches(expr, new Date(t))) expected.push(new Date(t).toISOString())
      expect(fireTimes(spec, from, until, 100_000).map((d) => d.toISOString()), expr).toEqual(expected)
    }
  })

  it('refuses malformed and never-firing expressions with the reason', () => {
    for (const bad of ['* * * *', '60 * * * *', '* 24 * * *', '* * 0 * *', '* * * 13 *', '*/0 * * * *', 'a * * * *', '5-1 * * * *']) {
      expect(() => nextFire(bad, at('2024-01-01T00:00:00Z')), bad).toThrow(KeelError)
    }
    expect(() => parseCron('0 0 30 2 *')).toThrow(/never fires/)
    expect(() => nextFire('* * * *', at('2024-01-01T00:00:00Z'))).toThrow(/needs 5 fields/)
  })
})

/** An independent reading of the fields for the oracle: numbers only, Vixie's OR rule. */
function bruteMatches(expr: string, d: Date): boolean {
  const names: Record<string, number> = { SUN: 0, MON: 1, TUE: 2, WED: 3, THU: 4, FRI: 5, SAT: 6 }
  const [mi, h, dom, mo, dow] = expr.split(' ') as [string, string, string, string, string]
  const inField = (field: string, value: number, lo: number, hi: number): boolean =>
    field.split(',').some((part) => {
      const [range, step = '1'] = part.split('/') as [string, string?]
      const [a, b] = range === '*' ? [lo, hi] : range.includes('-') ? range.split('-').map((x) => names[x] ?? Number(x)) : [names[range] ?? Number(range), names[range] ?? Number(range)]
      return value >= a! && value <= b! && (value - a!) % Number(step) === 0
    })
  const domOk = inField(dom, d.getUTCDate(), 1, 31)
  const dowOk = inField(dow, d.getUTCDay(), 0, 6)
  const day = !dom.startsWith('*') && !dow.startsWith('*') ? domOk || dowOk : domOk && dowOk
  return inField(mi, d.getUTCMinutes(), 0, 59) && inField(h, d.getUTCHours(), 0, 23) && inField(mo, d.getUTCMonth() + 1, 1, 12) && day
}
