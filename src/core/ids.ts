import { randomUUID } from 'node:crypto'

/** MLflow run ids are 32 lowercase hex characters (a uuid4 without dashes). */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '')
}

/** Logged-model ids look like MLflow 3's: `m-` and 32 hex characters. */
export function newLoggedModelId(): string {
  return `m-${newRunId()}`
}

export function newId(prefix: string): string {
  return `${prefix}-${newRunId().slice(0, 20)}`
}
