import { createHash } from 'node:crypto'
import type { StepKind, StepSpec, StepValue } from './types.js'
import { isArtifactRef } from './value-types.js'

/**
 * Step caching: a step reruns only when its code version, its inputs or its cache-relevant settings change.
 * Artifacts count by content digest, not location, so a dataset copied elsewhere still hits, and a file
 * rewritten in place misses (KFP and ZenML users' most common caching surprise is the opposite).
 */

/** Bump when the way keys are computed changes, so old keys stop matching rather than matching wrongly. */
const KEY_FORMAT = 'keel.pipeline.cache.v1'

/** One input's contribution: an ArtifactRef counts by its digest, any other value by the hash of its canonical JSON. */
export interface CacheInputPart {
  by: 'artifact' | 'value'
  hash: string
}

/** The components of a cache key, kept so a later run can say exactly why it missed. */
export interface CacheKeyParts {
  kind: string
  version: string
  inputs: Record<string, CacheInputPart>
  /** Hash of the step settings that change its outputs (today: `foreach`). */
  spec: string
}

export interface CacheKey {
  key: string
  parts: CacheKeyParts
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // undefined (a missing optional field) and functions are not JSON: treat as null, like JSON.stringify in arrays.
    return JSON.stringify(value) ?? 'null'
  }
  if (Array.isArray(value)) return `[${value.map((item: unknown) => canonicalJson(item)).join(',')}]`
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Replaces every ArtifactRef, at any depth, by its digest (the location is not part of the content). */
function contentOf(value: StepValue): StepValue {
  if (isArtifactRef(value)) return { $digest: value.digest }
  if (Array.isArray(value)) return value.map(contentOf)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, StepValue> = {}
    for (const [key, item] of Object.entries(value)) out[key] = contentOf(item)
    return out
  }
  return value
}

function inputPart(value: StepValue): CacheInputPart {
  if (isArtifactRef(value)) return { by: 'artifact', hash: value.digest }
  return { by: 'value', hash: sha256Hex(canonicalJson(contentOf(value))) }
}

/**
 * The cache key of one step execution. Only inputs the kind declares count: a control input that only feeds
 * `when` decides whether the step runs, not what it returns.
 */
export function cacheKey(kind: StepKind, spec: StepSpec, inputs: Readonly<Record<string, StepValue>>): CacheKey {
  const parts: CacheKeyParts = { kind: kind.name, version: kind.version, inputs: {}, spec: '' }
  for (const name of Object.keys(kind.inputs).sort()) {
    const value = inputs[name]
    // A declared input without a value (only possible outside definePipeline) still counts, as null.
    parts.inputs[name] = inputPart(value === undefined ? null : value)
  }
  parts.spec = sha256Hex(canonicalJson({ foreach: spec.foreach }))
  return { key: sha256Hex(`${KEY_FORMAT}\n${canonicalJson(parts)}`), parts }
}

function short(hash: string): string {
  return hash.length > 8 ? `${hash.slice(0, 8)}…` : hash
}

function describePart(part: CacheInputPart): string {
  return `${part.by === 'artifact' ? 'digest' : 'value'} ${short(part.hash)}`
}

/**
 * Why a step hit or missed the cache, for `keel pipeline show`: compares the parts of the previous execution
 * (undefined if it never ran) with the current ones and names every component that changed.
 */
export function cacheReason(previous: CacheKeyParts | undefined, current: CacheKeyParts): string {
  if (previous === undefined) return 'miss: never ran'
  const changes: string[] = []
  if (previous.kind !== current.kind) changes.push(`step kind ${previous.kind} → ${current.kind}`)
  if (previous.version !== current.version) changes.push(`step code version ${previous.version} → ${current.version}`)
  if (previous.spec !== current.spec) changes.push(`step settings changed (foreach ${short(previous.spec)} → ${short(current.spec)})`)
  const names = [...new Set([...Object.keys(previous.inputs), ...Object.keys(current.inputs)])].sort()
  for (const name of names) {
    const before = previous.inputs[name]
    const after = current.inputs[name]
    if (before === undefined && after !== undefined) changes.push(`input '${name}' added (${describePart(after)})`)
    else if (before !== undefined && after === undefined) changes.push(`input '${name}' removed`)
    else if (before !== undefined && after !== undefined && (before.by !== after.by || before.hash !== after.hash)) {
      const detail =
        before.by === after.by
          ? `${before.by === 'artifact' ? 'digest' : 'value'} ${short(before.hash)} → ${short(after.hash)}`
          : `${describePart(before)} → ${describePart(after)}`
      changes.push(`input '${name}' changed (${detail})`)
    }
  }
  return changes.length === 0 ? 'hit: same code version, inputs, params' : `miss: ${changes.join('; ')}`
}
