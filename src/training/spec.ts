import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { invalidParameter } from '../core/errors.js'

const columnType = z.enum(['float', 'int', 'bool', 'datetime', 'category', 'categorical', 'string', 'numeric'])
const paramValue = z.union([z.string(), z.number(), z.boolean()])

const distribution = z.union([
  z.strictObject({ kind: z.literal('choice'), values: z.array(paramValue).min(1) }),
  z.strictObject({ kind: z.enum(['uniform', 'logUniform']), low: z.number(), high: z.number() }),
  z.strictObject({ kind: z.literal('intRange'), low: z.number().int(), high: z.number().int(), step: z.number().int().positive().default(1) }),
])

const threshold = z.strictObject({
  threshold: z.number().optional(),
  minAbsoluteChange: z.number().positive().optional(),
  minRelativeChange: z.number().min(0).max(1).optional(),
  /** Default: false for losses and errors (log_loss, rmse, ...), true otherwise. */
  greaterIsBetter: z.boolean().optional(),
})

/** The training spec (YAML or JSON) documented in docs/training.md. */
export const trainingSpecSchema = z.strictObject({
  experiment: z.string().min(1).default('Default'),
  runName: z.string().min(1).optional(),
  /** Extra run tags. */
  tags: z.record(z.string(), z.string()).default({}),
  /** Seed for the split, the pipeline, the algorithm and the search. */
  seed: z.number().int().default(42),
  data: z.strictObject({
    /** Relative paths resolve against the spec file's directory. */
    path: z.string().min(1),
    /** Dataset name in tracking (default: the file name). */
    name: z.string().min(1).optional(),
    format: z
      .strictObject({
        delimiter: z.string().length(1).optional(),
        header: z.boolean().optional(),
        missing: z.array(z.string()).optional(),
        inferRows: z.number().int().positive().optional(),
        onTypeConflict: z.enum(['error', 'categorical']).optional(),
        detectDates: z.boolean().optional(),
      })
      .default({}),
    /** Per-column type overrides. */
    schema: z.record(z.string(), columnType).default({}),
    /** A keel-data-schema JSON file the data must satisfy; training stops with every violation listed. */
    validate: z.string().min(1).optional(),
  }),
  target: z.string().min(1),
  task: z.enum(['classification', 'regression']).optional(),
  features: z
    .strictObject({
      include: z.array(z.string().min(1)).min(1).optional(),
      exclude: z.array(z.string().min(1)).default([]),
      /** `src/features` transform specs, applied in order. */
      steps: z.array(z.looseObject({ type: z.string() })).default([]),
    })
    .default({ exclude: [], steps: [] }),
  algorithm: z.strictObject({
    name: z.string().min(1),
    params: z.record(z.string(), z.unknown()).default({}),
  }),
  evaluation: z
    .strictObject({
      testFraction: z.number().gt(0).lt(1).default(0.2),
      /** Default: true for classification. */
      stratified: z.boolean().optional(),
      /** Default: the spec's seed. */
      seed: z.number().int().optional(),
      cv: z
        .strictObject({
          folds: z.number().int().min(2).default(5),
          stratified: z.boolean().optional(),
          shuffle: z.boolean().default(true),
        })
        .optional(),
      /** Metrics to log (names from evaluateClassifier/evaluateRegressor); default all. */
      metrics: z.array(z.string().min(1)).min(1).optional(),
    })
    .default({ testFraction: 0.2 }),
  /** Global importances logged with the model (model/explanations/); see docs/training.md, Explanations. */
  explain: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Holdout rows explained at most (a seeded sample); TreeSHAP may use fewer for very large ensembles. */
      maxRows: z.number().int().positive().default(5000),
    })
    .default({ enabled: true, maxRows: 5000 }),
  search: z
    .strictObject({
      method: z.enum(['grid', 'random', 'halving']),
      space: z.record(z.string(), z.union([paramValue, z.array(paramValue).min(1), distribution])),
      metric: z.string().min(1),
      greaterIsBetter: z.boolean().optional(),
      /** Random search: how many points; halving: candidates to sample from a continuous space. */
      trials: z.number().int().positive().optional(),
      folds: z.number().int().min(2).default(3),
      /** Halving: the budget is training rows (default) or an integer algorithm param such as nTrees. */
      resource: z.string().min(1).default('rows'),
      maxResource: z.number().int().positive().optional(),
      factor: z.number().int().min(2).default(3),
    })
    .optional(),
  gate: z
    .strictObject({
      /** Compare against the version this alias points at (default: register.alias). */
      baseline: z.string().min(1).optional(),
      metrics: z.record(z.string(), threshold),
    })
    .optional(),
  register: z
    .strictObject({
      name: z.string().min(1),
      alias: z.string().min(1).optional(),
      description: z.string().optional(),
      tags: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
})

