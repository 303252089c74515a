import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EnvironmentLock } from './types.js'

/** Directories walked up at most, so a broken filesystem cannot loop us. */
const MAX_DEPTH = 64

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/** keel's own version, from the package.json named `keel` above this module (src/ or dist/). */
async function keelVersion(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < MAX_DEPTH; i++) {
    const text = await readText(join(dir, 'package.json'))
    if (text !== undefined) {
      try {
        const pkg = JSON.parse(text) as { name?: unknown; version?: unknown }
        if (pkg.name === 'keel' && typeof pkg.version === 'string') return pkg.version
      } catch {
        // not JSON: keep walking
      }
    }
    const parent = dirname(dir)
    if (parent === dir) break
    dir = parent
  }
  return 'unknown'
}

/**
 * The environment a model is trained in, recorded in its version's lineage: Node and keel versions,
 * the platform, and the sha256 of `package-lock.json` in `cwd` when there is one.
 */
export async function captureEnvironment(options: { cwd: string }): Promise<EnvironmentLock> {
  const lock: EnvironmentLock = {
    node: process.version,
    keel: await keelVersion(),
    platform: `${process.platform}-${process.arch}`,
  }
  try {
    const bytes = await readFile(join(options.cwd, 'package-lock.json'))
    lock.lockfileHash = createHash('sha256').update(bytes).digest('hex')
  } catch {
    // no lockfile: nothing to pin
  }
  return lock
}

/** The git directory of the checkout holding `cwd` (follows `.git` files of worktrees and submodules). */
async function findGitDir(cwd: string): Promise<string | undefined> {
  let dir = resolve(cwd)
  for (let i = 0; i < MAX_DEPTH; i++) {
    const candidate = join(dir, '.git')
    const info = await stat(candidate).catch(() => undefined)
    if (info?.isDirectory()) return candidate
    if (info?.isFile()) {
      const match = /^gitdir:\s*(.+)$/m.exec((await readText(candidate)) ?? '')
      if (match?.[1] !== undefined) {
        const target = match[1].trim()
        return isAbsolute(target) ? target : resolve(dir, target)
      }
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
  return undefined
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/

async function resolveRef(gitDir: string, ref: string): Promise<string | undefined> {
  // Worktrees keep HEAD locally but branches in the common directory.
  const common = (await readText(join(gitDir, 'commondir')))?.trim()
  const dirs = common ? [gitDir, isAbsolute(common) ? common : resolve(gitDir, common)] : [gitDir]
  for (const dir of dirs) {
    const loose = (await readText(join(dir, ref)))?.trim()
    if (loose !== undefined && SHA.test(loose)) return loose
    const packed = await readText(join(dir, 'packed-refs'))
    for (const line of packed?.split('\n') ?? []) {
      const [sha, name] = line.trim().split(' ')
      if (name === ref && sha !== undefined && SHA.test(sha)) return sha
    }
  }
  return undefined
}

/**
 * The commit checked out in the git repository holding `cwd`, read from `.git/HEAD`, loose refs and
 * packed-refs without running git; undefined outside a repository or on a branch with no commit yet.
 */
export async function gitCommit(cwd: string): Promise<string | undefined> {
  const gitDir = await findGitDir(cwd)
  if (gitDir === undefined) return undefined
  const head = (await readText(join(gitDir, 'HEAD')))?.trim()
  if (head === undefined) return undefined
  if (SHA.test(head)) return head // detached HEAD
  const ref = /^ref:\s*(\S+)$/.exec(head)?.[1]
  return ref === undefined ? undefined : resolveRef(gitDir, ref)
}
