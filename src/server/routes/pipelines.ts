import type { FastifyInstance } from 'fastify'
import { KeelError, notFound } from '../../core/errors.js'
import type { PipelineStore } from '../../pipelines/types.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWirePipelineRun, fromWireStepRun, toWirePipelineRun, toWireStepRun } from '../../protocol/pipeline-endpoints.js'
import { addEndpoint, compact } from '../route.js'

/**
 * keel's pipeline run-state API, for workers and CLIs that reach the store through this server. The routes
 * always exist; a server started without a pipeline store answers NOT_IMPLEMENTED naming the fix. The
 * compare-and-set of `steps/update` happens in the store, so concurrent workers behind the server race
 * exactly as they would on the database.
 */
export function pipelineRoutes(app: FastifyInstance, store: PipelineStore | undefined): void {
  const target = (): PipelineStore => {
    if (store !== undefined) return store
    throw new KeelError('NOT_IMPLEMENTED', 'This keel server was started without a pipeline store; start it over a SQL store (SQLite or PostgreSQL) to record pipeline runs.')
  }

  addEndpoint(app, ENDPOINTS.createPipelineRun, async (input) => {
    await target().createRun(fromWirePipelineRun(input.run), input.steps.map(fromWireStepRun))
    return {}
  })

  addEndpoint(app, ENDPOINTS.getPipelineRun, async (input) => {
    const run = await target().getRun(input.run_id)
    if (run === undefined) throw notFound(`No pipeline run '${input.run_id}'; list runs with \`keel pipeline list\`.`)
    return { run: toWirePipelineRun(run) }
  })

  addEndpoint(app, ENDPOINTS.listPipelineRuns, async (input) => {
    const runs = await target().listRuns(compact({ pipeline: input.pipeline, status: input.status, maxResults: input.max_results }))
    return { runs: runs.map(toWirePipelineRun) }
  })

  addEndpoint(app, ENDPOINTS.setPipelineRunStatus, async (input) => {
    await target().setRunStatus(input.run_id, input.status, input.error)
    return {}
  })

  addEndpoint(app, ENDPOINTS.getPipelineSteps, async (input) => {
    return { steps: (await target().getSteps(input.run_id)).map(toWireStepRun) }
  })

  addEndpoint(app, ENDPOINTS.updatePipelineStep, async (input) => {
    return { updated: await target().updateStep(fromWireStepRun(input.step), input.expected) }
  })

  addEndpoint(app, ENDPOINTS.findCachedPipelineStep, async (input) => {
    const step = await target().findCached(input.cache_key)
    return step === undefined ? {} : { step: toWireStepRun(step) }
  })

  addEndpoint(app, ENDPOINTS.appendPipelineLog, async (input) => {
    await target().appendLog(input.run_id, input.step, input.line, input.at)
    return {}
  })

  addEndpoint(app, ENDPOINTS.pipelineLogs, async (input) => {
    return { logs: await target().logs(input.run_id, input.step) }
  })
}
