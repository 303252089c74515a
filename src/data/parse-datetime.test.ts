import { describe, expect, it } from 'vitest'
import { parseDateTimeString } from './parse-datetime.js'

describe('parseDateTime', () => {
  it('reads ISO 8601 dates and date-times as UTC epoch milliseconds, honouring offsets', () => {
    expect(parseDateTimeString('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
    expect(parseDateTimeString('2024-01-02T03:04')).toBe(Date.UTC(2024, 0, 2, 3, 4))
    expect(parseDateTimeString('2024-01-02 03:04:05')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5))
    expect(parseDateTimeString('2024-01-02T03:04:05.1239Z')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 123))
    expect(parseDateTimeString('2024-01-02T03:04:05+02:00')).toBe(Date.UTC(2024, 0, 2, 1, 4, 5))
    expect(parseDateTimeString('2024-01-02T03:04:05-0130')).toBe(Date.UTC(2024, 0, 2, 4, 34, 5))
    expect(parseDateTimeString('1969-12-31T23:59:59Z')).toBe(-1000)
    for (const text of ['2023-02-29', '2024-13-01', '2024-1-02', '20240102', '2024-01-02T25:00', '2024-01-02X', '2024-01-02T03:04:05.', 'yesterday', '2024-01-02T03:04+5']) {
      expect(parseDateTimeString(text), text).toBeNaN()
    }
    expect(parseDateTimeString(new Date(Date.UTC(2001, 8, 9, 1, 46, 40)).toISOString())).toBe(1e12)
  })
})
