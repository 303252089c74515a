import { invalidParameter } from '../core/errors.js'
import { gbdt } from './gbdt/index.js'
import { logistic, ridge } from './linear/index.js'
import { xgboostImported } from './formats/xgboost.js'
import type { Algorithm, Predictor, SavedModel } from './predictor.js'
import { decisionTree, randomForest } from './tree/index.js'

/**
 * Every learning algorithm by the name specs and saved models use. Adding one is adding it here; shared code
 * never branches on an algorithm's name.
 */
export const ALGORITHMS: Readonly<Record<string, Algorithm<object>>> = {
  [ridge.name]: ridge as unknown as Algorithm<object>,
  [logistic.name]: logistic as unknown as Algorithm<object>,
  [decisionTree.name]: decisionTree as unknown as Algorithm<object>,
  [randomForest.name]: randomForest as unknown as Algorithm<object>,
  [gbdt.name]: gbdt as unknown as Algorithm<object>,
  [xgboostImported.name]: xgboostImported as unknown as Algorithm<object>,
}

export function algorithm(name: string): Algorithm<object> {
  const found = ALGORITHMS[name]
  if (found === undefined) {
    throw invalidParameter(`Unknown algorithm '${name}'. Use one of: ${Object.keys(ALGORITHMS).join(', ')}.`)
  }
  return found
}

/** Loads any saved keel model with the algorithm that made it. */
export function loadModel(saved: SavedModel): Predictor {
  if (saved === null || typeof saved !== 'object' || saved.format !== 'keel-model') {
    throw invalidParameter("Not a keel model: expected an object with format 'keel-model'.")
  }
  return algorithm(saved.kind).load(saved)
}
