import { z } from 'zod'
import { isKeelError } from '../../src/core/errors.js'
import { API_BASES } from '../../src/protocol/endpoint.js'
import { ENDPOINTS } from '../../src/protocol/endpoints.js'
import { parseRequest } from '../../src/protocol/parse-request.js'
import { wireAliasMove, wireLineage } from '../../src/protocol/wire-types.js'
import { REGISTRY_LIMITS } from '../../src/registry/validation.js'
import { DEFAULT_BODY_LIMIT } from '../../src/server/create-server.js'
import { BULK_INTERVAL_MAX_RESULTS, BULK_INTERVAL_MAX_RUNS } from '../../src/server/routes/metrics.js'
import { WEBHOOK_PAGE_DEFAULT, WEBHOOK_PAGE_MAX } from '../../src/server/routes/webhooks.js'
import { SYSTEM_ACTOR } from '../../src/store/sql/registry/sql-aliases.js'
import { DEFAULT_MAX_RESULTS, TRACKING_LIMITS } from '../../src/tracking/validation.js'
import { EXAMPLE_RUN_ID } from './errors-doc.js'

function n(value: number): string {
  return value.toLocaleString('en-US')
}

/** `4 MiB`; a size that is not a whole number of MiB keeps two decimals. */
function mebibytes(bytes: number): string {
  const mib = bytes / (1024 * 1024)
  return `${Number.isInteger(mib) ? mib : mib.toFixed(2)} MiB`
}

function exampleValidationError(): string {
  try {
    parseRequest(ENDPOINTS.logBatch.request, {
      run_id: EXAMPLE_RUN_ID,
      metrics: [{ key: 'loss', value: 'high', timestamp: 1767225600000 }],
    })
  } catch (error) {
    if (isKeelError(error)) return JSON.stringify(error.toJSON(), null, 2)
    throw error
  }
  throw new Error('the example log-batch request was expected to fail validation')
}

function lineageFields(): string {
  return Object.keys(wireLineage.shape)
    .map((key) => {
      const field = wireLineage.shape[key as keyof typeof wireLineage.shape]
      const inner = field.unwrap()
      return inner instanceof z.ZodObject ? `\`${key} {${Object.keys(inner.shape).join(', ')}}\`` : `\`${key}\``
    })
    .join(', ')
}

