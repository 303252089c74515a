import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import ts from 'typescript'
import { afterEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/support/temp-dir.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

/** Transpiles the modules the forest needs to plain JS (as the build does), keeping the src/ layout. */
function compile(out: string): void {
  const files = [
    ...['src/core/errors.ts', 'src/core/frame.ts', 'src/core/random.ts', 'src/core/start-worker.ts', 'src/models/predictor.ts'],
    ...readdirSync(join(root, 'src/models/tree'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => `src/models/tree/${f}`),
  ]
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8')
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    })
    const target = join(out, file.replace(/\.ts$/, '.js'))
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, outputText)
  }
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }))
}

const script = `
import { Frame, numericColumn } from './src/core/frame.js'
import { randomForest } from './src/models/tree/index.js'
const n = 400
const x = Float64Array.from({ length: n }, (_, i) => (i * 37) % 101)
const y = Float64Array.from(x, (v) => (v > 50 ? 1 : 0))
const frame = new Frame([numericColumn('x', x), numericColumn('y', y)])
let events = 0
const model = await randomForest.fit(frame, 'y', 'classification', randomForest.resolveParams({ nTrees: 6, threads: 2 }), { progress: () => events++ })
process.stdout.write(JSON.stringify({ events, low: model.predictRow({ x: 10 }), high: model.predictRow({ x: 90 }) }))
`

describe('random-forest from compiled JavaScript', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  afterEach(() => dir?.remove())

  it('starts forest-worker.js on 2 threads in plain node (no TypeScript loader) and exits when done', async () => {
    dir = tempDir('keel-tree-js-')
    compile(dir.path)
    writeFileSync(join(dir.path, 'main.mjs'), script)
    // The process exiting on its own shows the workers were terminated.
    const { stdout } = await promisify(execFile)(process.execPath, ['main.mjs'], { cwd: dir.path, timeout: 20_000 })
    expect(JSON.parse(stdout)).toEqual({ events: 6, low: 0, high: 1 })
  })
})
