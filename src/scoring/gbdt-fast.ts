import type { Frame } from '../core/frame.js'
import { invalidParameter } from '../core/errors.js'
import type { GbdtPredictor } from '../models/gbdt/gbdt-predictor.js'
import { FastForest } from './fast-forest.js'
import type { Scores } from './scoring-model.js'

/** The fields of `BoostedTrees` the fast layout understands; any other (e.g. categorical splits) opts out. */
const KNOWN_FIELDS = new Set(['nOut', 'base', 'roots', 'feature', 'threshold', 'left', 'right', 'missingLeft', 'value', 'cover'])

/**
 * keel's gbdt scored through {@link FastForest} in float64 (its thresholds and leaves are float64, summed in
 * tree order), with `GbdtPredictor`'s exact probability arithmetic, so predictions are identical to
 * `predict` / `predictProba`. Undefined when the model has deep trees or split kinds the layout lacks.
 */
export class GbdtFastScorer {
  private constructor(
    private readonly predictor: GbdtPredictor,
    private readonly forest: FastForest,
  ) {}

  static compile(predictor: GbdtPredictor): GbdtFastScorer | undefined {
    const model = predictor.model as unknown as Record<string, unknown>
    if (Object.keys(model).some((k) => !KNOWN_FIELDS.has(k) && model[k] !== undefined)) return undefined
    const forest = FastForest.compile(
      { trees: predictor.trees(), treeGroup: predictor.treeGroups(), groups: predictor.model.nOut, base: predictor.model.base, float32: false },
      predictor.features.length,
    )
    return forest === undefined ? undefined : new GbdtFastScorer(predictor, forest)
  }

  margins(frame: Frame): Float64Array {
    const names = this.predictor.features
    const missing = names.filter((name) => !frame.has(name))
    if (missing.length > 0) throw invalidParameter(`The frame lacks feature(s) ${missing.map((m) => `'${m}'`).join(', ')} that the model was trained on; it needs: ${names.join(', ')}.`)
    const out = new Float64Array(frame.rows * this.forest.groups)
    this.forest.margins(names.map((name) => frame.numeric(name)), 0, frame.rows, out, 0)
    return out
  }

  /** Predictions (and probabilities for classifiers) from one pass, as `GbdtPredictor` computes them. */
  score(frame: Frame): Scores {
    const m = this.margins(frame)
    const n = frame.rows
    const { task } = this.predictor
    if (task === 'regression') return { prediction: m }
    const nOut = this.forest.groups
    const k = this.predictor.classes?.length ?? 0
    const proba = new Float64Array(n * k)
    const prediction = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const to = i * k
      if (nOut === 1) {
        const p = 1 / (1 + Math.exp(-m[i]!))
        proba[to] = 1 - p
        proba[to + 1] = p
      } else {
        const at = i * nOut
        let max = -Infinity
        for (let c = 0; c < nOut; c++) if (m[at + c]! > max) max = m[at + c]!
        let sum = 0
        for (let c = 0; c < nOut; c++) {
          const e = Math.exp(m[at + c]! - max)
          proba[to + c] = e
          sum += e
        }
        for (let c = 0; c < nOut; c++) proba[to + c]! /= sum
      }
      let best = 0
      for (let c = 1; c < k; c++) if (proba[to + c]! > proba[to + best]!) best = c
      prediction[i] = best
    }
    return { prediction, proba }
  }
}
