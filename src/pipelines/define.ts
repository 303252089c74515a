import { invalidParameter } from '../core/errors.js'
import { canonicalJson, sha256Hex } from './cache-key.js'
import { closest, unknownKindMessage, type StepRegistry } from './step-registry.js'
import type { InputSource, PipelineDefinition, StepKind, StepSpec, StepValue, ValueType } from './types.js'
import { normaliseSchedules, normaliseTriggers } from './define-schedules.js'
import { VALUE_TYPES, constantProblem, isValueType, previewValue, typeAccepts } from './value-types.js'

/**
 * `definePipeline` turns what a user writes into a checked, normalised, frozen PipelineDefinition. Every mistake
 * a definition can hold is found here, at definition time, and all of them are reported at once, each naming
 * the step and the fix, so a bad pipeline never starts a run.
 */

/** An input binding: `'params.<name>'`, `'<step>.<output>'`, `{ value }` for a constant, or an explicit InputSource. */
export type InputReference = string | InputSource | { value: StepValue }

export interface PipelineStepInput extends Omit<StepSpec, 'inputs'> {
  inputs?: Record<string, InputReference>
}

/** A parameter: its type, or `{ type, default }`. */
export type PipelineParamInput = ValueType | { type: ValueType; default?: StepValue }

export interface PipelineInput {
  name: string
  params?: Record<string, PipelineParamInput>
  steps: PipelineStepInput[]
  schedules?: PipelineDefinition['schedules']
  triggers?: PipelineDefinition['triggers']
}

const PIPELINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/
/** Step names appear in `<step>.<output>` references: no dots; `params` is the parameters' prefix. */
const STEP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,99}$/
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,99}$/
const POOL_NAME = /^[A-Za-z0-9_.:-]{1,100}$/
const PIPELINE_FIELDS = ['name', 'params', 'steps', 'schedules', 'triggers']
const STEP_FIELDS = ['name', 'kind', 'inputs', 'retries', 'backoffMs', 'timeoutMs', 'pool', 'when', 'cache', 'foreach']
const MAX_STEPS = 100_000

export interface Problem {
  step?: string
  message: string
}

/** The steps whose outputs `step` reads, in first-use order. */
export function stepDependencies(step: StepSpec): string[] {
  const deps = new Set<string>()
  for (const source of Object.values(step.inputs ?? {})) if (source.from === 'step') deps.add(source.step)
  return [...deps]
}

