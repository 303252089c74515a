import { invalidParameter } from '../core/errors.js'
import type { Arm, TrafficPolicy } from './types.js'

/**
 * Picks which loaded version answers a request. Pure: the random source is injected, so a seeded one makes the
 * split reproducible in tests, and sticky A/B routing depends on nothing but the key.
 */

/** Where one request goes: the arm that answers, and whether the challenger also scores a copy (shadow). */
export interface Route {
  readonly arm: Arm
  readonly shadow: boolean
}

const CHAMPION: Route = { arm: 'champion', shadow: false }
const CHALLENGER: Route = { arm: 'challenger', shadow: false }
const SHADOWED: Route = { arm: 'champion', shadow: true }

/**
 * @param hasChallenger whether a challenger is loaded; without one everything goes to the champion.
 * @param routeKey the sticky key (`x-keel-route-key`) for A/B; undefined routes by weight alone.
 * @param random uniform in [0, 1), e.g. `Math.random` or `seededRandom(seed)`.
 */
export function routeRequest(policy: TrafficPolicy, hasChallenger: boolean, routeKey: string | undefined, random: () => number): Route {
  if (!hasChallenger) return CHAMPION
  switch (policy.kind) {
    case 'single':
      return CHAMPION
    case 'canary':
      return pick(policy.challengerWeight, random)
    case 'ab':
      if (routeKey === undefined) return pick(policy.challengerWeight, random)
      // The key's position in [0, 1) is fixed, so the same key always lands on the same side of the weight.
      return keyPosition(routeKey) < policy.challengerWeight ? CHALLENGER : CHAMPION
    case 'shadow': {
      const fraction = policy.fraction ?? 1
      if (fraction >= 1) return SHADOWED
      return fraction > 0 && random() < fraction ? SHADOWED : CHAMPION
    }
  }
}

function pick(challengerWeight: number, random: () => number): Route {
  if (challengerWeight <= 0) return CHAMPION
  if (challengerWeight >= 1) return CHALLENGER
  return random() < challengerWeight ? CHALLENGER : CHAMPION
}

/** A route key's stable position in [0, 1): its 32-bit FNV-1a hash over UTF-8 bytes, scaled. */
export function keyPosition(key: string): number {
  return fnv1a32(key) / 0x1_0000_0000
}

/**
 * 32-bit FNV-1a of the string's UTF-8 bytes (so any other implementation agrees, e.g. a client predicting its
 * arm), followed by murmur3's finaliser: FNV alone leaves keys that differ only in their last character
 * (`user-1`, `user-2`) close together in the high bits, which would skew the split for sequential ids.
 */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i)
    if (c < 0x80) {
      h = Math.imul(h ^ c, 0x01000193)
      continue
    }
    // Encode the code point as UTF-8 without allocating.
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < key.length) {
      const low = key.charCodeAt(i + 1)
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00)
        i++
      }
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >> 6)), 0x01000193)
    } else if (c < 0x10000) {
      h = Math.imul(h ^ (0xe0 | (c >> 12)), 0x01000193)
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193)
    } else {
      h = Math.imul(h ^ (0xf0 | (c >> 18)), 0x01000193)
      h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), 0x01000193)
      h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), 0x01000193)
    }
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** A small seeded generator (mulberry32) for reproducible splits in tests and benchmarks. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }
}

/** Checks a policy from a config file or an admin call; errors name the field and the allowed range. */
export function validatePolicy(policy: TrafficPolicy): TrafficPolicy {
  const kind = (policy as { kind?: unknown }).kind
  const inUnit = (field: string, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw invalidParameter(`Traffic policy '${String(kind)}': '${field}' must be a number in [0, 1], got ${JSON.stringify(value)}.`)
    }
  }
  switch (kind) {
    case 'single':
      return { kind: 'single' }
    case 'canary':
    case 'ab':
      inUnit('challengerWeight', policy.kind === 'single' || policy.kind === 'shadow' ? undefined : policy.challengerWeight)
      return policy
    case 'shadow':
      if (policy.kind === 'shadow' && policy.fraction !== undefined) inUnit('fraction', policy.fraction)
      return policy
    default:
      throw invalidParameter(`Unknown traffic policy kind ${JSON.stringify(kind)}; use single, canary, shadow or ab.`)
  }
}
