import { KeelError } from '../../core/errors.js'
import type { Page } from '../../core/page.js'
import {
  fromWireAliasMove,
  fromWireModelVersion,
  fromWireRegisteredModel,
  fromWireWebhook,
  fromWireWebhookDelivery,
  toWireLineage,
  toWireTag,
  toWireWebhookEvent,
} from '../../protocol/mlflow-wire.js'
import type {
  WireAliasMove,
  WireModelVersion,
  WireRegisteredModel,
  WireWebhook,
  WireWebhookDelivery,
} from '../../protocol/wire-types.js'
import type {
  CreateModelVersionInput,
  CreateWebhookInput,
  RegistryStore,
  SearchInput,
  UpdateWebhookInput,
} from '../../registry/registry-store.js'
import type {
  AliasMove,
  DeliveryStatus,
  ModelStage,
  ModelVersion,
  RegisteredModel,
  Tag,
  Webhook,
  WebhookDelivery,
} from '../../registry/types.js'
import type { HttpTransport } from './http-transport.js'
import { API, KEEL, body, page } from './wire-body.js'


function searchQuery(input: SearchInput): Record<string, string | number | string[] | undefined> {
  return { filter: input.filter, max_results: input.maxResults, order_by: input.orderBy, page_token: input.pageToken }
}

/**
 * `RegistryStore` over a keel server: MLflow's registry endpoints, keel's `lineage` and `moved_by`
 * extensions, keel's alias-history and delivery endpoints. The server runs webhook delivery itself, so the
 * dispatcher's primitives (`dueDeliveries`, `recordDeliveryAttempt`) are not offered remotely.
 */
export class HttpRegistryStore implements RegistryStore {
  constructor(private readonly http: HttpTransport) {}

  async createRegisteredModel(input: { name: string; description?: string; tags?: Tag[] }): Promise<RegisteredModel> {
    const res = await this.http.post<{ registered_model: WireRegisteredModel }>(
      `${API}/registered-models/create`,
      body({ name: input.name, description: input.description, tags: input.tags?.map(toWireTag) }),
    )
    return fromWireRegisteredModel(res.registered_model)
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const res = await this.http.get<{ registered_model: WireRegisteredModel }>(`${API}/registered-models/get`, { name })
    return fromWireRegisteredModel(res.registered_model)
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    const res = await this.http.post<{ registered_model: WireRegisteredModel }>(`${API}/registered-models/rename`, {
      name,
      new_name: newName,
    })
    return fromWireRegisteredModel(res.registered_model)
  }

  async updateRegisteredModel(name: string, description: string): Promise<RegisteredModel> {
    const res = await this.http.patch<{ registered_model: WireRegisteredModel }>(`${API}/registered-models/update`, {
      name,
      description,
    })
    return fromWireRegisteredModel(res.registered_model)
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.http.delete(`${API}/registered-models/delete`, { name })
  }

  async searchRegisteredModels(input: SearchInput): Promise<Page<RegisteredModel>> {
    const res = await this.http.get<{ registered_models?: WireRegisteredModel[]; next_page_token?: string }>(
      `${API}/registered-models/search`,
      searchQuery(input),
    )
    return page((res.registered_models ?? []).map(fromWireRegisteredModel), res.next_page_token)
  }

  async setRegisteredModelTag(name: string, tag: Tag): Promise<void> {
    await this.http.post(`${API}/registered-models/set-tag`, { name, key: tag.key, value: tag.value })
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.http.delete(`${API}/registered-models/delete-tag`, { name, key })
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const res = await this.http.post<{ model_version: WireModelVersion }>(
      `${API}/model-versions/create`,
      body({
        name: input.name,
        source: input.source,
        run_id: input.runId,
        run_link: input.runLink,
        description: input.description,
        tags: input.tags?.map(toWireTag),
        model_id: input.modelId,
        user_id: input.userId,
        lineage: input.lineage === undefined ? undefined : toWireLineage(input.lineage),
      }),
    )
    return fromWireModelVersion(res.model_version)
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const res = await this.http.get<{ model_version: WireModelVersion }>(`${API}/model-versions/get`, { name, version })
    return fromWireModelVersion(res.model_version)
  }

  async updateModelVersion(name: string, version: string, description: string): Promise<ModelVersion> {
    const res = await this.http.patch<{ model_version: WireModelVersion }>(`${API}/model-versions/update`, {
      name,
      version,
      description,
    })
    return fromWireModelVersion(res.model_version)
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    await this.http.delete(`${API}/model-versions/delete`, { name, version })
  }

  async searchModelVersions(input: SearchInput): Promise<Page<ModelVersion>> {
    const res = await this.http.get<{ model_versions?: WireModelVersion[]; next_page_token?: string }>(
      `${API}/model-versions/search`,
      searchQuery(input),
    )
    return page((res.model_versions ?? []).map(fromWireModelVersion), res.next_page_token)
  }