/** Checks and normalises a pipeline; throws INVALID_PARAMETER_VALUE listing every problem, each naming its step. */
export function definePipeline(input: PipelineInput, registry: StepRegistry): PipelineDefinition {
  if (typeof input !== 'object' || input === null) throw invalidParameter('definePipeline needs an object { name, params?, steps }.')
  const problems: Problem[] = []
  const pipelineName = typeof input.name === 'string' ? input.name : ''
  if (!PIPELINE_NAME.test(pipelineName)) problems.push({ message: `name must match ${PIPELINE_NAME.source}, e.g. 'fraud-training'` })
  unknownFields(input as object, PIPELINE_FIELDS, 'the pipeline', problems)

  const params = normaliseParams(input.params, problems)
  const rawSteps: unknown[] = Array.isArray(input.steps) ? input.steps : []
  if (!Array.isArray(input.steps) || rawSteps.length === 0) problems.push({ message: 'steps must be a non-empty array of { name, kind, inputs }' })
  if (rawSteps.length > MAX_STEPS) problems.push({ message: `a pipeline has at most ${MAX_STEPS} steps; this one has ${rawSteps.length}` })

  // First pass: names and kinds, so references can be resolved in any order.
  const byName = new Map<string, { raw: PipelineStepInput; kind: StepKind | undefined }>()
  rawSteps.slice(0, MAX_STEPS).forEach((raw, index) => {
    if (typeof raw !== 'object' || raw === null) return void problems.push({ message: `steps[${index}] must be an object { name, kind, inputs }` })
    const step = raw as PipelineStepInput
    const name = typeof step.name === 'string' ? step.name : ''
    if (!STEP_NAME.test(name) || name === 'params') {
      return void problems.push({
        message: `steps[${index}] has name ${JSON.stringify(step.name)}; a step name must match ${STEP_NAME.source} and not be 'params'`,
      })
    }
    if (byName.has(name)) return void problems.push({ step: name, message: `duplicate step name; rename one of the steps called '${name}'` })
    const kind = typeof step.kind === 'string' && registry.has(step.kind) ? registry.get(step.kind) : undefined
    if (kind === undefined) problems.push({ step: name, message: unknownKindMessage(String(step.kind), registry.names()).replace(/\.$/, '') })
    byName.set(name, { raw: step, kind })
  })

  const outputType = (stepName: string, output: string): ValueType | string => {
    const source = byName.get(stepName)
    if (source === undefined) {
      const hint = closest(stepName, [...byName.keys()])
      return `names step '${stepName}', which is not in the pipeline${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`
    }
    if (source.kind === undefined) return `names step '${stepName}', whose kind is unknown`
    const type = source.kind.outputs[output]
    if (type === undefined) {
      const outputs = Object.keys(source.kind.outputs)
      return `reads output '${output}' of step '${stepName}', but kind '${source.kind.name}' has outputs: ${outputs.join(', ') || 'none'}`
    }
    // A foreach step returns one value per item: downstream it is a list.
    return source.raw.foreach === undefined ? type : 'json'
  }

  const steps: StepSpec[] = []
  for (const [name, { raw, kind }] of byName) {
    const spec = normaliseStep(name, raw, kind, params, outputType, problems)
    if (spec !== undefined) steps.push(spec)
  }
  findCycle(steps, problems)
  const schedules = normaliseSchedules(input.schedules, params, problems)
  const triggers = normaliseTriggers(input.triggers, params, problems)

  if (problems.length > 0) {
    const lines = problems.map((p) => (p.step === undefined ? `- ${p.message}` : `- step '${p.step}': ${p.message}`))
    const head = `Pipeline '${pipelineName}' is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`
    throw invalidParameter(`${head}:\n${lines.join('\n')}`, { pipeline: pipelineName, problems })
  }
  const body = {
    name: pipelineName,
    params,
    steps,
    ...(schedules === undefined ? {} : { schedules }),
    ...(triggers === undefined ? {} : { triggers }),
  }
  return deepFreeze({ ...body, digest: sha256Hex(canonicalJson(body)) })
}

function normaliseParams(raw: PipelineInput['params'], problems: Problem[]): PipelineDefinition['params'] {
  const params: PipelineDefinition['params'] = {}
  if (raw === undefined) return params
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ message: "params must be an object of name → type or { type, default }, e.g. { data: 'string' }" })
    return params
  }
  for (const [name, spec] of Object.entries(raw)) {
    const type: unknown = typeof spec === 'string' ? spec : (spec as { type?: unknown } | null)?.type
    if (!PARAM_NAME.test(name)) problems.push({ message: `param '${name}': the name must match ${PARAM_NAME.source}` })
    if (!isValueType(type)) {
      problems.push({ message: `param '${name}': type ${JSON.stringify(type)} is not one of ${VALUE_TYPES.join(', ')}` })
      continue
    }
    if (typeof spec === 'object' && spec !== null && 'default' in spec && spec.default !== undefined) {
      const bad = constantProblem(type, spec.default)
      if (bad !== undefined) problems.push({ message: `param '${name}': default ${bad}` })
      params[name] = { type, default: spec.default }
    } else {
      params[name] = { type }
    }
  }
  return params
}

