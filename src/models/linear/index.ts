export { ridge } from './ridge.js'
export type { RidgeParams } from './ridge.js'
export { logistic } from './logistic.js'
export type { LogisticParams } from './logistic.js'
