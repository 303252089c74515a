/**
 * Writes docs/cli.md, docs/errors.md and docs/http-api.md from the code (the commander program, ERROR_STATUS,
 * ERROR_CATALOGUE, the HTTP endpoint catalogue), so the reference cannot drift from what keel does. Run
 * `npx tsx scripts/gen-docs.ts` after changing a command, an error code or an endpoint; test/docs.test.ts fails
 * until the committed files match.
 * Hand-written prose lives in the generator (scripts/docs/), so regenerating never loses it.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cliDoc } from './docs/cli-doc.js'
import { errorsDoc } from './docs/errors-doc.js'
import { httpApiDoc } from './docs/http-api-doc.js'

export interface GeneratedDoc {
  /** Relative to the repository root. */
  path: string
  text: string
}

export function generateDocs(): GeneratedDoc[] {
  return [
    { path: 'docs/cli.md', text: cliDoc() },
    { path: 'docs/errors.md', text: errorsDoc() },
    { path: 'docs/http-api.md', text: httpApiDoc() },
  ]
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

function writeDocs(): void {
  for (const doc of generateDocs()) {
    const file = resolve(REPO_ROOT, doc.path)
    let before: string | undefined
    try {
      before = readFileSync(file, 'utf8')
    } catch {
      before = undefined
    }
    if (before === doc.text) {
      console.log(`${doc.path}: up to date`)
      continue
    }
    writeFileSync(file, doc.text)
    console.log(`${doc.path}: written`)
  }
}

// Only when run as a script: the test imports generateDocs without writing anything.
const script = process.argv[1]
if (script !== undefined && import.meta.url === pathToFileURL(resolve(script)).href) writeDocs()
