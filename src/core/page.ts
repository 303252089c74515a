import { invalidParameter } from './errors.js'

/** One page of results and the token for the next one (absent on the last page). */
export interface Page<T> {
  items: T[]
  nextPageToken?: string
}

/** Page tokens are opaque base64url JSON so adapters can carry an offset or a keyset cursor. */
export function encodePageToken(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

export function decodePageToken(token: string | undefined): Record<string, unknown> | undefined {
  if (token === undefined || token === '') return undefined
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>
    }
  } catch {
    // fall through to the error below
  }
  throw invalidParameter(`Invalid page token '${token.slice(0, 64)}': pass the next_page_token of a previous response.`)
}

export function offsetFromToken(token: string | undefined): number {
  const decoded = decodePageToken(token)
  if (decoded === undefined) return 0
  const offset = decoded['offset']
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw invalidParameter('Invalid page token: it does not hold an offset.')
  }
  return offset
}
