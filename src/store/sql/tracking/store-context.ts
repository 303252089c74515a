import type { Clock } from '../../../core/clock.js'
import type { SqlDriver } from '../sql-driver.js'

/** What the tracking store's modules share: the driver, the clock and the tuning knobs. */
export interface StoreContext {
  driver: SqlDriver
  clock: Clock
  /** Points per metric block (see metric-blocks.ts). */
  blockSize: number
  /** Randomness for generated run and model names. */
  random: () => number
}
