import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { invalidParameter } from '../core/errors.js'
import type { AlertRule, DriftTestName, WindowSpec } from './types.js'
import { parseWindowSpec } from './windows.js'

const DRIFT_TESTS = ['ks', 'chisquare', 'z', 'wasserstein', 'jensenshannon', 'psi', 'kl_div', 'hellinger', 'anderson'] as const

const duration = z.union([z.number().int().nonnegative(), z.string().regex(/^\s*(0|\d+(\.\d+)?\s*(ms|s|m|h|d|w))\s*$/, 'expected a duration such as 30m, 1h, 1d or 0')])
const time = z.union([z.number().int().nonnegative(), z.string().min(1)])

const actionSchema = z.union([
  z.strictObject({ kind: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }), secret: z.string().optional(), secretEnv: z.string().min(1).optional() }),
  z.strictObject({ kind: z.literal('retrain'), pipeline: z.string().min(1) }),
])

const ruleSchema = z.strictObject({
  name: z.string().min(1),
  metric: z.string().min(1),
  comparison: z.enum(['>', '>=', '<', '<=']),
  threshold: z.number(),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  /** `1h`, or milliseconds; default 1h. */
  cooldown: duration.default('1h'),
  actions: z.array(actionSchema).default([]),
})

const driftSchema = z.strictObject({
  /** Share of drifted columns at or above which the dataset drifted (default 0.5). */
  shareThreshold: z.number().min(0).max(1).optional(),
  correction: z.enum(['none', 'bonferroni', 'fdr']).optional(),
  /** Per column: the test and/or threshold instead of Evidently's default choice. */
  columns: z.record(z.string(), z.strictObject({ test: z.enum(DRIFT_TESTS).optional(), threshold: z.number().optional() })).optional(),
})

const configSchema = z.strictObject({
  model: z.string().min(1),
  deployment: z.string().min(1).optional(),
  version: z.union([z.string().min(1), z.number().int().positive()]).optional(),
  window: z.union([z.string().min(1), z.number().int().positive()]),
  from: time.optional(),
  to: time.optional(),
  /** watch: how far back the first run reads (default one window for time windows, 1d for count windows). */
  lookback: duration.optional(),
  drift: driftSchema.optional(),
  performance: z.strictObject({ minLabels: z.number().int().positive().optional() }).optional(),
  rules: z.array(ruleSchema).default([]),
})

const rulesFileSchema = z.union([z.array(ruleSchema), z.strictObject({ rules: z.array(ruleSchema) })])

export interface MonitorDriftConfig {
  shareThreshold?: number
  correction?: 'none' | 'bonferroni' | 'fdr'
  columns?: Record<string, { test?: DriftTestName; threshold?: number }>
}

/** A monitor config file, checked and resolved (durations in ms, times as epoch ms, secrets read). */
export interface MonitorConfig {
  model: string
  deployment?: string
  version?: string
  window: WindowSpec
  from?: number
  to?: number
  lookbackMs?: number
  drift?: MonitorDriftConfig
  minLabels?: number
  rules: AlertRule[]
}

/** Environment variables rules may take webhook secrets from (`secretEnv`); the CLI passes `process.env`. */
export type SecretSource = Readonly<Record<string, string | undefined>>

export function parseMonitorConfig(input: unknown, where = 'monitor config', env: SecretSource = {}): MonitorConfig {
  const parsed = configSchema.safeParse(input)
  if (!parsed.success) throw invalidParameter(`Invalid ${where}:\n${describeIssues(parsed.error.issues)}`)
  const raw = parsed.data
  const config: MonitorConfig = {
    model: raw.model,
    window: typeof raw.window === 'number' ? { kind: 'count', size: raw.window } : parseWindowSpec(raw.window),
    rules: raw.rules.map((rule) => toRule(rule, env, where)),
  }
  if (raw.deployment !== undefined) config.deployment = raw.deployment
  if (raw.version !== undefined) config.version = String(raw.version)
  if (raw.from !== undefined) config.from = parseTime(raw.from, `${where}: from`)
  if (raw.to !== undefined) config.to = parseTime(raw.to, `${where}: to`)
  if (config.from !== undefined && config.to !== undefined && config.from >= config.to) {
    throw invalidParameter(`Invalid ${where}: 'from' must be before 'to'.`)
  }
  if (raw.lookback !== undefined) config.lookbackMs = durationMs(raw.lookback)
  if (raw.drift !== undefined) config.drift = stripUndefined(raw.drift) as MonitorDriftConfig
  if (raw.performance?.minLabels !== undefined) config.minLabels = raw.performance.minLabels
  return config
}