/** The hand-written sections of docs/http-api.md before the examples: bases, conventions, limits, errors, users, extensions. */
export function httpApiProse(): string {
  const [api, ajax] = API_BASES.mlflow
  const [api3] = API_BASES.mlflow3
  const [keelBase] = API_BASES.keel
  const L = TRACKING_LIMITS
  const R = REGISTRY_LIMITS
  const D = DEFAULT_MAX_RESULTS
  const logBatchLimit = ENDPOINTS.logBatch.bodyLimitBytes
  if (logBatchLimit === undefined) throw new Error('runs/log-batch lost its body limit: update the Limits section.')
  return `## Base paths

| base | serves |
|---|---|
| \`${api}/mlflow\` | MLflow's tracking, logged-model, model-registry and webhook RPCs (REST API 2.0) |
| \`${ajax}/mlflow\` | the same, for MLflow's web UI: every \`${api}\` path has this twin |
| \`${api}/mlflow-artifacts\` | the artifact proxy: files up and down, directory listings (also under \`${ajax}\`) |
| \`${keelBase}\` | keel's own API: alias history, sampled metrics, garbage collection, webhook deliveries |
| \`${api3}/mlflow/server-info\` | MLflow 3 clients' capability probe |
| \`/health\`, \`/version\`, \`/openapi.json\` | liveness, the server's version, this API as an OpenAPI document |

MLflow clients need nothing but the server's URL: \`MLFLOW_TRACKING_URI=http://keel.internal:5000\`.

## Wire conventions

- **Requests.** A \`GET\` carries its request message as query parameters. A list repeats its key
  (\`run_ids=a&run_ids=b\`; \`run_ids[]=a\` works too), and a list given once is still a list. \`POST\`, \`PATCH\` and
  \`DELETE\` carry it as a JSON object in the body (\`DELETE\` included, as in MLflow) with
  \`Content-Type: application/json\`; a charset parameter is fine, any other type is 415 \`UNSUPPORTED_MEDIA_TYPE\`.
  An empty body counts as \`{}\`; a body that is not a JSON object is 400 \`BAD_REQUEST\`. Path parameters
  (\`/logged-models/{model_id}\`) are part of the path. \`experiments/search\` and
  \`registered-models/get-latest-versions\` also answer \`GET\`, as in MLflow.
- **Names.** Fields are snake_case, as in MLflow's protobuf messages. Enums are sent by name (\`"RUNNING"\`,
  \`"ACTIVE_ONLY"\`); their protobuf numbers are accepted too. Unknown fields are ignored.
- **Numbers.** An int64 (timestamps, steps, \`max_results\`) may be a JSON number or a string of digits, as
  protobuf's JSON mapping allows, within ±2<sup>53</sup>; responses send numbers. Times are milliseconds since the
  Unix epoch. A metric value (a double) may be the string \`"NaN"\`, \`"Infinity"\` or \`"-Infinity"\`, and comes
  back that way, since JSON has no such numbers. A boolean in a query string is \`true\` or \`false\`.
- **Responses.** Success is HTTP 200 with a JSON object; an RPC with nothing to return answers \`{}\`. Fields that
  are unset, and sometimes empty lists, are left out, as MLflow does: read them with defaults. Long lists come in
  pages: pass a page's \`next_page_token\` as \`page_token\` for the next one, with the same other fields; the last
  page has no \`next_page_token\`.

## Limits

| what | limit |
|---|---|
| a JSON request body | ${n(DEFAULT_BODY_LIMIT)} bytes (${mebibytes(DEFAULT_BODY_LIMIT)}; \`createServer({ limits: { bodyLimitBytes } })\` changes it); more is 413 \`PAYLOAD_TOO_LARGE\` |
| a \`runs/log-batch\` body | ${n(logBatchLimit)} bytes, as MLflow |
| one \`runs/log-batch\` | ${n(L.maxBatchMetrics)} metrics, ${n(L.maxBatchParams)} params and ${n(L.maxBatchTags)} tags, ${n(L.maxBatchEntries)} entries in all, written in one transaction |
| an artifact upload | none: the body is streamed to the store, the JSON limit does not apply |
| metric, param and tag keys | ${n(L.maxKeyLength)} characters |
| param values; run tag values; experiment tag values | ${n(L.maxParamValueLength)}; ${n(L.maxTagValueLength)}; ${n(L.maxExperimentTagValueLength)} characters |
| experiment names; run names | ${n(L.maxExperimentNameLength)}; ${n(L.maxRunNameLength)} characters |
| registered model names; aliases | ${n(R.nameMaxLength)} characters; ${n(R.aliasMaxBytes)} bytes |
| registry tag values; descriptions; version sources | ${n(R.tagValueMaxLength)}; ${n(R.descriptionMaxLength)}; ${n(R.sourceMaxLength)} characters |
| webhook URLs; secrets | ${n(R.webhookUrlMaxLength)}; ${n(R.webhookSecretMaxLength)} characters |

Page sizes (\`max_results\`):

| endpoint | default | at most |
|---|---|---|
| \`runs/search\` | ${n(D.searchRuns)} | ${n(L.maxSearchRunsResults)} |
| \`experiments/search\` | ${n(D.searchExperiments)} | ${n(L.maxSearchExperimentsResults)} |
| \`metrics/get-history\` | ${n(D.metricHistory)} | ${n(L.maxMetricHistoryResults)} |
| \`metrics/get-history-bulk-interval\` (points per run, up to ${n(BULK_INTERVAL_MAX_RUNS)} runs) | ${n(BULK_INTERVAL_MAX_RESULTS)} | ${n(BULK_INTERVAL_MAX_RESULTS)} |
| \`${keelBase}/metrics/sampled\` (\`max_points\` per run, up to ${n(L.maxSampledRuns)} runs) | ${n(D.sampledPoints)} | ${n(L.maxSampledPoints)} |
| \`logged-models/search\` | ${n(D.loggedModels)} | ${n(L.maxLoggedModelsResults)} |
| \`registered-models/search\` | ${n(R.searchModelsDefault)} | ${n(R.searchModelsMax)} |
| \`model-versions/search\` | ${n(R.searchVersionsDefault)} | ${n(R.searchVersionsMax)} |
| \`webhooks\` (list) | ${n(WEBHOOK_PAGE_DEFAULT)} | ${n(WEBHOOK_PAGE_MAX)} |

## Errors

A failed call answers with the HTTP status of its error code and a JSON body \`{error_code, message[, details]}\`.
[errors.md](errors.md) lists every code with its status, what it means and what to do. A request that does not
match its message is 400 \`INVALID_PARAMETER_VALUE\`: \`message\` names the first bad field and
\`details.issues\` lists every one:

\`\`\`json
${exampleValidationError()}
\`\`\`

The caller's mistakes are always 4xx, so MLflow clients, which retry 5xx answers for minutes, fail at once instead;
a request rejected for what it says changes nothing. An unknown path is 404 \`ENDPOINT_NOT_FOUND\`. A 500
\`INTERNAL_ERROR\` is a fault of the server: its message is generic and the details are in the server's log.

## Who is calling

keel does not check passwords or tokens itself: put it behind a proxy that authenticates (or on a network you
trust). It does record who did what (the user of a run, of a model version, of every alias move) and takes that
user from, in this order:

1. the user name of an \`Authorization: Basic\` header; the password is not checked, the proxy in front vouches
   for it. MLflow clients send one when \`MLFLOW_TRACKING_USERNAME\` is set, keel's when \`KEEL_TRACKING_USERNAME\`
   is (see [configuration.md](configuration.md));
2. what the request says: \`user_id\` (or the \`mlflow.user\` tag) on \`runs/create\`, \`user_id\` on
   \`model-versions/create\`, \`moved_by\` on setting and deleting an alias;
3. \`"unknown"\`.

So an authenticated user wins over what the body claims; on \`runs/create\` the \`mlflow.user\` tag is set to that
same user. A \`Bearer\` token is let through and ignored. Aliases removed because their version or model was deleted
are recorded as moved by \`"${SYSTEM_ACTOR}"\`.

## What keel adds to MLflow's messages

MLflow's clients ignore fields they do not know, so these additions are safe for them:

- \`lineage\` on every \`model_version\`, accepted by \`model-versions/create\`: where the version came from,
  ${lineageFields()}.
- \`user_id\` on \`model-versions/create\`: who registers the version (a Basic-auth user wins).
- \`moved_by\` on setting and deleting an alias, recorded in the alias's history; the history itself is
  [\`GET ${keelBase}/registered-models/alias-history\`](#aliashistory): \`{moves: [{${Object.keys(wireAliasMove.shape).join(', ')}}]}\`.
- \`digest\` on the files of an artifact listing (\`artifacts/list\` and the proxy's \`?path=\`): the file's sha256, in
  hex. Directories have none.
- \`x-keel-digest\`, a header on artifact downloads: the same sha256, so a client can check what it received (keel's
  client does).
- \`files_deleted\` in the answer to \`DELETE ${api}/mlflow-artifacts/artifacts/<path>\`: how many files went.
- \`has_secret\` on webhooks (the secret itself is never returned), \`lifecycle_stage\` on logged models, and
  \`server: "keel"\` and \`version\` in \`server-info\`.

Multipart artifact uploads answer 501 \`NOT_IMPLEMENTED\`, upon which MLflow clients upload with one \`PUT\`.

## Health, version and OpenAPI

- \`GET /health\` answers \`OK\` (text/plain) while the server runs: the liveness probe for load balancers and
  orchestrators.
- \`GET /version\` answers the server's version as plain text; \`GET ${api3}/mlflow/server-info\` answers MLflow 3
  clients' probe with \`{store_type: "SqlStore", workspaces_enabled: false, server: "keel", version}\`.
- \`GET /openapi.json\` is an OpenAPI 3.1 document of every endpoint below, built from the same schemas the server
  validates requests with: for client generators and API explorers. It lists each \`${api}\` path once; the
  \`${ajax}\` twins are implied.`
}
