import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Reads test/fixtures/evaluation/<name>, written by make_metrics.py. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/evaluation/${name}`, import.meta.url)), 'utf8')) as T
}
