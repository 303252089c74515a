import { randomBytes } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import type { Frame } from '../core/frame.js'
import { cellValue } from '../core/frame.js'
import type { Scores } from '../scoring/scoring-model.js'
import { answerValues, capturedOutputs } from './protocols/answer-values.js'
import type { AnswerValues } from './protocols/answer-values.js'
import type { ServingAppCapture } from './serving-app.js'
import type { Arm, CapturedPrediction, DeploymentAnswer, ServedVersion } from './types.js'

/**
 * Prediction ids: a random per-process prefix (64 bits, hex) and a counter. Unique across processes and restarts
 * (a new process draws a new prefix) and about 50× cheaper than `randomUUID()` per row. They are not secrets:
 * anyone holding one can post its outcome, exactly as with a UUID; they are merely hard to guess across
 * processes, and consecutive within one. Sequential ids also keep the store's unique index appending at the end.
 */
const ID_PREFIX = `${randomBytes(8).toString('hex')}-`
let idCounter = 0
export function nextPredictionId(): string {
  return ID_PREFIX + (idCounter++).toString(16).padStart(8, '0')
}

/** What the rows of one answer share; each captured row reads its inputs and outputs from it only when asked. */
class CapturedAnswer {
  private values: AnswerValues | undefined
  constructor(
    readonly deployment: string,
    readonly served: ServedVersion,
    private readonly scores: Scores,
    readonly arm: Arm | 'shadow',
    readonly timestamp: number,
    readonly frame: Frame,
  ) {}

  inputs(row: number): Record<string, number | string | null> {
    const inputs: Record<string, number | string | null> = {}
    for (const column of this.frame.columns) inputs[column.name] = cellValue(column, row)
    return inputs
  }

  outputs(row: number): Record<string, number | string | null> {
    this.values ??= answerValues(this.served, this.scores, this.frame.rows)
    return capturedOutputs(this.values, row)
  }
}

/**
 * One captured row, cheap to make on the request path: its `inputs` and `outputs` records are built from the
 * request's frame and scores when first read (by the capture writer, off the request path). `toJSON()` gives the
 * plain record.
 */
class CapturedRow implements CapturedPrediction {
  private builtInputs: Record<string, number | string | null> | undefined
  private builtOutputs: Record<string, number | string | null> | undefined
  constructor(
    readonly id: string,
    private readonly answer: CapturedAnswer,
    private readonly row: number,
  ) {}

  get deployment(): string {
    return this.answer.deployment
  }
  get model(): string {
    return this.answer.served.model
  }
  get version(): string {
    return this.answer.served.version
  }
  get arm(): Arm | 'shadow' {
    return this.answer.arm
  }
  get timestamp(): number {
    return this.answer.timestamp
  }
  get inputs(): Record<string, number | string | null> {
    return (this.builtInputs ??= this.answer.inputs(this.row))
  }
  get outputs(): Record<string, number | string | null> {
    return (this.builtOutputs ??= this.answer.outputs(this.row))
  }

  toJSON(): CapturedPrediction {
    return { id: this.id, deployment: this.deployment, model: this.model, version: this.version, arm: this.arm, timestamp: this.timestamp, inputs: this.inputs, outputs: this.outputs }
  }
}

/** One captured prediction per row (and per shadow row when the shadow resolves); never throws. */
export function offerCaptured(capture: ServingAppCapture, deployment: string, answer: DeploymentAnswer, frame: Frame, ids: readonly string[], clock: Clock): void {
  const offer = (served: ServedVersion, scores: Scores, arm: Arm | 'shadow', suffix: string): void => {
    const captured = new CapturedAnswer(deployment, served, scores, arm, clock.now(), frame)
    for (let r = 0; r < frame.rows; r++) capture.offer(new CapturedRow(suffix === '' ? ids[r]! : ids[r]! + suffix, captured, r))
  }
  try {
    offer(answer.served, answer.scores, answer.arm, '')
  } catch {
    // Capture must never fail a prediction.
  }
  answer.shadow?.then(
    (shadow) => {
      if (shadow !== undefined) offer(shadow.served, shadow.scores, 'shadow', ':shadow')
    },
    () => undefined,
  )
}
