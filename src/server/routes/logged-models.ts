import type { FastifyInstance } from 'fastify'
import { invalidParameter } from '../../core/errors.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWireParam, fromWireTag, toWireLoggedModel } from '../../protocol/mlflow-wire.js'
import { addEndpoint, compact, withToken } from '../route.js'
import type { ServerContext } from '../server-context.js'

/** MLflow's documented page limit for logged models. */
const MAX_LOGGED_MODELS_PAGE = 50

/** MLflow 3's LoggedModel endpoints, which `log_model` needs. */
export function loggedModelRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { tracking } = ctx

  addEndpoint(app, ENDPOINTS.createLoggedModel, async (input) => {
    const model = await tracking.createLoggedModel(
      compact({
        experimentId: input.experiment_id,
        name: input.name,
        modelType: input.model_type,
        sourceRunId: input.source_run_id,
        params: input.params?.map(fromWireParam),
        tags: input.tags?.map(fromWireTag),
      }),
    )
    return { model: toWireLoggedModel(model) }
  })

  addEndpoint(app, ENDPOINTS.getLoggedModel, async (input) => ({
    model: toWireLoggedModel(await tracking.getLoggedModel(input.model_id)),
  }))

  addEndpoint(app, ENDPOINTS.finalizeLoggedModel, async (input) => {
    if (input.status === 'LOGGED_MODEL_PENDING') {
      throw invalidParameter("Invalid value for parameter 'status': finalize with LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.")
    }
    return { model: toWireLoggedModel(await tracking.finalizeLoggedModel(input.model_id, input.status)) }
  })

  addEndpoint(app, ENDPOINTS.deleteLoggedModel, async (input) => {
    await tracking.deleteLoggedModel(input.model_id)
  })

  addEndpoint(app, ENDPOINTS.searchLoggedModels, async (input) => {
    // Silently ignoring a filter would return wrong models; say it is not there yet instead.
    if (input.filter !== undefined && input.filter.trim() !== '') {
      throw invalidParameter('Filtering logged models is not supported by this server yet; search by experiment_ids only.')
    }
    if ((input.order_by?.length ?? 0) > 0 || (input.datasets?.length ?? 0) > 0) {
      throw invalidParameter('order_by and datasets are not supported for logged models by this server yet.')
    }
    const maxResults = input.max_results ?? MAX_LOGGED_MODELS_PAGE
    if (maxResults < 1 || maxResults > MAX_LOGGED_MODELS_PAGE) {
      throw invalidParameter(`Invalid value ${maxResults} for parameter 'max_results': it must be between 1 and ${MAX_LOGGED_MODELS_PAGE}.`)
    }
    const page = await tracking.searchLoggedModels(
      compact({ experimentIds: input.experiment_ids, maxResults, pageToken: input.page_token }),
    )
    return withToken({ models: page.items.map(toWireLoggedModel) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.setLoggedModelTags, async (input) => {
    await tracking.setLoggedModelTags(input.model_id, input.tags.map(fromWireTag))
  })

  addEndpoint(app, ENDPOINTS.deleteLoggedModelTag, async (input) => {
    await tracking.deleteLoggedModelTag(input.model_id, input.tag_key)
  })

  addEndpoint(app, ENDPOINTS.logLoggedModelParams, async (input) => {
    await tracking.logLoggedModelParams(input.model_id, input.params.map(fromWireParam))
  })
}
