import { Command, InvalidArgumentError, Option } from 'commander'
import { DEFAULT_STORE_URI, openStores } from '../store/open-stores.js'
import type { OpenStoresOptions, Stores } from '../store/open-stores.js'
import type { HttpAuth } from '../store/http/http-transport.js'
import { Output } from './output.js'
import type { CliIo } from './output.js'

/** Options every store-backed command takes. */
export interface StoreOptions {
  store?: string
  artifacts?: string
  json?: boolean
}

/** What a command action gets: its output, and the stores opened from `--store` / `KEEL_STORE`. */
export interface CommandContext {
  io: CliIo
  /** Exit code `main` returns; actions set it for "ran, but found nothing" style outcomes. */
  exitCode: number
}

/** Adds `--store` and `--artifacts` (and `--json` when the command prints results) to a command. */
export function withStoreOptions(command: Command, options: { json?: boolean } = {}): Command {
  command
    .addOption(
      new Option('--store <uri>', `metadata store: sqlite:<file>, postgres://..., http(s)://<keel server> (env: KEEL_STORE, default: ${DEFAULT_STORE_URI})`),
    )
    .addOption(new Option('--artifacts <dir>', 'artifact root for SQL stores (env: KEEL_ARTIFACTS, default: beside the SQLite file)'))
  if (options.json !== false) command.option('--json', 'print JSON instead of a table')
  return command
}

export function resolveStoreUri(options: StoreOptions, env: CliIo['env']): string {
  return options.store ?? nonEmpty(env['KEEL_STORE']) ?? DEFAULT_STORE_URI
}

export function resolveOpenOptions(options: StoreOptions, env: CliIo['env']): OpenStoresOptions {
  const open: OpenStoresOptions = {}
  const artifacts = options.artifacts ?? nonEmpty(env['KEEL_ARTIFACTS'])
  if (artifacts !== undefined) open.artifactsRoot = artifacts
  const auth = authFromEnv(env)
  if (auth !== undefined) open.http = { auth }
  return open
}

/** Credentials for a keel server, named like MLflow's variables. */
function authFromEnv(env: CliIo['env']): HttpAuth | undefined {
  const token = nonEmpty(env['KEEL_TRACKING_TOKEN'])
  if (token !== undefined) return { token }
  const username = nonEmpty(env['KEEL_TRACKING_USERNAME'])
  if (username !== undefined) return { username, password: env['KEEL_TRACKING_PASSWORD'] ?? '' }
  return undefined
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

/** Opens the stores for one command and always closes them, whatever the command throws. */
export async function withStores<T>(
  ctx: CommandContext,
  options: StoreOptions,
  fn: (stores: Stores, out: Output) => Promise<T>,
): Promise<T> {
  const stores = await openStores(resolveStoreUri(options, ctx.io.env), resolveOpenOptions(options, ctx.io.env))
  try {
    return await fn(stores, new Output(ctx.io, options.json === true))
  } finally {
    await stores.close()
  }
}

/** `--max-results 50` → 50; anything but a positive integer is a usage error. */
export function positiveInt(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError('expected a positive integer.')
  }
  return n
}

/** Repeatable option collector: `--order-by a --order-by b` → `['a', 'b']`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** `30d`, `12h`, `90m`, `45s`, `500ms`, `1w`, `0` → milliseconds; anything else is a usage error. */
export function parseDuration(value: string): number {
  const text = value.trim()
  if (text === '0') return 0
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text)
  const unit = match?.[2]
  if (match === null || unit === undefined) {
    throw new InvalidArgumentError("expected a duration such as 30d, 12h, 90m, 45s or 0.")
  }
  return Math.round(Number(match[1]) * (DURATION_UNITS[unit] ?? 1))
}

/** `k=v` → a tag; a usage error otherwise. */
export function keyValue(value: string, previous: Array<{ key: string; value: string }> | undefined): Array<{ key: string; value: string }> {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new InvalidArgumentError("expected key=value.")
  return [...(previous ?? []), { key: value.slice(0, eq), value: value.slice(eq + 1) }]
}

/** Help text after a command's own: a line on what it does and examples. */
export function examples(command: Command, lines: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`)
}
