/** Time as milliseconds since the epoch; injected so tests never sleep. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000): Clock & { advance(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms
    },
  }
}
