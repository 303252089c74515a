import type { Endpoint } from './endpoint.js'
import { keelEndpoints } from './keel-endpoints.js'
import { artifactEndpoints, loggedModelEndpoints } from './logged-model-endpoints.js'
import { registryEndpoints, webhookEndpoints } from './registry-endpoints.js'
import { trackingEndpoints } from './tracking-endpoints.js'

/** Every JSON RPC of keel's HTTP API, by name. The artifact byte streams, /health and /version are outside it. */
export const ENDPOINTS = {
  ...trackingEndpoints,
  ...loggedModelEndpoints,
  ...artifactEndpoints,
  ...registryEndpoints,
  ...webhookEndpoints,
  ...keelEndpoints,
}

export type EndpointName = keyof typeof ENDPOINTS

export function allEndpoints(): Endpoint[] {
  return Object.values(ENDPOINTS) as Endpoint[]
}
