// The no-op step kind of bench/pipelines/bullmq.ts, for `keel worker --steps` in a separate process.
import type { StepKind } from '../../src/pipelines/types.js'

export const benchNoop: StepKind = {
  name: 'bench.noop',
  version: '1',
  inputs: { x: 'json' },
  outputs: { y: 'json' },
  // Distinct outputs so no two steps share a cache key.
  run: async (ctx) => ({ y: `${String(ctx.inputs['x'])}>${ctx.step}` }),
}

export function register(registry: { register(kind: StepKind): unknown; has(name: string): boolean }): void {
  if (!registry.has(benchNoop.name)) registry.register(benchNoop)
}
