import type { Endpoint } from './endpoint.js'
import { keelEndpoints } from './keel-endpoints.js'
import { artifactEndpoints, loggedModelEndpoints } from './logged-model-endpoints.js'
import { predictionEndpoints } from './prediction-endpoints.js'
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

/**
 * Every endpoint, including the prediction store's (kept out of ENDPOINTS for now: the malformed-request
 * corpus types its seed messages by EndpointName and does not cover them yet).
 */
export function allEndpoints(): Endpoint[] {
  return [...(Object.values(ENDPOINTS) as Endpoint[]), ...(Object.values(predictionEndpoints) as Endpoint[])]
}
