import type { Page } from '../../core/page.js'

export const API = '/api/2.0/mlflow'
export const KEEL = '/api/keel/v1'

/** Builds a request body with only the fields that are set (MLflow leaves unset proto fields out). */
export function body(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value
  return out
}

/** A response list and its `next_page_token` as a `Page` (an empty token means the last page). */
export function page<T>(items: T[], token: unknown): Page<T> {
  return typeof token === 'string' && token !== '' ? { items, nextPageToken: token } : { items }
}
