import { z } from 'zod'

/**
 * The JSON shapes of MLflow's entities on the wire (snake_case, proto field names), plus keel's extensions.
 * They document responses in /openapi.json and type both sides of the HTTP boundary. Fields MLflow leaves
 * unset are optional: readers must default them.
 */

const int64 = z.number().int().meta({ description: 'int64 (milliseconds for times)' })
const double = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])])

export const wireTag = z.object({ key: z.string(), value: z.string() })
export type WireTag = z.infer<typeof wireTag>

export const wireMetric = z.object({
  key: z.string(),
  value: double,
  timestamp: int64,
  step: int64,
  run_id: z.string().optional(),
})
export type WireMetric = z.infer<typeof wireMetric>

export const wireExperiment = z.object({
  experiment_id: z.string(),
  name: z.string(),
  artifact_location: z.string(),
  lifecycle_stage: z.enum(['active', 'deleted']),
  creation_time: int64,
  last_update_time: int64,
  tags: z.array(wireTag).optional(),
})
export type WireExperiment = z.infer<typeof wireExperiment>

export const wireRunStatus = z.enum(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'])

export const wireRunInfo = z.object({
  run_id: z.string(),
  run_uuid: z.string().optional().meta({ description: 'deprecated alias of run_id' }),
  run_name: z.string(),
  experiment_id: z.string(),
  user_id: z.string(),
  status: wireRunStatus,
  start_time: int64,
  end_time: int64.optional(),
  artifact_uri: z.string(),
  lifecycle_stage: z.enum(['active', 'deleted']),
})
export type WireRunInfo = z.infer<typeof wireRunInfo>

export const wireDataset = z.object({
  name: z.string(),
  digest: z.string(),
  source_type: z.string(),
  source: z.string(),
  schema: z.string().optional(),
  profile: z.string().optional(),
})
export type WireDataset = z.infer<typeof wireDataset>

export const wireDatasetInput = z.object({ tags: z.array(wireTag).optional(), dataset: wireDataset })
export type WireDatasetInput = z.infer<typeof wireDatasetInput>

export const wireRun = z.object({
  info: wireRunInfo,
  data: z.object({
    metrics: z.array(wireMetric).optional(),
    params: z.array(wireTag).optional(),
    tags: z.array(wireTag).optional(),
  }),
  inputs: z
    .object({
      dataset_inputs: z.array(wireDatasetInput).optional(),
      model_inputs: z.array(z.object({ model_id: z.string() })).optional(),
    })
    .optional(),
  outputs: z.object({ model_outputs: z.array(z.object({ model_id: z.string(), step: int64 })).optional() }).optional(),
})
export type WireRun = z.infer<typeof wireRun>

export const wireFileInfo = z.object({ path: z.string(), is_dir: z.boolean(), file_size: int64.optional(), digest: z.string().optional() })
export type WireFileInfo = z.infer<typeof wireFileInfo>

export const wireLoggedModelStatus = z.enum(['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'])

export const wireLoggedModel = z.object({
  info: z.object({
    model_id: z.string(),
    experiment_id: z.string(),
    name: z.string(),
    creation_timestamp_ms: int64,
    last_updated_timestamp_ms: int64,
    artifact_uri: z.string(),
    status: wireLoggedModelStatus,
    model_type: z.string().optional(),
    source_run_id: z.string().optional(),
    status_message: z.string().optional(),
    tags: z.array(wireTag).optional(),
    lifecycle_stage: z.enum(['active', 'deleted']).optional().meta({ description: 'keel extension' }),
  }),
  data: z.object({ params: z.array(wireTag).optional(), metrics: z.array(wireMetric).optional() }),
})
export type WireLoggedModel = z.infer<typeof wireLoggedModel>

export const wireLineage = z
  .object({
    artifact_digest: z.string().optional(),
    dataset_digest: z.string().optional(),
    code_version: z.string().optional(),
    environment: z
      .object({
        node: z.string(),
        keel: z.string(),
        lockfile_hash: z.string().optional(),
        platform: z.string().optional(),
      })
      .optional(),
    signature: z
      .object({
        inputs: z.array(z.object({ name: z.string(), type: z.string(), required: z.boolean().optional() })),
        outputs: z.array(z.object({ name: z.string(), type: z.string(), required: z.boolean().optional() })),
      })
      .optional(),
    input_example: z.unknown().optional(),
  })
  .meta({ description: 'keel extension: where a model version came from' })
export type WireLineage = z.infer<typeof wireLineage>

export const wireModelStage = z.enum(['None', 'Staging', 'Production', 'Archived'])

export const wireModelVersion = z.object({
  name: z.string(),
  version: z.string(),
  creation_timestamp: int64,
  last_updated_timestamp: int64,
  user_id: z.string().optional(),
  current_stage: wireModelStage,
  description: z.string().optional(),
  source: z.string(),
  run_id: z.string().optional(),
  status: z.enum(['PENDING_REGISTRATION', 'FAILED_REGISTRATION', 'READY']),
  status_message: z.string().optional(),
  tags: z.array(wireTag).optional(),
  run_link: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  model_id: z.string().optional(),
  lineage: wireLineage.optional(),
})
export type WireModelVersion = z.infer<typeof wireModelVersion>

export const wireRegisteredModel = z.object({
  name: z.string(),
  creation_timestamp: int64,
  last_updated_timestamp: int64,
  description: z.string().optional(),
  tags: z.array(wireTag).optional(),
  aliases: z.array(z.object({ alias: z.string(), version: z.string() })).optional(),
  latest_versions: z.array(wireModelVersion).optional(),
})
export type WireRegisteredModel = z.infer<typeof wireRegisteredModel>

export const wireAliasMove = z.object({
  id: int64,
  name: z.string(),
  alias: z.string(),
  from_version: z.string().nullable(),
  to_version: z.string().nullable(),
  moved_at: int64,
  moved_by: z.string(),
})
export type WireAliasMove = z.infer<typeof wireAliasMove>

export const wireWebhookEvent = z.object({ entity: z.string(), action: z.string() })
export type WireWebhookEvent = z.infer<typeof wireWebhookEvent>

export const wireWebhook = z.object({
  webhook_id: z.string(),
  name: z.string(),
  description: z.string().optional(),
  url: z.string(),
  events: z.array(wireWebhookEvent),
  status: z.enum(['ACTIVE', 'DISABLED']),
  creation_timestamp: int64,
  last_updated_timestamp: int64,
  has_secret: z.boolean().optional().meta({ description: 'keel extension: whether an HMAC secret is set' }),
})
export type WireWebhook = z.infer<typeof wireWebhook>

export const wireRegistryEvent = z.object({
  id: int64,
  type: z.string(),
  created_at: int64,
  payload: z.record(z.string(), z.unknown()),
})
export type WireRegistryEvent = z.infer<typeof wireRegistryEvent>

export const wireWebhookDelivery = z.object({
  delivery_id: int64,
  webhook_id: z.string(),
  url: z.string(),
  event: wireRegistryEvent,
  attempts: int64,
  status: z.enum(['PENDING', 'DELIVERED', 'FAILED']),
  next_attempt_at: int64,
  last_error: z.string().optional(),
})
export type WireWebhookDelivery = z.infer<typeof wireWebhookDelivery>

export const wireSampledSeries = z.object({
  run_id: z.string(),
  key: z.string(),
  total_points: int64,
  steps: z.array(int64),
  values: z.array(double),
  timestamps: z.array(int64),
})
export type WireSampledSeries = z.infer<typeof wireSampledSeries>

export const wireError = z.object({
  error_code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
})
export type WireError = z.infer<typeof wireError>
