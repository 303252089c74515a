import type { PipelineDefinition, StepValue } from './types.js'
import type { Problem } from './define.js'
import { constantProblem } from './value-types.js'

/** Checks of a definition's cron schedules and event triggers (see definePipeline). */

const TRIGGER_EVENTS = ['monitoring.retrain', 'dataset.registered']

export function normaliseSchedules(raw: PipelineDefinition['schedules'], params: PipelineDefinition['params'], problems: Problem[]): PipelineDefinition['schedules'] {
  if (raw === undefined) return undefined
  if (!Array.isArray(raw)) return void problems.push({ message: "schedules must be an array of { cron: '0 3 * * *', params? }" })
  return raw.map((entry, i) => {
    const schedule = (entry ?? {}) as { cron?: unknown; params?: Record<string, StepValue> }
    const cron = typeof schedule?.cron === 'string' ? schedule.cron.trim() : ''
    const bad = cronProblem(cron)
    if (bad !== undefined) problems.push({ message: `schedules[${i}]: cron ${JSON.stringify(schedule.cron)} ${bad}` })
    checkRunParams(schedule.params, params, `schedules[${i}]`, problems)
    return schedule.params === undefined ? { cron } : { cron, params: schedule.params }
  })
}

export function normaliseTriggers(raw: PipelineDefinition['triggers'], params: PipelineDefinition['params'], problems: Problem[]): PipelineDefinition['triggers'] {
  if (raw === undefined) return undefined
  if (!Array.isArray(raw)) return void problems.push({ message: "triggers must be an array of { event: 'monitoring.retrain', params? }" })
  return raw.map((entry, i) => {
    const trigger = (entry ?? {}) as NonNullable<PipelineDefinition['triggers']>[number]
    if (!TRIGGER_EVENTS.includes(trigger.event)) problems.push({ message: `triggers[${i}]: event ${JSON.stringify(trigger.event)} is not one of ${TRIGGER_EVENTS.join(', ')}` })
    checkRunParams(trigger.params, params, `triggers[${i}]`, problems)
    return trigger.params === undefined ? { event: trigger.event } : { event: trigger.event, params: trigger.params }
  })
}

function checkRunParams(given: unknown, params: PipelineDefinition['params'], where: string, problems: Problem[]): void {
  if (given === undefined) return
  if (typeof given !== 'object' || given === null || Array.isArray(given)) return void problems.push({ message: `${where}: params must be an object` })
  for (const [name, value] of Object.entries(given)) {
    const param = params[name]
    if (param === undefined) problems.push({ message: `${where}: param '${name}' is not declared by the pipeline` })
    else {
      const bad = constantProblem(param.type, value)
      if (bad !== undefined) problems.push({ message: `${where}: param '${name}' ${bad}` })
    }
  }
}

const CRON_RANGES: ReadonlyArray<[number, number]> = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]]
const CRON_NAMES = [[], [], [], ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'], ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT']]
const CRON_FIELDS = ['minute', 'hour', 'day of month', 'month', 'day of week']

/** 5-field cron: each field `*`, `n`, `a-b`, lists with `,`, steps with `/n`; months and weekdays also by name. */
export function cronProblem(cron: string): string | undefined {
  const fields = cron.split(/\s+/).filter((f) => f.length > 0)
  if (fields.length !== 5) return `needs 5 fields (minute hour day-of-month month day-of-week), e.g. '0 3 * * *'`
  for (let f = 0; f < 5; f++) {
    const [min, max] = CRON_RANGES[f]!
    const names = CRON_NAMES[f]!
    const number = (text: string): number => {
      const named = names.indexOf(text.toUpperCase())
      return named >= 0 ? named + (f === 3 ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : Number.NaN
    }
    for (const item of fields[f]!.split(',')) {
      const [range = '', step, extra] = item.split('/')
      if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return `has a bad step in ${CRON_FIELDS[f]} '${item}'`
      if (range === '*') continue
      const [from = '', to, more] = range.split('-')
      const bounds = to === undefined ? [number(from)] : [number(from), number(to)]
      if (more !== undefined || bounds.some((n) => !(n >= min && n <= max)) || (bounds.length === 2 && bounds[0]! > bounds[1]!)) {
        return `has ${CRON_FIELDS[f]} '${item}' outside ${min}-${max}`
      }
    }
  }
  return undefined
}
