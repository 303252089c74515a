import { describe, expect, it } from 'vitest'
import { KeelError } from '../core/errors.js'
import { definePipeline, parseParamText, resolveParams, stepDependencies, type PipelineInput } from './define.js'
import { StepRegistry } from './step-registry.js'
import type { StepKind, ValueType } from './types.js'

function kind(name: string, inputs: Record<string, ValueType>, outputs: Record<string, ValueType>): StepKind {
  return { name, version: '1', inputs, outputs, run: async () => ({}) }
}

function registry(): StepRegistry {
  return new StepRegistry([
    kind('t.ingest', { path: 'string' }, { data: 'dataset' }),
    kind('t.split', { data: 'dataset', fraction: 'number' }, { train: 'dataset', test: 'dataset' }),
    kind('t.fit', { data: 'dataset', spec: 'json' }, { model: 'model', metrics: 'metrics' }),
    kind('t.evaluate', { model: 'model', data: 'dataset' }, { metrics: 'metrics' }),
    kind('t.gate', { metrics: 'metrics' }, { result: 'gate' }),
    kind('t.promote', { model: 'model' }, { version: 'string' }),
    kind('t.store', { blob: 'artifact' }, { ref: 'artifact' }),
    kind('t.load', { ref: 'artifact' }, { model: 'model' }),
    kind('t.partition', { data: 'dataset', parts: 'number' }, { chunks: 'json' }),
    kind('t.score', { chunk: 'dataset' }, { scored: 'dataset', rows: 'number' }),
    kind('t.merge', { parts: 'json' }, { data: 'dataset' }),
    kind('t.echo', { x: 'json' }, { x: 'json' }),
  ])
}

