/** What a command writes to; tests pass buffers, `main` passes the process's streams. */
export interface CliIo {
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
  env: Readonly<Record<string, string | undefined>>
  /** Told about a server `keel server` started (tests close it; the process's signals do otherwise). */
  onServerStarted?: (server: { url: string; close(): Promise<void> }) => void
}

export type Cell = string | number | null | undefined

/**
 * Renders command results: aligned text tables for people, JSON (`--json`) for scripts. JSON keeps
 * non-finite metric values as "NaN"/"Infinity"/"-Infinity", as keel's wire does, instead of `null`.
 */
export class Output {
  constructor(
    private readonly io: CliIo,
    readonly json: boolean,
  ) {}

  line(text = ''): void {
    this.io.stdout.write(`${text}\n`)
  }

  /** A note for people (hints, paging); goes to stderr so stdout stays parseable. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`)
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${toJson(value)}\n`)
  }

  table(headers: readonly string[], rows: readonly (readonly Cell[])[], empty = '(none)'): void {
    if (rows.length === 0) {
      this.line(empty)
      return
    }
    this.io.stdout.write(formatTable(headers, rows))
  }

  /** `label  value` pairs, labels aligned; undefined values are skipped. */
  fields(pairs: readonly (readonly [string, Cell])[]): void {
    const shown = pairs.filter(([, v]) => v !== undefined)
    const width = Math.max(0, ...shown.map(([label]) => label.length))
    for (const [label, value] of shown) this.line(`${`${label}:`.padEnd(width + 2)}${cellText(value)}`)
  }

  section(title: string): void {
    this.line()
    this.line(title)
  }
}

export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const texts = rows.map((row) => headers.map((_, i) => cellText(row[i])))
  const widths = headers.map((h, i) => Math.max(h.length, ...texts.map((row) => row[i]?.length ?? 0)))
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [render(headers), ...texts.map(render)].join('\n') + '\n'
}

export function cellText(value: Cell): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'number') return formatNumber(value)
  return value.replace(/[\r\n\t]+/g, ' ')
}

export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity'
  return String(value)
}

/** Milliseconds since the epoch as `2024-05-01 12:30:00` (UTC), `-` when absent. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms <= 0) return '-'
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '')
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '-'
  if (ms < 1000) return `${ms}ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  return `${h}h${String(m % 60).padStart(2, '0')}m`
}

export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? formatNumber(v) : v),
    2,
  )
}
