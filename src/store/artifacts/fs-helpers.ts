import type { Dirent, Stats } from 'node:fs'
import { lstat, open, readdir, rmdir, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'

/** The `code` of a Node system error (`ENOENT`, ...), or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code: unknown = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** `stat` that answers undefined when nothing is there. */
export async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path)
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw error
  }
}

/**
 * Makes a rename or create in `dir` durable. Best effort: some platforms cannot open or fsync a
 * directory, and there the rename's own ordering is all we get.
 */
export async function syncDir(dir: string): Promise<void> {
  let handle
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (error) {
    const code = errnoCode(error)
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error
  } finally {
    await handle?.close()
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight, so huge directories never exhaust fds. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++] as T
      try {
        await fn(item)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const workers: Promise<void>[] = []
  for (let i = 0; i < Math.min(limit, items.length); i++) workers.push(worker())
  await Promise.all(workers)
}

/** Directory entries, or none when the directory does not exist (or is a file). */
export async function readdirOrEmpty(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true })
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw error
  }
}

/** Unlinks `file`; 1 if this call removed it, 0 if it was already gone. */
export async function unlinkCounting(file: string): Promise<number> {
  try {
    await unlink(file)
    return 1
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return 0
    throw error
  }
}

/** Removes a directory tree, counting the files it removed; entries added concurrently may survive. */
export async function removeTree(dir: string, concurrency: number): Promise<number> {
  const entries = await readdirOrEmpty(dir)
  const files: string[] = []
  let removed = 0
  for (const entry of entries) {
    if (entry.isDirectory()) removed += await removeTree(join(dir, entry.name), concurrency)
    else files.push(join(dir, entry.name))
  }
  await forEachLimit(files, concurrency, async (file) => {
    const count = await unlinkCounting(file) // not `removed += await`: that reads `removed` before awaiting
    removed += count
  })
  await rmdirIfEmpty(dir)
  return removed
}

/** `rmdir` that quietly keeps directories someone else just filled (or already removed). */
export async function rmdirIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir)
    return true
  } catch (error) {
    const code = errnoCode(error)
    if (code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST') return false
    throw error
  }
}

/** Removes `file` if it is a regular file last modified at or before `cutoff`; returns the bytes freed. */
export async function removeIfOlder(file: string, cutoff: number): Promise<number | undefined> {
  let stats: Stats
  try {
    stats = await lstat(file)
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined
    throw error
  }
  // Floor: a file written in the current millisecond has a fractional mtime above `Date.now()`.
  if (!stats.isFile() || Math.floor(stats.mtimeMs) > cutoff) return undefined
  return (await unlinkCounting(file)) === 1 ? stats.size : undefined
}