function parseReference(ref: unknown): InputSource | string {
  const shorthand = "write 'params.<name>', '<step>.<output>', or { value: ... } for a constant"
  if (typeof ref === 'string') {
    const dot = ref.indexOf('.')
    if (dot <= 0 || dot === ref.length - 1) return `${JSON.stringify(ref)} is not a reference; ${shorthand}`
    const head = ref.slice(0, dot)
    const tail = ref.slice(dot + 1)
    return head === 'params' ? { from: 'param', name: tail } : { from: 'step', step: head, output: tail }
  }
  if (typeof ref !== 'object' || ref === null || Array.isArray(ref)) return `${previewValue(ref)} is not a reference; ${shorthand}`
  const record = ref as Record<string, unknown>
  const keys = Object.keys(record).sort().join(',')
  if (keys === 'value') return { from: 'value', value: record['value'] as StepValue }
  if (record['from'] === 'value' && keys === 'from,value') return { from: 'value', value: record['value'] as StepValue }
  if (record['from'] === 'param' && keys === 'from,name' && typeof record['name'] === 'string') return { from: 'param', name: record['name'] }
  if (record['from'] === 'step' && keys === 'from,output,step' && typeof record['step'] === 'string' && typeof record['output'] === 'string') {
    return { from: 'step', step: record['step'], output: record['output'] }
  }
  return `${previewValue(ref)} is not a reference; ${shorthand} (or { from: 'param'|'step'|'value', ... })`
}

function normaliseStep(
  name: string,
  raw: PipelineStepInput,
  kind: StepKind | undefined,
  params: PipelineDefinition['params'],
  outputType: (step: string, output: string) => ValueType | string,
  problems: Problem[],
): StepSpec | undefined {
  const problem = (message: string): void => void problems.push({ step: name, message })
  unknownFields(raw, STEP_FIELDS, `step '${name}'`, problems)
  const spec: StepSpec = { name, kind: String(raw.kind), inputs: {} }
  checkOptions(raw, spec, problem)

  const rawInputs: unknown = raw.inputs ?? {}
  if (typeof rawInputs !== 'object' || rawInputs === null || Array.isArray(rawInputs)) {
    problem("inputs must be an object of input name → reference, e.g. { data: 'params.data' }")
    return spec
  }
  const whenInput = typeof raw.when === 'object' && raw.when !== null ? raw.when.input : undefined
  const foreachInput = typeof raw.foreach === 'object' && raw.foreach !== null ? raw.foreach.input : undefined
  const inputs: Record<string, InputSource> = {}
  const sourceTypes: Record<string, ValueType> = {}
  for (const [input, ref] of Object.entries(rawInputs as Record<string, unknown>)) {
    const source = parseReference(ref)
    if (typeof source === 'string') {
      problem(`input '${input}': ${source}`)
      continue
    }
    inputs[input] = source
    const declared = kind?.inputs[input]
    if (kind !== undefined && declared === undefined && input !== whenInput) {
      const hint = closest(input, Object.keys(kind.inputs))
      problem(
        `input '${input}' is not an input of kind '${kind.name}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; ` +
          `its inputs are: ${Object.keys(kind.inputs).join(', ') || 'none'}`,
      )
      continue
    }
    // The `when` control input may be undeclared by the kind: it only decides whether the step runs.
    const target: ValueType | undefined = input === foreachInput ? 'json' : (declared ?? (input === whenInput ? 'gate' : undefined))
    if (target === undefined) continue
    if (source.from === 'value') {
      const bad =
        input === foreachInput && declared !== undefined
          ? listProblem(declared, source.value)
          : input === whenInput && declared === undefined
            ? constantProblem('gate', source.value)
            : constantProblem(target, source.value)
      if (bad !== undefined) problem(`input '${input}': the constant ${bad}`)
      continue
    }
    let type: ValueType | string
    let what: string
    if (source.from === 'param') {
      const param = params[source.name]
      type = param === undefined ? `names param '${source.name}', which the pipeline does not declare (add it to params)` : param.type
      what = `param '${source.name}'`
    } else {
      type = source.step === name ? `reads this step's own output; a step cannot depend on itself` : outputType(source.step, source.output)
      what = `step '${source.step}' output '${source.output}'`
    }
    if (!isValueType(type)) {
      problem(`input '${input}' ${type}`)
      continue
    }
    sourceTypes[input] = type
    const ok =
      input === foreachInput ? type === 'json' : input === whenInput && declared === undefined ? type === 'gate' || type === 'boolean' : typeAccepts(target, type)
    if (!ok) {
      const wanted = input === foreachInput ? `a list ('json') to fan out over` : input === whenInput && declared === undefined ? `'gate' or 'boolean'` : `'${target}'`
      problem(`type mismatch: input '${input}' needs ${wanted}, but ${what} is '${type}'`)
    }
  }
  spec.inputs = inputs
  if (kind !== undefined) {
    const missing = Object.keys(kind.inputs).filter((input) => !(input in inputs))
    for (const input of missing) problem(`missing input '${input}' (type '${kind.inputs[input]}') required by kind '${kind.name}'; bind it to a param, a step output or { value }`)
  }
  checkWhen(raw, inputs, kind, problem, spec)
  checkForeach(raw, inputs, kind, whenInput, problem, spec)
  return spec
}

