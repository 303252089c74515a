import type { StepRunRecord } from '../types.js'

function duration(step: StepRunRecord): string {
  if (step.startedAt === undefined || step.finishedAt === undefined) return '—'
  const ms = step.finishedAt - step.startedAt
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
}

function cell(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width)
}

/**
 * One line per step: status, attempts, wall time, worker and the cache verdict (what `keel pipeline show` and the
 * fraud example print). `order` (the definition's step names) keeps the pipeline's order; stored order otherwise.
 */
export function stepTable(steps: readonly StepRunRecord[], order?: readonly string[]): string {
  const rank = new Map((order ?? []).map((name, i) => [name, i]))
  const sorted = [...steps].sort((a, b) => (rank.get(a.step) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.step) ?? Number.MAX_SAFE_INTEGER))
  const nameWidth = Math.max(4, ...sorted.map((s) => s.step.length))
  const lines = [`${'STEP'.padEnd(nameWidth)}  ${'STATUS'.padEnd(9)}  ${'ATTEMPTS'.padEnd(8)}  ${'TIME'.padEnd(8)}  ${'WORKER'.padEnd(12)}  CACHE / ERROR`]
  for (const s of sorted) {
    const attempts = String(Math.max(s.attempts.length, s.status === 'cached' ? 0 : s.attempt))
    const note = s.status === 'failed' || s.status === 'cancelled' ? (s.error ?? '').split('\n')[0] ?? '' : s.cacheReason
    lines.push(`${s.step.padEnd(nameWidth)}  ${s.status.padEnd(9)}  ${attempts.padEnd(8)}  ${duration(s).padEnd(8)}  ${cell(s.worker ?? '—', 12)}  ${note}`)
  }
  return lines.join('\n')
}
