import { describe, expect, it } from 'vitest'
import { fnv1a32, keyPosition, routeRequest, seededRandom, validatePolicy } from './traffic-router.js'
import type { Arm, TrafficPolicy } from './types.js'

const PICKS = 10_000

function share(policy: TrafficPolicy, seed: number, key?: (i: number) => string): { challenger: number; shadow: number } {
  const random = seededRandom(seed)
  let challenger = 0
  let shadow = 0
  for (let i = 0; i < PICKS; i++) {
    const route = routeRequest(policy, true, key?.(i), random)
    if (route.arm === 'challenger') challenger++
    if (route.shadow) shadow++
  }
  return { challenger: challenger / PICKS, shadow: shadow / PICKS }
}

describe('routeRequest', () => {
  it('sends everything to the champion under the single policy, and under any policy without a challenger', () => {
    const random = seededRandom(1)
    const policies: TrafficPolicy[] = [{ kind: 'single' }, { kind: 'canary', challengerWeight: 1 }, { kind: 'ab', challengerWeight: 1 }, { kind: 'shadow' }]
    for (const policy of policies) {
      for (let i = 0; i < 100; i++) expect(routeRequest(policy, false, `k${i}`, random)).toEqual({ arm: 'champion', shadow: false })
    }
    for (let i = 0; i < 100; i++) expect(routeRequest({ kind: 'single' }, true, undefined, random).arm).toBe('champion')
  })

  it.each([0.05, 0.1, 0.3, 0.5, 0.9])('splits canary traffic by weight %f over 10,000 seeded picks', (weight) => {
    const { challenger, shadow } = share({ kind: 'canary', challengerWeight: weight }, 42)
    // 4 standard deviations of a binomial share at n = 10,000 is at most 0.02.
    expect(Math.abs(challenger - weight)).toBeLessThan(4 * Math.sqrt((weight * (1 - weight)) / PICKS))
    expect(shadow).toBe(0)
  })

  it('honours canary weights 0 and 1 exactly', () => {
    expect(share({ kind: 'canary', challengerWeight: 0 }, 7).challenger).toBe(0)
    expect(share({ kind: 'canary', challengerWeight: 1 }, 7).challenger).toBe(1)
  })

  it('is reproducible with the same seed and differs with another', () => {
    const arms = (seed: number): Arm[] => {
      const random = seededRandom(seed)
      return Array.from({ length: 200 }, () => routeRequest({ kind: 'canary', challengerWeight: 0.5 }, true, undefined, random).arm)
    }
    expect(arms(3)).toEqual(arms(3))
    expect(arms(3)).not.toEqual(arms(4))
  })

  it('routes sticky A/B by key: the same key always gets the same arm, whatever the random source says', () => {
    const policy: TrafficPolicy = { kind: 'ab', challengerWeight: 0.3 }
    const first = new Map<string, Arm>()
    const random = seededRandom(9)
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const key = `customer-${i}`
        const arm = routeRequest(policy, true, key, random).arm
        if (round === 0) first.set(key, arm)
        else expect(arm).toBe(first.get(key))
      }
    }
    // Raising the weight only moves keys from champion to challenger (a ramp-up keeps earlier B users in B).
    for (const [key, arm] of first) {
      if (arm === 'challenger') expect(routeRequest({ kind: 'ab', challengerWeight: 0.6 }, true, key, Math.random).arm).toBe('challenger')
    }
  })

  it.each([
    ['sequential ids', (i: number) => String(i)],
    ['short prefixed ids', (i: number) => `u${i}`],
    ['uuids-like', (i: number) => `${(i * 2654435761) >>> 0}-a9f3-4c1e-${i % 97}`],
  ])('gives about challengerWeight of %s to the challenger', (_name, key) => {
    for (const weight of [0.1, 0.5]) {
      const { challenger } = share({ kind: 'ab', challengerWeight: weight }, 1, key)
      expect(Math.abs(challenger - weight)).toBeLessThan(0.03)
    }
  })

  it('splits even a small set of short sequential keys near the weight (plain FNV-1a gives ~half of u0..u99 to a 10% arm)', () => {
    for (const weight of [0.1, 0.3]) {
      let challenger = 0
      for (let i = 0; i < 200; i++) if (routeRequest({ kind: 'ab', challengerWeight: weight }, true, `u${i}`, Math.random).arm === 'challenger') challenger++
      expect(Math.abs(challenger / 200 - weight)).toBeLessThan(0.1)
    }
  })

  it('falls back to the weighted random split for A/B requests without a key', () => {
    const { challenger } = share({ kind: 'ab', challengerWeight: 0.25 }, 11)
    expect(Math.abs(challenger - 0.25)).toBeLessThan(0.02)
  })

  it('lets the champion answer under shadow and shadows `fraction` of requests', () => {
    const all = share({ kind: 'shadow' }, 5)
    expect(all).toEqual({ challenger: 0, shadow: 1 })
    const some = share({ kind: 'shadow', fraction: 0.2 }, 5)
    expect(some.challenger).toBe(0)
    expect(Math.abs(some.shadow - 0.2)).toBeLessThan(0.02)
    expect(share({ kind: 'shadow', fraction: 0 }, 5).shadow).toBe(0)
  })
})

