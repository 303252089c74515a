import { expect } from 'vitest'
import type { Clock, manualClock } from '../../src/core/clock.js'
import type { ErrorCode } from '../../src/core/errors.js'
import type { RegistryStore } from '../../src/registry/registry-store.js'

export type ManualClock = ReturnType<typeof manualClock>

export interface RegistryStoreHandle {
  store: RegistryStore
  close(): Promise<void>
}

/** Builds a fresh, empty store per test around the given clock. */
export type MakeRegistryStore = (clock: Clock) => Promise<RegistryStoreHandle>

/** What the contract parts share: the current test's store and clock. */
export interface ContractContext {
  store(): RegistryStore
  clock(): ManualClock
}

export async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: string | RegExp): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, `expected ${code}`).toBeDefined()
  expect((error as { code?: unknown }).code).toBe(code)
  if (message !== undefined) expect((error as Error).message).toMatch(message)
}

/** Every page of a search, following page tokens (bounded so a broken token cannot loop). */
export async function allPages<T>(
  search: (pageToken: string | undefined) => Promise<{ items: T[]; nextPageToken?: string }>,
): Promise<{ items: T[]; pages: number }> {
  const items: T[] = []
  let token: string | undefined
  for (let pages = 1; pages <= 1000; pages++) {
    const page = await search(token)
    items.push(...page.items)
    if (page.nextPageToken === undefined) return { items, pages }
    token = page.nextPageToken
  }
  throw new Error('more than 1000 pages')
}

