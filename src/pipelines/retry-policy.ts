import type { StepSpec } from './types.js'

export const DEFAULT_RETRIES = 2
export const DEFAULT_BACKOFF_MS = 500
/** Retry delays stop growing here, so a step with many retries does not wait for hours. */
export const MAX_BACKOFF_MS = 5 * 60_000

/** Waits `ms`, or rejects early when `signal` aborts (cancellation during a backoff). Injected in tests. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason)
      return
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })

/** Whether attempt number `attempt` (1-based) failing may be followed by another. */
export function canRetry(spec: Pick<StepSpec, 'retries'>, attempt: number, retryable: boolean): boolean {
  return retryable && attempt <= (spec.retries ?? DEFAULT_RETRIES)
}

/**
 * The delay before attempt `attempt + 1`: backoff × 2^(attempt-1), with "equal jitter" (half fixed, half
 * random) so retries of many steps failing together on one cause (a busy database) spread out.
 */
export function backoffDelay(spec: Pick<StepSpec, 'backoffMs'>, attempt: number, random: () => number): number {
  const base = Math.min(MAX_BACKOFF_MS, (spec.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** Math.max(0, attempt - 1))
  return Math.round(base / 2 + random() * (base / 2))
}
