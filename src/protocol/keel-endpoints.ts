import { z } from 'zod'
import { endpoint, stringList } from './endpoint.js'
import { int64Schema } from './wire-numbers.js'
import { wireAliasMove, wireSampledSeries, wireWebhookDelivery } from './wire-types.js'

/** keel's own API (`/api/keel/v1`) and MLflow 3's server-info probe. */

const int64 = int64Schema()

export const keelEndpoints = {
  aliasHistory: endpoint({
    operationId: 'aliasHistory',
    method: 'GET',
    api: 'keel',
    path: '/registered-models/alias-history',
    summary: 'Every move of one alias (or of all aliases of a model), oldest first, with who moved it.',
    tag: 'keel',
    request: z.object({ name: z.string(), alias: z.string().optional() }),
    response: z.object({ moves: z.array(wireAliasMove) }),
  }),
  sampledMetrics: endpoint({
    operationId: 'sampledMetrics',
    method: 'GET',
    api: 'keel',
    path: '/metrics/sampled',
    summary: "One metric of several runs, each reduced to about max_points points keeping every bucket's min and max.",
    tag: 'keel',
    request: z.object({
      run_ids: stringList,
      metric_key: z.string(),
      max_points: int64.optional(),
      start_step: int64.optional(),
      end_step: int64.optional(),
    }),
    response: z.object({ series: z.array(wireSampledSeries) }),
  }),
  collectGarbage: endpoint({
    operationId: 'collectGarbage',
    method: 'POST',
    api: 'keel',
    path: '/gc',
    summary:
      'Permanently remove deleted runs and experiments (deleted at least older_than_ms ago, or exactly the given ids) with their artifacts.',
    tag: 'keel',
    request: z.object({
      older_than_ms: int64.optional(),
      run_ids: stringList.optional(),
      experiment_ids: stringList.optional(),
    }),
    response: z.object({
      run_ids: stringList,
      experiment_ids: stringList,
      artifact_files_deleted: z.number().int(),
      bytes_freed: z.number().int(),
    }),
  }),
  webhookDeliveries: endpoint({
    operationId: 'webhookDeliveries',
    method: 'GET',
    api: 'keel',
    path: '/webhooks/{webhook_id}/deliveries',
    summary: "A webhook's most recent deliveries: status, attempts, next attempt and last error.",
    tag: 'keel',
    request: z.object({ webhook_id: z.string(), max_results: int64.optional() }),
    response: z.object({ deliveries: z.array(wireWebhookDelivery) }),
  }),
  serverInfo: endpoint({
    operationId: 'serverInfo',
    method: 'GET',
    api: 'mlflow3',
    path: '/mlflow/server-info',
    summary: "MLflow 3 clients' capability probe.",
    tag: 'misc',
    request: z.object({}),
    response: z.object({ store_type: z.string(), workspaces_enabled: z.boolean() }).loose(),
  }),
}
