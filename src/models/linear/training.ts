import { KeelError, aborted, invalidParameter } from '../../core/errors.js'
import type { FitContext, SavedModel, Task } from '../predictor.js'

/** Stops training when the caller aborts; nothing half-trained is returned. */
export function throwIfAborted(context: FitContext | undefined, algorithm: string): void {
  if (context?.signal?.aborted === true) {
    throw aborted(`Training ${algorithm} was aborted; no model was produced.`)
  }
}

export function requireTask(algorithm: string, task: Task, supported: Task): void {
  if (task !== supported) {
    throw invalidParameter(`${algorithm} does not support task '${task}'; it is a ${supported} algorithm.`)
  }
}

/** Checks the envelope of a saved model before its state is read. */
export function checkSaved(saved: SavedModel, kind: string): Record<string, unknown> {
  if (saved.format !== 'keel-model' || saved.formatVersion !== 1) {
    throw invalidParameter(`Not a keel model (format ${JSON.stringify(saved.format)} version ${JSON.stringify(saved.formatVersion)}); expected 'keel-model' version 1.`)
  }
  if (saved.kind !== kind) throw invalidParameter(`The saved model is a '${saved.kind}' model, not '${kind}'; load it with the '${saved.kind}' algorithm.`)
  if (!Array.isArray(saved.features) || !saved.features.every((f) => typeof f === 'string')) {
    throw invalidParameter(`The saved ${kind} model has no valid 'features' list.`)
  }
  if (saved.state === null || typeof saved.state !== 'object') throw invalidParameter(`The saved ${kind} model has no 'state' object.`)
  return saved.state as Record<string, unknown>
}

export function numberArray(value: unknown, length: number, what: string): Float64Array {
  if (!Array.isArray(value) || value.length !== length || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw invalidParameter(`The saved model's ${what} must be ${length} finite numbers.`)
  }
  return Float64Array.from(value as number[])
}