  async setModelVersionTag(name: string, version: string, tag: Tag): Promise<void> {
    await this.http.post(`${API}/model-versions/set-tag`, { name, version, key: tag.key, value: tag.value })
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    await this.http.delete(`${API}/model-versions/delete-tag`, { name, version, key })
  }

  async getLatestVersions(name: string, stages: ModelStage[]): Promise<ModelVersion[]> {
    const res = await this.http.post<{ model_versions?: WireModelVersion[] }>(
      `${API}/registered-models/get-latest-versions`,
      { name, stages },
    )
    return (res.model_versions ?? []).map(fromWireModelVersion)
  }

  async transitionStage(name: string, version: string, stage: ModelStage, archiveExisting: boolean): Promise<ModelVersion> {
    const res = await this.http.post<{ model_version: WireModelVersion }>(`${API}/model-versions/transition-stage`, {
      name,
      version,
      stage,
      archive_existing_versions: archiveExisting,
    })
    return fromWireModelVersion(res.model_version)
  }

  async setAlias(name: string, alias: string, version: string, movedBy: string): Promise<void> {
    await this.http.post(`${API}/registered-models/alias`, { name, alias, version, moved_by: movedBy })
  }

  async deleteAlias(name: string, alias: string, movedBy: string): Promise<void> {
    await this.http.delete(`${API}/registered-models/alias`, { name, alias, moved_by: movedBy })
  }

  async getVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const res = await this.http.get<{ model_version: WireModelVersion }>(`${API}/registered-models/alias`, { name, alias })
    return fromWireModelVersion(res.model_version)
  }

  async aliasHistory(name: string, alias?: string): Promise<AliasMove[]> {
    const res = await this.http.get<{ moves?: WireAliasMove[] }>(`${KEEL}/registered-models/alias-history`, {
      name,
      alias,
    })
    return (res.moves ?? []).map(fromWireAliasMove)
  }

  async createWebhook(input: CreateWebhookInput): Promise<Webhook> {
    const res = await this.http.post<{ webhook: WireWebhook }>(
      `${API}/webhooks`,
      body({
        name: input.name,
        url: input.url,
        events: input.events.map(toWireWebhookEvent),
        description: input.description,
        secret: input.secret,
        status: input.status,
      }),
    )
    return fromWireWebhook(res.webhook)
  }

  async getWebhook(webhookId: string): Promise<Webhook> {
    const res = await this.http.get<{ webhook: WireWebhook }>(`${API}/webhooks/${encodeURIComponent(webhookId)}`)
    return fromWireWebhook(res.webhook)
  }

  async listWebhooks(): Promise<Webhook[]> {
    const webhooks: Webhook[] = []
    let token: string | undefined
    // Bounded: a server that kept returning tokens would otherwise loop forever.
    for (let i = 0; i < 10_000; i++) {
      const res = await this.http.get<{ webhooks?: WireWebhook[]; next_page_token?: string }>(`${API}/webhooks`, {
        page_token: token,
      })
      webhooks.push(...(res.webhooks ?? []).map(fromWireWebhook))
      token = res.next_page_token
      if (token === undefined || token === '') break
    }
    return webhooks
  }

  async updateWebhook(webhookId: string, input: UpdateWebhookInput): Promise<Webhook> {
    const res = await this.http.patch<{ webhook: WireWebhook }>(
      `${API}/webhooks/${encodeURIComponent(webhookId)}`,
      body({
        name: input.name,
        url: input.url,
        events: input.events?.map(toWireWebhookEvent),
        description: input.description,
        secret: input.secret,
        status: input.status,
      }),
    )
    return fromWireWebhook(res.webhook)
  }

  async deleteWebhook(webhookId: string): Promise<void> {
    await this.http.delete(`${API}/webhooks/${encodeURIComponent(webhookId)}`)
  }

  async dueDeliveries(_now: number, _limit: number): Promise<WebhookDelivery[]> {
    throw serverSide('dueDeliveries')
  }

  async recordDeliveryAttempt(
    _deliveryId: number,
    _outcome: { status: DeliveryStatus; nextAttemptAt: number; error: string },
  ): Promise<void> {
    throw serverSide('recordDeliveryAttempt')
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    const res = await this.http.get<{ deliveries?: WireWebhookDelivery[] }>(
      `${KEEL}/webhooks/${encodeURIComponent(webhookId)}/deliveries`,
      { max_results: limit },
    )
    return (res.deliveries ?? []).map(fromWireWebhookDelivery)
  }

  async close(): Promise<void> {
    // The transport is shared with the other adapters; `Stores.close()` closes it.
  }
}

function serverSide(method: string): KeelError {
  return new KeelError(
    'NOT_IMPLEMENTED',
    `${method} is not available over HTTP: the keel server delivers webhooks itself. Run the dispatcher against a SQL store.`,
  )
}
