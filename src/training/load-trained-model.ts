import type { Keel } from '../client/keel.js'
import { invalidParameter } from '../core/errors.js'
import { loadModelFiles, type TrainedModel } from './trained-model.js'

/**
 * Loads a model logged by `train()`: `models:/name@alias`, `models:/name/3`, `models:/name/latest`,
 * `runs:/<run id>/model`, or an artifact URI (`mlflow-artifacts:/...`). Predictions go through the saved
 * feature pipeline, then the predictor.
 *
 * @example
 * const model = await loadTrainedModel(keel, 'models:/fraud@champion')
 * model.predictProba({ amount: 120.5, hour: 3, foreign: 1 })
 */
export async function loadTrainedModel(keel: Keel, modelUri: string): Promise<TrainedModel> {
  return loadModelFiles(keel.artifacts, await resolveModelSource(keel, modelUri))
}

/** A model URI (`models:/…`, `runs:/…`, or an artifact URI) → the artifact URI of its model directory. */
export async function resolveModelSource(keel: Keel, uri: string): Promise<string> {
  if (uri.startsWith('models:/')) return (await keel.resolve(uri)).source
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(uri)
  if (runs !== null) {
    const run = await keel.tracking.getRun(runs[1]!)
    const path = (runs[2] ?? '').replace(/^\/+|\/+$/g, '')
    return path === '' ? run.info.artifactUri : `${run.info.artifactUri}/${path}`
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uri)) return uri
  throw invalidParameter(`Cannot load '${uri}': use models:/name@alias, models:/name/<version>, runs:/<run id>/model or an mlflow-artifacts:/ URI.`)
}