describe('fnv1a32', () => {
  it('is FNV-1a over UTF-8 bytes with a murmur3 finaliser (pinned values)', () => {
    const fmix = (h: number): number => {
      h ^= h >>> 16
      h = Math.imul(h, 0x85ebca6b)
      h ^= h >>> 13
      h = Math.imul(h, 0xc2b2ae35)
      h ^= h >>> 16
      return h >>> 0
    }
    // Published FNV-1a 32-bit test vectors: '' → 0x811c9dc5, 'a' → 0xe40c292c, 'foobar' → 0xbf9cf968.
    expect(fnv1a32('')).toBe(fmix(0x811c9dc5))
    expect(fnv1a32('a')).toBe(fmix(0xe40c292c))
    expect(fnv1a32('foobar')).toBe(fmix(0xbf9cf968))
  })

  it('hashes non-ASCII keys as their UTF-8 bytes', () => {
    const viaBytes = (s: string): number => {
      let h = 0x811c9dc5
      for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193)
      h ^= h >>> 16
      h = Math.imul(h, 0x85ebca6b)
      h ^= h >>> 13
      h = Math.imul(h, 0xc2b2ae35)
      h ^= h >>> 16
      return h >>> 0
    }
    for (const s of ['é', 'Zürich', '日本語', 'emoji 🎉 key', '\u{10ffff}']) expect(fnv1a32(s)).toBe(viaBytes(s))
  })

  it('places keys in [0, 1)', () => {
    for (let i = 0; i < 1000; i++) {
      const p = keyPosition(`k${i}`)
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThan(1)
    }
  })
})

describe('validatePolicy', () => {
  it('accepts valid policies', () => {
    expect(validatePolicy({ kind: 'canary', challengerWeight: 0.1 })).toEqual({ kind: 'canary', challengerWeight: 0.1 })
    expect(validatePolicy({ kind: 'shadow' })).toEqual({ kind: 'shadow' })
  })

  it('rejects weights outside [0, 1] and unknown kinds, naming the field', () => {
    expect(() => validatePolicy({ kind: 'canary', challengerWeight: 1.5 })).toThrow(/challengerWeight/)
    expect(() => validatePolicy({ kind: 'ab', challengerWeight: Number.NaN })).toThrow(/challengerWeight/)
    expect(() => validatePolicy({ kind: 'shadow', fraction: -0.1 })).toThrow(/fraction/)
    expect(() => validatePolicy({ kind: 'weighted' } as unknown as TrafficPolicy)).toThrow(/single, canary, shadow or ab/)
  })
})
