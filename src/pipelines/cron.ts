import { invalidParameter } from '../core/errors.js'
import { cronProblem } from './define-schedules.js'

/**
 * 5-field cron (minute hour day-of-month month day-of-week) evaluated in UTC: `*`, numbers, ranges `a-b`, lists
 * `a,b`, steps `*\/n` and `a-b/n`, month and weekday names (JAN, MON), 7 = Sunday. As in Vixie cron, when both
 * day-of-month and day-of-week are restricted (neither starts with `*`) a day matches if either matches.
 */
export interface CronSpec {
  readonly source: string
  readonly minutes: readonly boolean[]
  readonly hours: readonly boolean[]
  readonly days: readonly boolean[]
  readonly months: readonly boolean[]
  readonly weekdays: readonly boolean[]
  readonly daysRestricted: boolean
  readonly weekdaysRestricted: boolean
}

const RANGES: ReadonlyArray<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]]
const NAMES: ReadonlyArray<readonly string[]> = [[], [], [], ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']]
const MINUTE = 60_000
/** A fire time is looked for this far ahead; past it the expression cannot fire (e.g. `0 0 30 2 *`). */
const MAX_YEARS = 400

export function parseCron(expr: string): CronSpec {
  const source = expr.trim()
  const problem = cronProblem(source)
  if (problem !== undefined) throw invalidParameter(`cron ${JSON.stringify(expr)} ${problem}`)
  const fields = source.split(/\s+/)
  const sets = fields.map((field, f) => expandField(field, f))
  const weekdays = sets[4]!
  if (weekdays[7] === true) weekdays[0] = true
  const spec: CronSpec = {
    source,
    minutes: sets[0]!,
    hours: sets[1]!,
    days: sets[2]!,
    months: sets[3]!,
    weekdays: weekdays.slice(0, 7),
    daysRestricted: !fields[2]!.startsWith('*'),
    weekdaysRestricted: !fields[4]!.startsWith('*'),
  }
  if (spec.daysRestricted && !spec.weekdaysRestricted && !possibleDay(spec)) {
    throw invalidParameter(`cron ${JSON.stringify(expr)} never fires: no selected month has the selected day of month.`)
  }
  return spec
}

/** Values of one field as a lookup by value (index = value). */
function expandField(field: string, f: number): boolean[] {
  const [min, max] = RANGES[f]!
  const names = NAMES[f]!
  const value = (text: string): number => {
    const named = names.indexOf(text.toUpperCase())
    return named >= 0 ? named + (f === 3 ? 1 : 0) : Number(text)
  }
  const set = new Array<boolean>(max + 1).fill(false)
  for (const item of field.split(',')) {
    const [range = '*', stepText] = item.split('/')
    const step = stepText === undefined ? 1 : Number(stepText)
    let from = min
    let to = max
    if (range !== '*') {
      const [a = '', b] = range.split('-')
      from = value(a)
      // `5/15` means 5, 20, 35, 50 (from 5 to the end), as in Vixie cron.
      to = b !== undefined ? value(b) : stepText !== undefined ? max : from
    }
    for (let v = from; v <= to; v += step) set[v] = true
  }
  return set
}

function possibleDay(spec: CronSpec): boolean {
  const longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
  for (let m = 1; m <= 12; m++) {
    if (!spec.months[m]) continue
    for (let d = 1; d <= longest[m]!; d++) if (spec.days[d]) return true
  }
  return false
}

function dayMatches(spec: CronSpec, date: Date): boolean {
  const dom = spec.days[date.getUTCDate()] === true
  const dow = spec.weekdays[date.getUTCDay()] === true
  if (spec.daysRestricted && spec.weekdaysRestricted) return dom || dow
  return dom && dow
}

/**
 * The first time strictly after `after` (to the minute) at which `expr` fires. Jumps a month, day or hour at
 * a time when that field does not match, so it takes a few dozen steps at most for real expressions.
 */
export function nextFire(expr: string | CronSpec, after: Date, tz: 'UTC' = 'UTC'): Date {
  if (tz !== 'UTC') throw invalidParameter(`cron time zone '${String(tz)}' is not supported; schedules run in UTC.`)
  const spec = typeof expr === 'string' ? parseCron(expr) : expr
  const start = after.getTime()
  if (!Number.isFinite(start)) throw invalidParameter('nextFire: `after` is not a valid date.')
  const t = new Date(Math.floor(start / MINUTE) * MINUTE + MINUTE)
  const limit = t.getUTCFullYear() + MAX_YEARS
  while (t.getUTCFullYear() <= limit) {
    if (!spec.months[t.getUTCMonth() + 1]) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1)
      t.setUTCHours(0, 0, 0, 0)
      continue
    }
    if (!dayMatches(spec, t)) {
      t.setUTCDate(t.getUTCDate() + 1)
      t.setUTCHours(0, 0, 0, 0)
      continue
    }
    if (!spec.hours[t.getUTCHours()]) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0)
      continue
    }
    if (!spec.minutes[t.getUTCMinutes()]) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0)
      continue
    }
    return t
  }
  throw invalidParameter(`cron ${JSON.stringify(spec.source)} does not fire in the ${MAX_YEARS} years after ${after.toISOString()}.`)
}

/** Fire times in (after, until], at most `max` of them (bounded for callers catching up after downtime). */
export function fireTimes(expr: string | CronSpec, after: Date, until: Date, max = 1000): Date[] {
  const spec = typeof expr === 'string' ? parseCron(expr) : expr
  const out: Date[] = []
  let t = after
  while (out.length < max) {
    t = nextFire(spec, t)
    if (t.getTime() > until.getTime()) break
    out.push(t)
  }
  return out
}