function listProblem(itemType: ValueType, value: unknown): string | undefined {
  if (!Array.isArray(value)) return `${previewValue(value)} is not a list to fan out over`
  for (let i = 0; i < value.length; i++) {
    const bad = constantProblem(itemType, value[i])
    if (bad !== undefined) return `item ${i}: ${bad}`
  }
  return undefined
}

function checkOptions(raw: PipelineStepInput, spec: StepSpec, problem: (message: string) => void): void {
  const integer = (field: 'retries' | 'backoffMs' | 'timeoutMs', min: number, max: number): void => {
    const value = raw[field]
    if (value === undefined) return
    if (!Number.isInteger(value) || value < min || value > max) problem(`${field} must be an integer from ${min} to ${max}, not ${previewValue(value)}`)
    else spec[field] = value
  }
  integer('retries', 0, 100)
  integer('backoffMs', 0, 3_600_000)
  integer('timeoutMs', 1, 2_147_483_647) // setTimeout's limit
  if (raw.pool !== undefined) {
    if (typeof raw.pool !== 'string' || !POOL_NAME.test(raw.pool)) problem(`pool must match ${POOL_NAME.source}, e.g. 'train' or 'gpu'`)
    else spec.pool = raw.pool
  }
  if (raw.cache !== undefined) {
    if (typeof raw.cache !== 'boolean') problem('cache must be true or false')
    else spec.cache = raw.cache
  }
}

function checkWhen(raw: PipelineStepInput, inputs: Record<string, InputSource>, kind: StepKind | undefined, problem: (m: string) => void, spec: StepSpec): void {
  if (raw.when === undefined) return
  const input: unknown = typeof raw.when === 'object' && raw.when !== null ? (raw.when as { input?: unknown }).input : undefined
  if (typeof input !== 'string' || Object.keys(raw.when).length !== 1) {
    return problem("when must be { input: '<input name>' } naming an input bound to a 'gate' or boolean, e.g. when: { input: 'gate' }")
  }
  if (!(input in inputs)) return problem(`when names input '${input}', which the step does not bind; add it to inputs, e.g. ${input}: 'gate.result'`)
  const declared = kind?.inputs[input]
  if (declared !== undefined && declared !== 'gate' && declared !== 'boolean' && declared !== 'json') {
    return problem(`when input '${input}' has type '${declared}'; when needs a 'gate' or 'boolean' input`)
  }
  spec.when = { input }
}

function checkForeach(
  raw: PipelineStepInput,
  inputs: Record<string, InputSource>,
  kind: StepKind | undefined,
  whenInput: string | undefined,
  problem: (m: string) => void,
  spec: StepSpec,
): void {
  if (raw.foreach === undefined) return
  const input: unknown = typeof raw.foreach === 'object' && raw.foreach !== null ? (raw.foreach as { input?: unknown }).input : undefined
  if (typeof input !== 'string' || Object.keys(raw.foreach).length !== 1) return problem("foreach must be { input: '<input name>' } naming the list input to fan out over")
  if (kind !== undefined && kind.inputs[input] === undefined) return problem(`foreach names '${input}', which is not an input of kind '${kind.name}'`)
  if (!(input in inputs)) return problem(`foreach names input '${input}', which the step does not bind`)
  if (input === whenInput) return problem(`foreach and when cannot use the same input '${input}'`)
  spec.foreach = { input }
}