/** A rules file: a YAML/JSON list of rules, or `{rules: [...]}`. */
export function parseRules(input: unknown, where = 'rules', env: SecretSource = {}): AlertRule[] {
  const parsed = rulesFileSchema.safeParse(input)
  if (!parsed.success) throw invalidParameter(`Invalid ${where}:\n${describeIssues(parsed.error.issues)}`)
  const list = Array.isArray(parsed.data) ? parsed.data : parsed.data.rules
  const names = new Set<string>()
  for (const rule of list) {
    if (names.has(rule.name)) throw invalidParameter(`Invalid ${where}: two rules are named '${rule.name}'; rule names must be unique (cooldowns are per rule).`)
    names.add(rule.name)
  }
  return list.map((rule) => toRule(rule, env, where))
}

export function readMonitorConfig(file: string, env: SecretSource = {}): MonitorConfig {
  return parseMonitorConfig(readDocument(file, 'monitor config'), `monitor config '${file}'`, env)
}

export function readRules(file: string, env: SecretSource = {}): AlertRule[] {
  return parseRules(readDocument(file, 'rules file'), `rules file '${file}'`, env)
}

/** Epoch ms, or an ISO 8601 date/time (`2024-05-01`, `2024-05-01T12:00:00Z`). */
export function parseTime(value: number | string, field: string): number {
  if (typeof value === 'number') return value
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw invalidParameter(`${field}: '${value}' is not a time; use epoch milliseconds or ISO 8601 (2024-05-01T12:00:00Z).`)
  return ms
}

function toRule(rule: z.infer<typeof ruleSchema>, env: SecretSource, where: string): AlertRule {
  return {
    name: rule.name,
    metric: rule.metric,
    comparison: rule.comparison,
    threshold: rule.threshold,
    severity: rule.severity,
    cooldownMs: durationMs(rule.cooldown),
    actions: rule.actions.map((action) => {
      if (action.kind === 'retrain') return { kind: 'retrain', pipeline: action.pipeline }
      const out: { kind: 'webhook'; url: string; secret?: string } = { kind: 'webhook', url: action.url }
      if (action.secretEnv !== undefined) {
        const secret = env[action.secretEnv]
        if (secret === undefined || secret === '') {
          throw invalidParameter(`Invalid ${where}: rule '${rule.name}' takes its webhook secret from $${action.secretEnv}, which is not set.`)
        }
        out.secret = secret
      } else if (action.secret !== undefined) out.secret = action.secret
      return out
    }),
  }
}

function durationMs(value: number | string): number {
  if (typeof value === 'number') return value
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(value)
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
  return Math.round(Number(match?.[1] ?? 0) * (units[match?.[2] ?? 'ms'] ?? 1))
}

function readDocument(file: string, what: string): unknown {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw invalidParameter(`Cannot read the ${what} '${file}': ${(error as Error).message}.`)
  }
  try {
    return /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw invalidParameter(`The ${what} '${file}' is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(error as Error).message}`)
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[')
      const field = path === '' ? '(top level)' : path
      if (issue.code === 'unrecognized_keys') return `  - ${field}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; see docs/monitoring.md.`
      if (issue.code === 'invalid_value') return `  - ${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`
      if (issue.code === 'invalid_type' && issue.input === undefined) return `  - ${field} is required (${issue.expected}).`
      return `  - ${field}: ${issue.message}.`
    })
    .join('\n')
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
