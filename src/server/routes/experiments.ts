import type { FastifyInstance } from 'fastify'
import { notFound } from '../../core/errors.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWireTag, toWireExperiment } from '../../protocol/mlflow-wire.js'
import { addEndpoint, compact, withToken } from '../route.js'
import type { ServerContext } from '../server-context.js'

/** experiments/create, get, get-by-name, search (POST and GET), update, delete, restore and their tags. */
export function experimentRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tracking } = ctx

  addEndpoint(app, ENDPOINTS.createExperiment, async (input) => {
    const experimentId = await tracking.createExperiment(
      compact({ name: input.name, artifactLocation: input.artifact_location, tags: input.tags?.map(fromWireTag) }),
    )
    return { experiment_id: experimentId }
  })

  addEndpoint(app, ENDPOINTS.getExperiment, async (input) => ({
    experiment: toWireExperiment(await tracking.getExperiment(input.experiment_id)),
  }))

  addEndpoint(app, ENDPOINTS.getExperimentByName, async (input) => {
    const experiment = await tracking.getExperimentByName(input.experiment_name)
    if (experiment === undefined) {
      throw notFound(`Could not find experiment with name '${input.experiment_name}'.`, { experiment_name: input.experiment_name })
    }
    return { experiment: toWireExperiment(experiment) }
  })

  addEndpoint(app, ENDPOINTS.searchExperiments, async (input) => {
    const page = await tracking.searchExperiments(
      compact({
        viewType: input.view_type,
        filter: input.filter,
        maxResults: input.max_results,
        orderBy: input.order_by,
        pageToken: input.page_token,
      }),
    )
    return withToken({ experiments: page.items.map(toWireExperiment) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.updateExperiment, async (input) => {
    await tracking.renameExperiment(input.experiment_id, input.new_name)
  })

  addEndpoint(app, ENDPOINTS.deleteExperiment, async (input) => {
    await tracking.deleteExperiment(input.experiment_id)
  })

  addEndpoint(app, ENDPOINTS.restoreExperiment, async (input) => {
    await tracking.restoreExperiment(input.experiment_id)
  })

  addEndpoint(app, ENDPOINTS.setExperimentTag, async (input) => {
    await tracking.setExperimentTag(input.experiment_id, { key: input.key, value: input.value })
  })

  addEndpoint(app, ENDPOINTS.deleteExperimentTag, async (input) => {
    await tracking.deleteExperimentTag(input.experiment_id, input.key)
  })
}
