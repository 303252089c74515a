import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/support/temp-dir.js'
import { captureEnvironment, gitCommit } from './environment.js'

const SHA_A = 'a'.repeat(40)
const SHA_B = '0123456789abcdef0123456789abcdef01234567'

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
}

describe('captureEnvironment', () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir('keel-env-')
  })
  afterEach(() => dir.remove())

  it('records node, keel, platform and the lockfile hash', async () => {
    const lock = '{"lockfileVersion":3}\n'
    write(join(dir.path, 'package-lock.json'), lock)
    const keelVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
    expect(await captureEnvironment({ cwd: dir.path })).toEqual({
      node: process.version,
      keel: keelVersion,
      platform: `${process.platform}-${process.arch}`,
      lockfileHash: createHash('sha256').update(lock).digest('hex'),
    })
  })

  it('leaves the lockfile hash out when there is none', async () => {
    const env = await captureEnvironment({ cwd: dir.path })
    expect(env).not.toHaveProperty('lockfileHash')
    expect(env.node).toMatch(/^v\d+\./)
  })
})

describe('gitCommit', () => {
  let dir: ReturnType<typeof tempDir>
  beforeEach(() => {
    dir = tempDir('keel-git-')
  })
  afterEach(() => dir.remove())

  it('follows HEAD to a loose branch ref, also from a subdirectory', async () => {
    write(join(dir.path, '.git/HEAD'), 'ref: refs/heads/main\n')
    write(join(dir.path, '.git/refs/heads/main'), `${SHA_A}\n`)
    mkdirSync(join(dir.path, 'src/deep'), { recursive: true })
    expect(await gitCommit(dir.path)).toBe(SHA_A)
    expect(await gitCommit(join(dir.path, 'src/deep'))).toBe(SHA_A)
  })

  it('reads packed-refs when the branch has no loose ref', async () => {
    write(join(dir.path, '.git/HEAD'), 'ref: refs/heads/release\n')
    write(
      join(dir.path, '.git/packed-refs'),
      `# pack-refs with: peeled fully-peeled sorted\n${SHA_A} refs/heads/main\n${SHA_B} refs/heads/release\n^${SHA_A}\n`,
    )
    expect(await gitCommit(dir.path)).toBe(SHA_B)
  })

  it('returns a detached HEAD as is', async () => {
    write(join(dir.path, '.git/HEAD'), `${SHA_B}\n`)
    expect(await gitCommit(dir.path)).toBe(SHA_B)
  })

  it('follows a worktree .git file to its gitdir and the common refs', async () => {
    const main = join(dir.path, 'main')
    write(join(main, '.git/refs/heads/feature'), `${SHA_B}\n`)
    write(join(main, '.git/worktrees/wt/HEAD'), 'ref: refs/heads/feature\n')
    write(join(main, '.git/worktrees/wt/commondir'), '../..\n')
    write(join(dir.path, 'wt/.git'), `gitdir: ${join(main, '.git/worktrees/wt')}\n`)
    expect(await gitCommit(join(dir.path, 'wt'))).toBe(SHA_B)
  })

  it('is undefined outside a repository and on a branch with no commit', async () => {
    expect(await gitCommit(dir.path)).toBeUndefined()
    write(join(dir.path, '.git/HEAD'), 'ref: refs/heads/main\n')
    expect(await gitCommit(dir.path)).toBeUndefined()
    write(join(dir.path, '.git/refs/heads/main'), 'not a sha\n')
    expect(await gitCommit(dir.path)).toBeUndefined()
  })
})
