import { isKeelError } from '../../core/errors.js'
import type { ModelVersion } from '../../registry/types.js'
import { registerFromRun } from '../../training/register.js'
import type { StepKind, StepValue } from '../types.js'
import { badInput, logToStepRun, modelInput, objectInput, stringInput } from './step-values.js'

/** The tag `keel.register` puts on the versions it creates: `<pipeline run id>:<step>`. */
export const PIPELINE_STEP_TAG = 'keel.pipeline.step'

function checkName(context: Parameters<StepKind['run']>[0], input: string): string {
  const value = stringInput(context, input)
  // Names go into a registry filter between single quotes.
  if (value.includes("'")) throw badInput(context, input, `'${value}' must not contain a single quote.`)
  return value
}

/** The version this pipeline step registered before (a rerun after a crash, a stalled BullMQ job), if any. */
async function registeredBefore(context: Parameters<StepKind['run']>[0], name: string, marker: string): Promise<ModelVersion | undefined> {
  const page = await context.keel.registry.searchModelVersions({ filter: `name = '${name}' AND tags.\`${PIPELINE_STEP_TAG}\` = '${marker.replaceAll("'", '')}'`, maxResults: 10 })
  return page.items[0]
}

/**
 * `keel.register`: registers the model a `keel.fit` run logged as a new version of `name`, with lineage. Steps run
 * at least once, so it is idempotent: a version already tagged `keel.pipeline.step = <runId>:<step>` is returned
 * instead of registering a second one.
 */
export const registerStep: StepKind = {
  name: 'keel.register',
  version: '1',
  inputs: { model: 'model', name: 'string' },
  outputs: { version: 'string', name: 'string', uri: 'string' },
  async run(context) {
    const model = modelInput(context, 'model')
    const name = checkName(context, 'name')
    const marker = `${context.runId}:${context.step}`
    const runs = /^runs:\/([^/]+)\/(.+)$/.exec(model.uri)
    if (runs === null) throw badInput(context, 'model', `must be a model a run logged (runs:/<run id>/model), got '${model.uri}'.`)
    let version = await registeredBefore(context, name, marker)
    const reused = version !== undefined
    if (version === undefined) {
      const registered = await registerFromRun(context.keel, runs[1]!, {
        name,
        tags: { [PIPELINE_STEP_TAG]: marker, 'keel.pipeline': context.pipeline, 'keel.model.digest': model.digest },
      })
      version = registered.version
    }
    await logToStepRun(context, { tags: { 'keel.register.version': `${name}/${version.version}`, 'keel.register.reused': String(reused) } })
    return { version: version.version, name, uri: `models:/${name}/${version.version}` }
  },
}

/**
 * `keel.promote`: points `alias` at `version` (a deploy). Meant to run under `when: { input: 'gate' }`; it also
 * checks the gate itself, so without `when` a failed gate outputs promoted=false instead of moving the alias.
 * Moving an alias to the version it already names is a no-op, so reruns are harmless.
 */
export const promoteStep: StepKind = {
  name: 'keel.promote',
  version: '1',
  inputs: { name: 'string', version: 'string', alias: 'string', gate: 'gate' },
  outputs: { promoted: 'boolean', previous: 'json', version: 'string' },
  async run(context) {
    const name = checkName(context, 'name')
    const version = stringInput(context, 'version')
    const alias = stringInput(context, 'alias')
    const gate = objectInput(context, 'gate')
    let previous: StepValue = null
    try {
      previous = (await context.keel.registry.getVersionByAlias(name, alias)).version
    } catch (error) {
      if (!(isKeelError(error) && (error.code === 'RESOURCE_DOES_NOT_EXIST' || error.code === 'INVALID_PARAMETER_VALUE'))) throw error
    }
    if (gate['passed'] !== true) {
      context.log.warn({ step: context.step, name, alias }, `gate did not pass: ${name}@${alias} stays at ${String(previous)}`)
      return { promoted: false, previous, version }
    }
    if (previous !== version) await context.keel.setAlias(name, alias, version)
    await logToStepRun(context, { tags: { 'keel.promote': `${name}@${alias}: ${String(previous)} → ${version}` } })
    return { promoted: true, previous, version }
  },
}