/** Depth-first search; reports the first cycle found as a path `a → b → a`. */
function findCycle(steps: readonly StepSpec[], problems: Problem[]): void {
  const deps = new Map(steps.map((s) => [s.name, stepDependencies(s)]))
  const state = new Map<string, 1 | 2>() // 1: on the stack, 2: done
  for (const root of deps.keys()) {
    if (state.has(root)) continue
    const stack: Array<{ name: string; next: number }> = [{ name: root, next: 0 }]
    state.set(root, 1)
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!
      const dep = deps.get(top.name)?.[top.next++]
      if (dep === undefined) {
        state.set(top.name, 2)
        stack.pop()
      } else if (state.get(dep) === 1) {
        const path = stack.slice(stack.findIndex((f) => f.name === dep)).map((f) => f.name)
        // Edges point from a step to what it reads; show the data flow (producer → consumer).
        const flow = [...path, dep].reverse()
        problems.push({ step: dep, message: `cycle: ${flow.join(' → ')}; a step cannot depend, directly or through others, on its own output` })
        return
      } else if (!state.has(dep) && deps.has(dep)) {
        state.set(dep, 1)
        stack.push({ name: dep, next: 0 })
      }
    }
  }
}

function unknownFields(value: object, known: readonly string[], where: string, problems: Problem[]): void {
  for (const field of Object.keys(value)) {
    if (known.includes(field)) continue
    const hint = closest(field, known)
    const step = where.startsWith('step ') ? where.slice(6, -1) : undefined
    const message = `unknown field '${field}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; ${where} takes ${known.join(', ')}`
    problems.push(step === undefined ? { message } : { step, message })
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}

/**
 * The parameters of one run: `given` checked against the definition (unknown names, types), defaults filled in,
 * every parameter without a default required. The engine and the CLI call this before a run starts.
 */
export function resolveParams(definition: PipelineDefinition, given: Readonly<Record<string, StepValue>> = {}): Record<string, StepValue> {
  const problems: string[] = []
  const resolved: Record<string, StepValue> = {}
  const declared = Object.keys(definition.params)
  for (const [name, value] of Object.entries(given)) {
    const param = definition.params[name]
    if (param === undefined) {
      const hint = closest(name, declared)
      problems.push(`'${name}' is not a parameter${hint === undefined ? '' : ` (did you mean '${hint}'?)`}; parameters: ${declared.join(', ') || 'none'}`)
      continue
    }
    const bad = constantProblem(param.type, value)
    if (bad === undefined) resolved[name] = value
    else problems.push(`'${name}': ${bad}`)
  }
  for (const [name, param] of Object.entries(definition.params)) {
    if (name in given) continue
    if (param.default !== undefined) resolved[name] = param.default
    else problems.push(`'${name}' (type '${param.type}') is required; pass it, e.g. --param ${name}=...`)
  }
  if (problems.length > 0) {
    throw invalidParameter(`Pipeline '${definition.name}' parameters are invalid: ${problems.join('; ')}.`, { pipeline: definition.name })
  }
  return resolved
}

/** A `--param k=v` text as the parameter's type: numbers and booleans parsed, strings as is, other types as JSON. */
export function parseParamText(definition: PipelineDefinition, name: string, text: string): StepValue {
  const param = definition.params[name]
  if (param === undefined) {
    const hint = closest(name, Object.keys(definition.params))
    throw invalidParameter(`Pipeline '${definition.name}' has no parameter '${name}'${hint === undefined ? '' : ` (did you mean '${hint}'?)`}.`)
  }
  if (param.type === 'string') return text
  if (param.type === 'number') {
    const value = text.trim() === '' ? Number.NaN : Number(text)
    if (!Number.isFinite(value)) throw invalidParameter(`Parameter '${name}' is a number; '${text}' is not one.`)
    return value
  }
  if (param.type === 'boolean') {
    if (text === 'true' || text === 'false') return text === 'true'
    throw invalidParameter(`Parameter '${name}' is a boolean; write true or false, not '${text}'.`)
  }
  try {
    return JSON.parse(text) as StepValue
  } catch {
    throw invalidParameter(`Parameter '${name}' (type '${param.type}') takes JSON, e.g. --param ${name}='{"uri":"...","digest":"..."}'; '${text}' is not JSON.`)
  }
}
