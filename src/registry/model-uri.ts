import { invalidParameter } from '../core/errors.js'
import type { ModelStage } from './types.js'
import { MODEL_STAGES } from './types.js'

/** What a `models:/` URI names: a version, the version an alias points to, the newest version, or the newest in a stage. */
export type ModelUri =
  | { kind: 'version'; name: string; version: string }
  | { kind: 'alias'; name: string; alias: string }
  | { kind: 'latest'; name: string }
  | { kind: 'stage'; name: string; stage: ModelStage }

const FORMS = 'models:/<name>@<alias>, models:/<name>/<version> or models:/<name>/latest'

/**
 * Parses `models:/fraud@champion`, `models:/fraud/3`, `models:/fraud/latest` and MLflow's legacy
 * `models:/fraud/Production` (newest version in that stage). Names cannot hold `/` or `@`, so the
 * split is unambiguous.
 */
export function parseModelUri(uri: string): ModelUri {
  if (typeof uri !== 'string' || !uri.startsWith('models:/')) {
    throw invalidParameter(`Invalid model URI '${String(uri)}': use ${FORMS}.`)
  }
  const path = uri.slice('models:/'.length).replace(/^\/+/, '')
  const fail = (why: string): never => {
    throw invalidParameter(`Invalid model URI '${uri}': ${why}. Use ${FORMS}.`)
  }
  const at = path.indexOf('@')
  if (at >= 0) {
    const name = path.slice(0, at)
    const alias = path.slice(at + 1)
    if (name === '' || name.includes('/')) fail('the model name before @ is missing or holds a /')
    if (alias === '' || alias.includes('/') || alias.includes('@')) fail('the alias after @ is missing or malformed')
    return { kind: 'alias', name, alias }
  }
  const parts = path.split('/')
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return fail('it names no version or alias')
  }
  const name = parts[0]!
  const ref = parts[1]!
  if (/^\d+$/.test(ref)) {
    if (Number(ref) < 1) fail('versions start at 1')
    return { kind: 'version', name, version: String(Number(ref)) }
  }
  if (ref.toLowerCase() === 'latest') return { kind: 'latest', name }
  const stage = MODEL_STAGES.find((s) => s.toLowerCase() === ref.toLowerCase())
  if (stage !== undefined) return { kind: 'stage', name, stage }
  return fail(`'${ref}' is neither a version number nor 'latest'`)
}

/** The URI of a version or of an alias (names are used verbatim, as MLflow does). */
export function formatModelUri(name: string, ref: { version: string } | { alias: string }): string {
  return 'alias' in ref ? `models:/${name}@${ref.alias}` : `models:/${name}/${ref.version}`
}