const training: PipelineInput = {
  name: 'training',
  params: { path: 'string', fraction: { type: 'number', default: 0.8 } },
  steps: [
    { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.path' } },
    { name: 'split', kind: 't.split', inputs: { data: 'ingest.data', fraction: 'params.fraction' } },
    { name: 'fit', kind: 't.fit', inputs: { data: 'split.train', spec: { value: { algorithm: 'logistic' } } }, retries: 1, pool: 'train' },
    { name: 'evaluate', kind: 't.evaluate', inputs: { model: 'fit.model', data: 'split.test' } },
    { name: 'gate', kind: 't.gate', inputs: { metrics: 'evaluate.metrics' } },
    { name: 'promote', kind: 't.promote', inputs: { model: 'fit.model', ok: 'gate.result' }, when: { input: 'ok' }, cache: false },
  ],
}

/** Runs `define` and returns the KeelError's message, asserting the code. */
function refusal(input: PipelineInput, reg = registry()): string {
  try {
    definePipeline(input, reg)
  } catch (error) {
    expect(error).toBeInstanceOf(KeelError)
    expect((error as KeelError).code).toBe('INVALID_PARAMETER_VALUE')
    expect((error as KeelError).status).toBe(400)
    return (error as KeelError).message
  }
  throw new Error('definePipeline accepted an invalid pipeline')
}

function withSteps(steps: PipelineInput['steps'], params: PipelineInput['params'] = { path: 'string' }): PipelineInput {
  return { name: 'p', params, steps }
}

describe('definePipeline: valid pipelines', () => {
  it('normalises shorthand references into InputSources and keeps step options', () => {
    const definition = definePipeline(training, registry())
    expect(definition.name).toBe('training')
    expect(definition.params).toEqual({ path: { type: 'string' }, fraction: { type: 'number', default: 0.8 } })
    const byName = new Map(definition.steps.map((s) => [s.name, s]))
    expect(byName.get('split')?.inputs).toEqual({
      data: { from: 'step', step: 'ingest', output: 'data' },
      fraction: { from: 'param', name: 'fraction' },
    })
    expect(byName.get('fit')).toMatchObject({ retries: 1, pool: 'train', inputs: { spec: { from: 'value', value: { algorithm: 'logistic' } } } })
    expect(byName.get('promote')).toMatchObject({ when: { input: 'ok' }, cache: false })
    expect(definition.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(stepDependencies(byName.get('promote')!)).toEqual(['fit', 'gate'])
  })

  it('gives the same digest for shorthand and explicit references and for any key order', () => {
    const explicit: PipelineInput = {
      ...training,
      steps: training.steps.map((s) =>
        s.name === 'split' ? { inputs: { fraction: { from: 'param', name: 'fraction' }, data: { from: 'step', step: 'ingest', output: 'data' } }, kind: s.kind, name: s.name } : s,
      ),
    }
    expect(definePipeline(explicit, registry()).digest).toBe(definePipeline(training, registry()).digest)
  })

  it('changes the digest when the definition changes', () => {
    const base = definePipeline(training, registry()).digest
    const changed = { ...training, params: { path: 'string' as const, fraction: { type: 'number' as const, default: 0.7 } } }
    expect(definePipeline(changed, registry()).digest).not.toBe(base)
    const retried = { ...training, steps: training.steps.map((s) => (s.name === 'fit' ? { ...s, retries: 3 } : s)) }
    expect(definePipeline(retried, registry()).digest).not.toBe(base)
  })

  it('freezes the definition so its digest keeps describing it', () => {
    const definition = definePipeline(training, registry())
    expect(() => definition.steps.push({ name: 'x', kind: 't.echo' })).toThrow(TypeError)
    expect(() => {
      definition.steps[0]!.kind = 't.echo'
    }).toThrow(TypeError)
  })

  it('accepts artifact ↔ dataset/model edges, anything into json, and a boolean param as the when input', () => {
    const definition = definePipeline(
      withSteps(
        [
          { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.path' } },
          { name: 'store', kind: 't.store', inputs: { blob: 'ingest.data' } }, // dataset → artifact
          { name: 'load', kind: 't.load', inputs: { ref: 'store.ref' } },
          { name: 'promote', kind: 't.promote', inputs: { model: 'load.model', go: 'params.deploy' }, when: { input: 'go' } },
          { name: 'echo', kind: 't.echo', inputs: { x: 'ingest.data' } },
          { name: 'echo2', kind: 't.echo', inputs: { x: { value: 3 } } },
          { name: 'evaluate', kind: 't.evaluate', inputs: { model: 'store.ref', data: 'store.ref' } }, // artifact → model/dataset
        ],
        { path: 'string', deploy: { type: 'boolean', default: false } },
      ),
      registry(),
    )
    expect(definition.steps).toHaveLength(7)
  })

  it('fans out with foreach: the list input is json, the step outputs become lists (json) downstream', () => {
    const definition = definePipeline(
      withSteps([
        { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.path' } },
        { name: 'partition', kind: 't.partition', inputs: { data: 'ingest.data', parts: { value: 4 } } },
        { name: 'score', kind: 't.score', inputs: { chunk: 'partition.chunks' }, foreach: { input: 'chunk' } },
        { name: 'merge', kind: 't.merge', inputs: { parts: 'score.scored' } },
      ]),
      registry(),
    )
    expect(definition.steps.find((s) => s.name === 'score')?.foreach).toEqual({ input: 'chunk' })
    // A constant list fans out too, each item checked against the kind's input type.
    const refs = [{ uri: 'file:/a', digest: 'a' }, { uri: 'file:/b', digest: 'b' }]
    expect(() => definePipeline(withSteps([{ name: 'score', kind: 't.score', inputs: { chunk: { value: refs } }, foreach: { input: 'chunk' } }]), registry())).not.toThrow()
  })

  it('accepts cron schedules and event triggers whose params are declared', () => {
    const definition = definePipeline(
      { ...training, schedules: [{ cron: '0 3 * * MON-FRI', params: { path: 'a.csv' } }], triggers: [{ event: 'monitoring.retrain' }] },
      registry(),
    )
    expect(definition.schedules).toEqual([{ cron: '0 3 * * MON-FRI', params: { path: 'a.csv' } }])
    expect(definition.triggers).toEqual([{ event: 'monitoring.retrain' }])
  })
})

describe('definePipeline: refused definitions name the step and the fix', () => {
  it('refuses a cycle and names the steps on it', () => {
    const message = refusal(
      withSteps([
        { name: 'a', kind: 't.echo', inputs: { x: 'c.x' } },
        { name: 'b', kind: 't.echo', inputs: { x: 'a.x' } },
        { name: 'c', kind: 't.echo', inputs: { x: 'b.x' } },
        { name: 'd', kind: 't.echo', inputs: { x: 'c.x' } },
      ]),
    )
    expect(message).toContain('cycle: a → b → c → a')
    expect(message).not.toContain('d →')
  })

  it('refuses a step reading its own output', () => {
    expect(refusal(withSteps([{ name: 'a', kind: 't.echo', inputs: { x: 'a.x' } }]))).toContain("step 'a': input 'x' reads this step's own output")
  })

  it('refuses an unknown step kind and suggests the near one', () => {
    const message = refusal(withSteps([{ name: 'fit', kind: 't.fitt', inputs: {} }]))
    expect(message).toContain("step 'fit': Unknown step kind 't.fitt' (did you mean 't.fit'?)")
  })

  it('refuses inputs that name a missing step, output or param', () => {
    const message = refusal(
      withSteps([
        { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.pth' } },
        { name: 'split', kind: 't.split', inputs: { data: 'ingest.dta', fraction: { value: 0.5 } } },
        { name: 'fit', kind: 't.fit', inputs: { data: 'splitt.train', spec: { value: {} } } },
      ]),
    )
    expect(message).toContain("step 'ingest': input 'path' names param 'pth', which the pipeline does not declare")
    expect(message).toContain("step 'split': input 'data' reads output 'dta' of step 'ingest', but kind 't.ingest' has outputs: data")
    expect(message).toContain("step 'fit': input 'data' names step 'splitt', which is not in the pipeline (did you mean 'split'?)")
    expect(message).toContain('3 problems')
  })

  it('refuses a missing required input and an input the kind does not declare', () => {
    const message = refusal(withSteps([{ name: 'split', kind: 't.split', inputs: { data: { value: { uri: 'u', digest: 'd' } }, fractoin: { value: 1 } } }]))
    expect(message).toContain("step 'split': missing input 'fraction' (type 'number') required by kind 't.split'")
    expect(message).toContain("step 'split': input 'fractoin' is not an input of kind 't.split' (did you mean 'fraction'?)")
  })

  it('refuses type mismatches between steps, naming both steps and the types', () => {
    const message = refusal(
      withSteps([
        { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.path' } },
        { name: 'promote', kind: 't.promote', inputs: { model: 'ingest.data' } },
        { name: 'gate', kind: 't.gate', inputs: { metrics: 'promote.version' } },
      ]),
    )
    expect(message).toContain("step 'promote': type mismatch: input 'model' needs 'model', but step 'ingest' output 'data' is 'dataset'")
    expect(message).toContain("step 'gate': type mismatch: input 'metrics' needs 'metrics', but step 'promote' output 'version' is 'string'")
  })

  it('refuses a param or constant of the wrong type, and non-JSON constants', () => {
    const message = refusal(
      withSteps(
        [
          { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.n' } },
          { name: 'split', kind: 't.split', inputs: { data: { value: 'data.csv' }, fraction: { value: Number.NaN } } },
          { name: 'echo', kind: 't.echo', inputs: { x: { value: new Date(0) as never } } },
        ],
        { n: 'number' },
      ),
    )
    expect(message).toContain("step 'ingest': type mismatch: input 'path' needs 'string', but param 'n' is 'number'")
    expect(message).toContain("step 'split': input 'data': the constant \"data.csv\" is not an artifact reference { uri, digest } (type 'dataset')")
    expect(message).toContain("step 'split': input 'fraction': the constant is not JSON: NaN is not JSON")
    expect(message).toContain("step 'echo': input 'x': the constant is not JSON: it is a class instance")
  })

  it('refuses a foreach step fed a single value, and a list output where a single value is needed', () => {
    const message = refusal(
      withSteps([
        { name: 'ingest', kind: 't.ingest', inputs: { path: 'params.path' } },
        { name: 'score', kind: 't.score', inputs: { chunk: 'ingest.data' }, foreach: { input: 'chunk' } },
        { name: 'promote', kind: 't.evaluate', inputs: { model: { value: { uri: 'u', digest: 'd' } }, data: 'score.scored' } },
      ]),
    )
    expect(message).toContain("step 'score': type mismatch: input 'chunk' needs a list ('json') to fan out over, but step 'ingest' output 'data' is 'dataset'")
    expect(message).toContain("step 'promote': type mismatch: input 'data' needs 'dataset', but step 'score' output 'scored' is 'json'")
    expect(refusal(withSteps([{ name: 's', kind: 't.score', inputs: { chunk: { value: [1] } }, foreach: { input: 'nope' } }]))).toContain(
      "step 's': foreach names 'nope', which is not an input of kind 't.score'",
    )
  })

  it('refuses duplicate step names', () => {
    const message = refusal(
      withSteps([
        { name: 'a', kind: 't.ingest', inputs: { path: 'params.path' } },
        { name: 'a', kind: 't.ingest', inputs: { path: 'params.path' } },
      ]),
    )
    expect(message).toContain("step 'a': duplicate step name")
  })

  it('refuses a bad when: unbound input, wrong type, wrong shape', () => {
    const base = [
      { name: 'fit', kind: 't.fit', inputs: { data: { value: { uri: 'u', digest: 'd' } }, spec: { value: {} } } },
      { name: 'gate', kind: 't.gate', inputs: { metrics: 'fit.metrics' } },
    ]
    expect(refusal(withSteps([...base, { name: 'promote', kind: 't.promote', inputs: { model: 'fit.model' }, when: { input: 'ok' } }]))).toContain(
      "step 'promote': when names input 'ok', which the step does not bind",
    )
    expect(refusal(withSteps([...base, { name: 'promote', kind: 't.promote', inputs: { model: 'fit.model', ok: 'fit.metrics' }, when: { input: 'ok' } }]))).toContain(
      "step 'promote': type mismatch: input 'ok' needs 'gate' or 'boolean', but step 'fit' output 'metrics' is 'metrics'",
    )
    expect(refusal(withSteps([...base, { name: 'promote', kind: 't.promote', inputs: { model: 'fit.model' }, when: { input: 'model' } }]))).toContain(
      "step 'promote': when input 'model' has type 'model'",
    )
    expect(refusal(withSteps([...base, { name: 'promote', kind: 't.promote', inputs: { model: 'fit.model' }, when: 'gate.result' as never }]))).toContain(
      "step 'promote': when must be { input: '<input name>' }",
    )
    expect(refusal(withSteps([...base, { name: 'promote', kind: 't.promote', inputs: { model: 'fit.model', ok: { value: 'yes' } }, when: { input: 'ok' } }]))).toContain(
      "input 'ok': the constant \"yes\" is not a gate",
    )
  })

  it('refuses bad references, names, options and unknown fields', () => {
    const message = refusal({
      name: 'bad name',
      params: { path: 'text' as ValueType },
      steps: [
        { name: 'params', kind: 't.echo' },
        { name: 'x', kind: 't.echo', inputs: { x: 'literal' } },
        { name: 'y', kind: 't.echo', inputs: { x: { value: 1 } }, retries: -1, timeoutMs: 0, pool: '', input: {} } as never,
      ],
    })
    expect(message).toContain('name must match')
    expect(message).toContain("param 'path': type \"text\" is not one of json, number")
    expect(message).toContain("steps[0] has name \"params\"")
    expect(message).toContain("step 'x': input 'x': \"literal\" is not a reference; write 'params.<name>', '<step>.<output>', or { value: ... }")
    expect(message).toContain("step 'y': retries must be an integer from 0 to 100, not -1")
    expect(message).toContain("step 'y': timeoutMs must be an integer from 1")
    expect(message).toContain("step 'y': pool must match")
    expect(message).toContain("step 'y': unknown field 'input' (did you mean 'inputs'?)")
    expect(refusal({ name: 'p', steps: [] })).toContain('steps must be a non-empty array')
  })

  it('refuses bad schedules and triggers', () => {
    const message = refusal({
      ...training,
      schedules: [{ cron: '0 3 * *' }, { cron: '61 * * * *' }, { cron: '*/0 * * * *' }, { cron: '0 0 * * *', params: { nope: 1 } }],
      triggers: [{ event: 'alert' as never }],
    })
    expect(message).toContain("schedules[0]: cron \"0 3 * *\" needs 5 fields")
    expect(message).toContain("schedules[1]: cron \"61 * * * *\" has minute '61' outside 0-59")
    expect(message).toContain('schedules[2]: cron "*/0 * * * *" has a bad step')
    expect(message).toContain("schedules[3]: param 'nope' is not declared")
    expect(message).toContain('triggers[0]: event "alert" is not one of monitoring.retrain, dataset.registered')
  })

  it('carries every problem in details for tools', () => {
    try {
      definePipeline(withSteps([{ name: 'a', kind: 'nope' }]), registry())
      expect.unreachable()
    } catch (error) {
      expect((error as KeelError).details).toMatchObject({ pipeline: 'p', problems: [{ step: 'a' }] })
    }
  })
})

describe('resolveParams and parseParamText', () => {
  const definition = definePipeline(training, registry())

  it('fills defaults and checks names and types', () => {
    expect(resolveParams(definition, { path: 'a.csv' })).toEqual({ path: 'a.csv', fraction: 0.8 })
    expect(resolveParams(definition, { path: 'a.csv', fraction: 0.5 })).toEqual({ path: 'a.csv', fraction: 0.5 })
    expect(() => resolveParams(definition, {})).toThrow("'path' (type 'string') is required")
    expect(() => resolveParams(definition, { path: 'a', fractoin: 1 })).toThrow("'fractoin' is not a parameter (did you mean 'fraction'?)")
    expect(() => resolveParams(definition, { path: 1 })).toThrow("'path': 1 is not a string")
  })

  it('parses --param text by the declared type', () => {
    expect(parseParamText(definition, 'fraction', '0.25')).toBe(0.25)
    expect(parseParamText(definition, 'path', '0.25')).toBe('0.25')
    expect(() => parseParamText(definition, 'fraction', 'abc')).toThrow("'abc' is not one")
    expect(() => parseParamText(definition, 'fraction', '')).toThrow('is not one')
    expect(() => parseParamText(definition, 'pth', 'x')).toThrow("(did you mean 'path'?)")
  })
})
