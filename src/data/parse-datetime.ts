/**
 * ISO 8601 dates and date-times from bytes → epoch milliseconds (NaN when not one).
 * Accepted: `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, `.fraction` (milliseconds kept,
 * further digits dropped) and `Z` or `±HH:MM`/`±HHMM`. A value without an offset is read as UTC, like
 * pandas' naive timestamps converted with `.astype('int64')`.
 */
export function parseDateTime(buf: Uint8Array, start: number, end: number): number {
  while (start < end && buf[start] === 32) start++
  while (end > start && buf[end - 1] === 32) end--
  const n = end - start
  if (n < 10 || buf[start + 4] !== 45 || buf[start + 7] !== 45) return Number.NaN
  const year = digits(buf, start, 4)
  const month = digits(buf, start + 5, 2)
  const day = digits(buf, start + 8, 2)
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return Number.NaN
  let ms = Date.UTC(year, month - 1, day)
  if (year < 100) ms = new Date(ms).setUTCFullYear(year)
  let p = start + 10
  if (p === end) return ms
  const sep = buf[p]
  if ((sep !== 84 && sep !== 32) || end - p < 6 || buf[p + 3] !== 58) return Number.NaN
  const hour = digits(buf, p + 1, 2)
  const minute = digits(buf, p + 4, 2)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return Number.NaN
  ms += hour * 3_600_000 + minute * 60_000
  p += 6
  if (p < end && buf[p] === 58) {
    const second = end - p >= 3 ? digits(buf, p + 1, 2) : -1
    if (second < 0 || second > 59) return Number.NaN
    ms += second * 1000
    p += 3
    if (p < end && buf[p] === 46) {
      p++
      let scale = 100
      const fracStart = p
      while (p < end && buf[p]! >= 48 && buf[p]! <= 57) {
        ms += (buf[p]! - 48) * scale
        scale /= 10
        p++
      }
      if (p === fracStart) return Number.NaN
      ms = Math.floor(ms)
    }
  }
  if (p === end) return ms
  if (buf[p] === 90 && p + 1 === end) return ms
  const sign = buf[p] === 43 ? 1 : buf[p] === 45 ? -1 : 0
  if (sign === 0) return Number.NaN
  const rest = end - p - 1
  const oh = rest >= 2 ? digits(buf, p + 1, 2) : -1
  const om = rest === 5 && buf[p + 3] === 58 ? digits(buf, p + 4, 2) : rest === 4 ? digits(buf, p + 3, 2) : rest === 2 ? 0 : -1
  if (oh < 0 || om < 0 || oh > 23 || om > 59) return Number.NaN
  return ms - sign * (oh * 3_600_000 + om * 60_000)
}

/** The same for a string (JSON lines). */
export function parseDateTimeString(text: string): number {
  if (text.length < 10 || text.length > 40) return Number.NaN
  const bytes = Buffer.from(text, 'latin1')
  return parseDateTime(bytes, 0, bytes.length)
}

function digits(buf: Uint8Array, at: number, count: number): number {
  let v = 0
  for (let i = 0; i < count; i++) {
    const b = buf[at + i]
    if (b === undefined || b < 48 || b > 57) return -1
    v = v * 10 + (b - 48)
  }
  return v
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}
