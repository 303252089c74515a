import type { ReadProgress } from './read-options.js'

export interface ProgressStream {
  readonly isTTY?: boolean
  readonly columns?: number
  write(text: string): unknown
}

export interface ProgressBar {
  (progress: ReadProgress): void
  /** Ends the bar's line (only when one was drawn). */
  done(): void
}

/**
 * An `onProgress` callback that draws `[#####     ]  42%  1,234,567 rows` on one line, redrawn in place,
 * only when `stream` is a terminal (piped output and CI logs stay clean). Redraws at most once per percent.
 */
export function progressBar(stream: ProgressStream = process.stderr, label = 'reading'): ProgressBar {
  let lastKey = ''
  let drawn = false
  const bar = ((progress: ReadProgress): void => {
    if (stream.isTTY !== true) return
    const total = progress.totalBytes
    const fraction = total !== undefined && total > 0 ? Math.min(1, progress.bytes / total) : undefined
    const key = fraction === undefined ? String(Math.floor(progress.rows / 100_000)) : String(Math.floor(fraction * 100))
    if (key === lastKey) return
    lastKey = key
    const rows = `${progress.rows.toLocaleString('en-US')} rows`
    let line: string
    if (fraction === undefined) line = `${label} ${rows}`
    else {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30))
      const filled = Math.round(fraction * width)
      line = `${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${rows}`
    }
    stream.write(`\r${line}\x1b[K`)
    drawn = true
  }) as ProgressBar
  bar.done = (): void => {
    if (drawn) stream.write('\n')
    drawn = false
  }
  return bar
}
