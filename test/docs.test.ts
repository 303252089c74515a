import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { EXIT, main } from '../src/cli/main.js'
import type { CliIo } from '../src/cli/output.js'
import { ERROR_CATALOGUE } from '../src/core/error-catalogue.js'
import { ERROR_STATUS } from '../src/core/errors.js'
import type { ErrorCode } from '../src/core/errors.js'
import { HELP_WIDTH, anchorOf, collectCommandHelp, generateDocs, renderCliDoc } from '../scripts/gen-docs.js'

const REGENERATE = 'run npx tsx scripts/gen-docs.ts'

function committed(path: string): string | undefined {
  try {
    return readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
  } catch {
    return undefined
  }
}

describe('generated docs', () => {
  it.each(generateDocs().map((doc) => [doc.path, doc.text] as const))('%s matches the code', (path, text) => {
    const onDisk = committed(path)
    expect(onDisk, `${path} is missing: ${REGENERATE}`).toBeDefined()
    expect(onDisk, `${path} is out of date with the code: ${REGENERATE}`).toBe(text)
  })

  it('docs/errors.md has a row for every catalogue code, with its HTTP status', () => {
    const errorsMd = committed('docs/errors.md') ?? ''
    for (const code of Object.keys(ERROR_CATALOGUE) as ErrorCode[]) {
      const row = errorsMd.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))
      expect(row, `no row for ${code} in docs/errors.md: ${REGENERATE}`).toBeDefined()
      expect(row).toContain(`| ${ERROR_STATUS[code]} |`)
      expect(row).toContain(ERROR_CATALOGUE[code].fix)
    }
  })

  it('docs/cli.md has a section for every command and subcommand, and keeps the hand-written session', () => {
    const cliMd = committed('docs/cli.md') ?? ''
    const commands = collectCommandHelp()
    // The tree has the groups and their leaves, down to `keel models alias set`.
    expect(commands.map((c) => c.path.join(' '))).toEqual(
      expect.arrayContaining(['keel', 'keel runs search', 'keel models alias set', 'keel gc', 'keel server']),
    )
    for (const { path } of commands) {
      expect(cliMd).toContain(`\n### ${path.join(' ')}\n`)
      expect(cliMd).toContain(`](#${anchorOf(path)})`)
      expect(cliMd).toContain(`Usage: ${path.join(' ')} `)
    }
    expect(cliMd).toMatch(/^## Examples of a typical session$/m)
    expect(cliMd.indexOf('## Examples of a typical session')).toBeLessThan(cliMd.indexOf('## Command reference'))
  })

  describe('help text', () => {
    afterEach(() => {
      vi.unstubAllEnvs()
    })

    it('does not depend on the terminal the generator runs in (width, colours)', () => {
      const plain = renderCliDoc()
      expect(plain).not.toMatch(/\u001b\[/)
      // Pretend to be a wide colour terminal: commander would follow it unless the generator pins both.
      vi.stubEnv('FORCE_COLOR', '3')
      const stdout = process.stdout as { isTTY?: boolean; columns?: number }
      const saved = { isTTY: Object.getOwnPropertyDescriptor(stdout, 'isTTY'), columns: Object.getOwnPropertyDescriptor(stdout, 'columns') }
      Object.defineProperty(stdout, 'isTTY', { value: true, configurable: true, writable: true })
      Object.defineProperty(stdout, 'columns', { value: HELP_WIDTH * 3, configurable: true, writable: true })
      try {
        expect(renderCliDoc()).toBe(plain)
      } finally {
        for (const key of ['isTTY', 'columns'] as const) {
          const descriptor = saved[key]
          if (descriptor === undefined) delete stdout[key]
          else Object.defineProperty(stdout, key, descriptor)
        }
      }
    })

    it.skipIf(process.stdout.isTTY === true)('is what `<command> --help` prints, for every command', async () => {
      vi.stubEnv('NO_COLOR', '1')
      for (const { path, help } of collectCommandHelp()) {
        let stdout = ''
        const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, env: {} }
        const code = await main(['node', ...path, '--help'], io)
        expect(code, path.join(' ')).toBe(EXIT.ok)
        expect(stdout, path.join(' ')).toBe(help)
      }
    })
  })
})
