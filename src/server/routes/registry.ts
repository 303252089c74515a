import type { FastifyInstance } from 'fastify'
import { isKeelError } from '../../core/errors.js'
import { ENDPOINTS } from '../../protocol/endpoints.js'
import { fromWireLineage, fromWireTag, toWireModelVersion, toWireRegisteredModel } from '../../protocol/mlflow-wire.js'
import type { ModelStage, ModelVersion } from '../../registry/types.js'
import { addEndpoint, compact, requestUser, withToken } from '../route.js'
import type { ServerContext } from '../server-context.js'

const RUNS_URI = /^runs:\/([^/]+)(?:\/(.*))?$/
const LOGGED_MODEL_URI = /^models:\/(m-[0-9a-f]+)(?:\/(.*))?$/

/** MLflow's model registry: registered models, versions, tags, aliases and the legacy stages. */
export function registryRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { registry, tracking } = ctx

  addEndpoint(app, ENDPOINTS.createRegisteredModel, async (input) => {
    const model = await registry.createRegisteredModel(
      compact({ name: input.name, description: input.description, tags: input.tags?.map(fromWireTag) }),
    )
    return { registered_model: toWireRegisteredModel(model) }
  })

  addEndpoint(app, ENDPOINTS.renameRegisteredModel, async (input) => ({
    registered_model: toWireRegisteredModel(await registry.renameRegisteredModel(input.name, input.new_name)),
  }))

  addEndpoint(app, ENDPOINTS.updateRegisteredModel, async (input) => ({
    registered_model: toWireRegisteredModel(await registry.updateRegisteredModel(input.name, input.description ?? '')),
  }))

  addEndpoint(app, ENDPOINTS.deleteRegisteredModel, async (input) => {
    await registry.deleteRegisteredModel(input.name)
  })

  addEndpoint(app, ENDPOINTS.getRegisteredModel, async (input) => {
    const model = await registry.getRegisteredModel(input.name)
    const latest = await registry.getLatestVersions(input.name, [])
    return { registered_model: toWireRegisteredModel(model, latest) }
  })

  addEndpoint(app, ENDPOINTS.searchRegisteredModels, async (input) => {
    const page = await registry.searchRegisteredModels(
      compact({ filter: input.filter, maxResults: input.max_results, orderBy: input.order_by, pageToken: input.page_token }),
    )
    return withToken({ registered_models: page.items.map((m) => toWireRegisteredModel(m)) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.getLatestVersions, async (input) => {
    // Registry checks the stage names (any case) before the store sees them.
    const versions = await registry.getLatestVersions(input.name, (input.stages ?? []) as ModelStage[])
    return { model_versions: versions.map(toWireModelVersion) }
  })

  addEndpoint(app, ENDPOINTS.setRegisteredModelTag, async (input) => {
    await registry.setRegisteredModelTag(input.name, { key: input.key, value: input.value })
  })

  addEndpoint(app, ENDPOINTS.deleteRegisteredModelTag, async (input) => {
    await registry.deleteRegisteredModelTag(input.name, input.key)
  })

  addEndpoint(app, ENDPOINTS.setAlias, async (input, request) => {
    await registry.setAlias(input.name, input.alias, input.version, requestUser(request, input.moved_by))
  })

  addEndpoint(app, ENDPOINTS.deleteAlias, async (input, request) => {
    await registry.deleteAlias(input.name, input.alias, requestUser(request, input.moved_by))
  })

  addEndpoint(app, ENDPOINTS.getAlias, async (input) => ({
    model_version: toWireModelVersion(await registry.getVersionByAlias(input.name, input.alias)),
  }))

  addEndpoint(app, ENDPOINTS.createModelVersion, async (input, request) => {
    const version = await registry.createModelVersion(
      compact({
        name: input.name,
        source: input.source,
        runId: input.run_id,
        runLink: input.run_link,
        description: input.description,
        tags: input.tags?.map(fromWireTag),
        modelId: input.model_id,
        userId: requestUser(request, input.user_id),
        lineage: input.lineage === undefined ? undefined : fromWireLineage(input.lineage),
      }),
    )
    return { model_version: toWireModelVersion(version) }
  })

  addEndpoint(app, ENDPOINTS.updateModelVersion, async (input) => ({
    model_version: toWireModelVersion(await registry.updateModelVersion(input.name, input.version, input.description ?? '')),
  }))

  addEndpoint(app, ENDPOINTS.transitionStage, async (input) => ({
    model_version: toWireModelVersion(
      await registry.transitionStage(input.name, input.version, input.stage, input.archive_existing_versions),
    ),
  }))

  addEndpoint(app, ENDPOINTS.deleteModelVersion, async (input) => {
    await registry.deleteModelVersion(input.name, input.version)
  })

  addEndpoint(app, ENDPOINTS.getModelVersion, async (input) => ({
    model_version: toWireModelVersion(await registry.getModelVersion(input.name, input.version)),
  }))

  addEndpoint(app, ENDPOINTS.searchModelVersions, async (input) => {
    const page = await registry.searchModelVersions(
      compact({ filter: input.filter, maxResults: input.max_results, orderBy: input.order_by, pageToken: input.page_token }),
    )
    return withToken({ model_versions: page.items.map(toWireModelVersion) }, page.nextPageToken)
  })

  addEndpoint(app, ENDPOINTS.getDownloadUri, async (input) => {
    const version = await registry.getModelVersion(input.name, input.version)
    return { artifact_uri: await downloadUri(version) }
  })

  addEndpoint(app, ENDPOINTS.setModelVersionTag, async (input) => {
    await registry.setModelVersionTag(input.name, input.version, { key: input.key, value: input.value })
  })

  addEndpoint(app, ENDPOINTS.deleteModelVersionTag, async (input) => {
    await registry.deleteModelVersionTag(input.name, input.version, input.key)
  })

  /**
   * Where the version's files are: `runs:/<id>/<path>` and `models:/<logged model id>` sources are resolved
   * to the artifact URI they name; a run or logged model this server does not know leaves the source as is.
   */
  async function downloadUri(version: ModelVersion): Promise<string> {
    const runs = RUNS_URI.exec(version.source)
    const logged = LOGGED_MODEL_URI.exec(version.source)
    try {
      if (runs !== null) {
        const run = await tracking.getRun(runs[1] ?? '')
        return joinUri(run.info.artifactUri, runs[2])
      }
      if (logged !== null) {
        const model = await tracking.getLoggedModel(logged[1] ?? '')
        return joinUri(model.artifactUri, logged[2])
      }
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'RESOURCE_DOES_NOT_EXIST') throw error
    }
    return version.source
  }
}

function joinUri(base: string, path: string | undefined): string {
  if (path === undefined || path === '') return base
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}
