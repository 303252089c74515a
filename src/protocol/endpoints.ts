import type { Endpoint } from './endpoint.js'
import { keelEndpoints } from './keel-endpoints.js'
import { artifactEndpoints, loggedModelEndpoints } from './logged-model-endpoints.js'
import { monitoringEndpoints } from './monitoring-endpoints.js'
import { pipelineEndpoints } from './pipeline-endpoints.js'
import { predictionEndpoints } from './prediction-endpoints.js'
import { registryEndpoints, webhookEndpoints } from './registry-endpoints.js'
import { trackingEndpoints } from './tracking-endpoints.js'

/**
 * Every JSON RPC of keel's HTTP API, by name: the one catalogue that routes, /openapi.json, the docs generator
 * and the malformed-request corpus all read. The artifact byte streams, /health and /version are outside it.
 */
export const ENDPOINTS = {
  ...trackingEndpoints,
  ...loggedModelEndpoints,
  ...artifactEndpoints,
  ...registryEndpoints,
  ...webhookEndpoints,
  ...keelEndpoints,
  ...predictionEndpoints,
  ...monitoringEndpoints,
  ...pipelineEndpoints,
}

export type EndpointName = keyof typeof ENDPOINTS

/** Every endpoint of the catalogue, in its order. */
export function allEndpoints(): Endpoint[] {
  return Object.values(ENDPOINTS) as Endpoint[]
}
