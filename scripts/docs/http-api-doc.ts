import { API_BASES } from '../../src/protocol/endpoint.js'
import { curlExamples } from './curl-examples.js'
import { httpApiProse } from './http-api-prose.js'
import { httpApiReference } from './http-api-reference.js'
import { generatedNote } from './markdown.js'
import { webhooksDoc } from './webhooks-doc.js'

/** docs/http-api.md: what every endpoint shares, a curl session, webhooks, then the endpoint reference. */
export function httpApiDoc(): string {
  return `${[
    generatedNote('the endpoint catalogue of src/protocol/ and src/server/openapi.ts, with prose in the generator'),
    '# The keel HTTP API',
    `\`keel server\` speaks MLflow's REST API 2.0, so MLflow's own clients (the \`mlflow\` Python package and its
autologging, the MLflow UI) work with it unchanged. keel adds a few fields to MLflow's messages and an API of its
own under \`${API_BASES.keel[0]}\`. This page covers what every endpoint has in common, walks through a session with
\`curl\`, describes webhooks, and ends with a reference of every endpoint. A running server also describes itself
at \`/openapi.json\`.`,
    httpApiProse(),
    curlExamples(),
    webhooksDoc(),
    httpApiReference(),
  ].join('\n\n')}\n`
}