export type TrainingSpec = z.output<typeof trainingSpecSchema>
/** What a caller writes: defaults may be left out. */
export type TrainingSpecInput = z.input<typeof trainingSpecSchema>

/** Checks a spec object; every problem is listed with its field path and what to write instead. */
export function parseTrainingSpec(input: unknown, where = 'training spec'): TrainingSpec {
  const result = trainingSpecSchema.safeParse(input, { reportInput: true })
  if (!result.success) {
    const lines = result.error.issues.slice(0, 10).map((issue) => `  - ${describeIssue(issue)}`)
    throw invalidParameter(`Invalid ${where}:\n${lines.join('\n')}\nSee docs/training.md for every field.`)
  }
  const spec = result.data
  if (spec.features.include !== undefined && spec.features.include.includes(spec.target)) {
    throw invalidParameter(`features.include lists the target '${spec.target}'; remove it (the target is never a feature).`)
  }
  if (spec.search?.method === 'random' && spec.search.trials === undefined) {
    throw invalidParameter(`search.trials is required for method 'random'; say how many points to try, e.g. trials: 20.`)
  }
  if (spec.gate !== undefined && spec.register === undefined) {
    throw invalidParameter(`gate needs register: the gate decides whether register.alias moves; add register.name (and alias).`)
  }
  for (const [metric, t] of Object.entries(spec.gate?.metrics ?? {})) {
    if (t.threshold === undefined && t.minAbsoluteChange === undefined && t.minRelativeChange === undefined) {
      throw invalidParameter(`gate.metrics.${metric} sets no check; give threshold, minAbsoluteChange or minRelativeChange.`)
    }
  }
  return spec
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[')
  const field = path === '' ? '(top level)' : path
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${field === '(top level)' ? '' : `${field}: `}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; check the spelling against docs/training.md.`
    case 'invalid_type':
      return issue.input === undefined ? `${field} is required (${issue.expected}).` : `${field} must be ${article(issue.expected)}; got ${JSON.stringify(issue.input)}.`
    case 'invalid_value':
      return `${field} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${JSON.stringify(issue.input)}.`
    default:
      return `${field}: ${issue.message}.`
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}

/** Reads a `.yaml`/`.yml`/`.json` spec; `data.path` and `data.validate` become absolute, relative to the file. */
export async function readTrainingSpec(file: string): Promise<TrainingSpec> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw invalidParameter(`Cannot read the training spec '${file}': ${(error as Error).message}.`)
  }
  let doc: unknown
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text)
  } catch (error) {
    throw invalidParameter(`The training spec '${file}' is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(error as Error).message}`)
  }
  const spec = parseTrainingSpec(doc, `training spec '${file}'`)
  const base = dirname(resolve(file))
  spec.data.path = isAbsolute(spec.data.path) ? spec.data.path : resolve(base, spec.data.path)
  if (spec.data.validate !== undefined && !isAbsolute(spec.data.validate)) spec.data.validate = resolve(base, spec.data.validate)
  return spec
}
