import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from './run-cli.js'
import { tempDir } from './temp-dir.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
export const XGB_BINARY = join(FIXTURES, 'xgboost', 'binary.model.json')
export const XGB_MULTICLASS = join(FIXTURES, 'xgboost', 'multiclass.model.json')
export const ONNX_MLP = join(FIXTURES, 'onnx', 'mlp.onnx')

/** The committed XGBoost binary fixture: its features, input rows (null = missing) and XGBoost's probabilities. */
export function xgbBinaryExpected(): { features: string[]; inputs: Array<Array<number | null>>; probabilities: number[] } {
  const raw = JSON.parse(readFileSync(join(FIXTURES, 'xgboost', 'binary.expected.json'), 'utf8')) as Record<string, unknown>
  const probabilities = (raw['probabilities'] ?? raw['predictions'] ?? raw['proba']) as number[] | number[][]
  return {
    features: raw['features'] as string[],
    inputs: raw['inputs'] as Array<Array<number | null>>,
    probabilities: probabilities.map((p) => (Array.isArray(p) ? p[p.length - 1]! : p)),
  }
}

export interface ServingStore {
  /** `sqlite:` URI of a fresh store. */
  storeUri: string
  dir: string
  remove: () => void
}

/**
 * A fresh SQLite store with real registered models, made through `keel models import` exactly as a user would:
 * - `fraud` v1 and v2: the XGBoost binary fixture (v2 is the same file, so answers are equal and only the version
 *   differs); aliases `champion` → 1, `challenger` → 2.
 * - `mlp` v1: the ONNX MLP fixture, its `[batch, 8]` input named as columns f0 … f7 (3 class probabilities); alias
 *   `champion` → 1.
 */
export async function servingStore(): Promise<ServingStore> {
  const dir = tempDir('keel-serving-')
  const storeUri = `sqlite:${join(dir.path, 'keel.db')}`
  const env = { KEEL_STORE: storeUri }
  const run = async (args: string[]): Promise<void> => {
    const result = await runCli(args, env)
    if (result.code !== 0) throw new Error(`keel ${args.join(' ')} failed (${result.code}): ${result.stderr}`)
  }
  await run(['models', 'import', '--name', 'fraud', '--format', 'xgboost', XGB_BINARY])
  await run(['models', 'import', '--name', 'fraud', '--format', 'xgboost', XGB_BINARY])
  await run(['models', 'import', '--name', 'mlp', '--format', 'onnx', ONNX_MLP, '--columns', 'f0,f1,f2,f3,f4,f5,f6,f7'])
  await run(['models', 'alias', 'set', 'fraud', 'champion', '1'])
  await run(['models', 'alias', 'set', 'fraud', 'challenger', '2'])
  await run(['models', 'alias', 'set', 'mlp', 'champion', '1'])
  return { storeUri, dir: dir.path, remove: dir.remove }
}
