import type { ReadProgress } from '../data/read-options.js'

export interface ScoringProgressStream {
  readonly isTTY?: boolean
  write(text: string): unknown
}

export interface ScoringProgress {
  (progress: ReadProgress): void
  /** Ends the line (only when one was drawn). */
  done(): void
}

/**
 * `scoring [#####     ]  42%  1,234,567 rows  512,345 rows/s`, redrawn in place on a terminal (at most every
 * `everyMs`), or one plain line per update when `force` is set and the stream is not a terminal (CI logs).
 * Silent otherwise. `now` is injectable for tests.
 */
export function scoringProgress(stream: ScoringProgressStream, options: { force?: boolean; now?: () => number; everyMs?: number } = {}): ScoringProgress {
  const now = options.now ?? (() => performance.now())
  const tty = stream.isTTY === true
  const enabled = tty || options.force === true
  const everyMs = options.everyMs ?? (tty ? 100 : 2000)
  const started = now()
  let last = -Infinity
  let drawn = false
  const draw = (progress: ReadProgress, final: boolean): void => {
    const t = now()
    if (!final && t - last < everyMs) return
    last = t
    const seconds = (t - started) / 1000
    const rate = seconds > 0 ? Math.round(progress.rows / seconds) : 0
    const total = progress.totalBytes
    const fraction = total !== undefined && total > 0 ? Math.min(1, progress.bytes / total) : undefined
    const bar = fraction === undefined ? '' : `[${'#'.repeat(Math.round(fraction * 20)).padEnd(20)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  `
    const line = `scoring ${bar}${progress.rows.toLocaleString('en-US')} rows  ${rate.toLocaleString('en-US')} rows/s`
    if (tty) {
      stream.write(`\r${line}\x1b[K`)
      drawn = true
    } else stream.write(`${line}\n`)
  }
  let latest: ReadProgress | undefined
  const update = ((progress: ReadProgress): void => {
    if (!enabled) return
    latest = progress
    draw(progress, false)
  }) as ScoringProgress
  update.done = (): void => {
    if (!enabled || latest === undefined) return
    if (last !== now()) draw(latest, true)
    latest = undefined
    if (drawn) stream.write('\n')
    drawn = false
  }
  return update
}
