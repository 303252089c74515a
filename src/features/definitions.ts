import type { ColumnStep, TransformDefinition } from './column-step.js'
import { impute } from './impute.js'
import { clip, log } from './log-clip.js'
import { oneHot } from './one-hot.js'
import { ordinal } from './ordinal.js'
import { minMaxScale, robustScale, standardScale } from './scale.js'
import { targetEncode } from './target-encode.js'

function dropStep(name: string, kind: ColumnStep['inputKind']): ColumnStep {
  return { input: name, inputKind: kind, outputs: [], outputKind: kind, state: {}, applyColumn: () => [], applyRow: () => {} }
}

/** Removes columns from the feature set (ids, free text, anything not to train on). */
export const drop: TransformDefinition<Record<string, never>> = {
  type: 'drop',
  accepts: ['numeric', 'categorical'],
  resolve: () => ({}),
  fit: (column) => ({ step: dropStep(column.name, column.kind) }),
  load: (input, kind) => dropStep(input, kind),
}

export const TRANSFORMS: ReadonlyMap<string, TransformDefinition<unknown>> = new Map(
  ([impute, standardScale, minMaxScale, robustScale, oneHot, ordinal, targetEncode, log, clip, drop] as Array<TransformDefinition<never>>).map(
    (d) => [d.type, d as unknown as TransformDefinition<unknown>],
  ),
)
