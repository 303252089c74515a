import type { DriftTestName } from '../types.js'
import { anderson } from './anderson.js'
import { chisquare } from './chisquare.js'
import type { DriftTest } from './drift-test.js'
import { hellinger } from './hellinger.js'
import { jensenshannon } from './jensenshannon.js'
import { klDiv } from './kl-div.js'
import { ks } from './ks.js'
import { psi } from './psi.js'
import { wasserstein } from './wasserstein.js'
import { z } from './z.js'

/** Every drift test by its Evidently name. */
export const DRIFT_TESTS: Readonly<Record<DriftTestName, DriftTest>> = Object.freeze({
  ks,
  chisquare,
  z,
  wasserstein,
  jensenshannon,
  psi,
  kl_div: klDiv,
  hellinger,
  anderson,
})
