import { API_BASES } from '../../src/protocol/endpoint.js'
import { REGISTRY_EVENT_TYPES } from '../../src/registry/types.js'
import type { RegistryEventType } from '../../src/registry/types.js'
import { DEFAULT_BASE_DELAY_MS, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_DELAY_MS } from '../../src/registry/webhook-dispatcher.js'
import {
  DEFAULT_TOLERANCE_SECONDS,
  WEBHOOK_DELIVERY_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookHeaders,
} from '../../src/registry/webhook-signature.js'
import { WEBHOOK_POLL_INTERVAL_MS, WEBHOOK_SEND_TIMEOUT_MS } from '../../src/server/main.js'
import { DELIVERY_LEASE_MS } from '../../src/store/sql/registry/sql-webhooks.js'
import { WEBHOOK_CURL_STEPS, renderCurlSteps } from './curl-examples.js'

/**
 * How the server delivers webhooks: WebhookDispatcher's defaults (attempts, delays), the `fetchSender` timeout
 * and the polling interval of `startServer` (src/server/main.ts).
 */
export const WEBHOOK_POLICY = {
  maxAttempts: DEFAULT_MAX_ATTEMPTS,
  baseDelayMs: DEFAULT_BASE_DELAY_MS,
  maxDelayMs: DEFAULT_MAX_DELAY_MS,
  timeoutMs: WEBHOOK_SEND_TIMEOUT_MS,
  pollIntervalMs: WEBHOOK_POLL_INTERVAL_MS,
} as const

/** Every registry event a webhook can subscribe to, and its `data` (test/docs.test.ts compares with real deliveries). */
export const WEBHOOK_EVENTS: Readonly<Record<RegistryEventType, { when: string; data: readonly string[] }>> = {
  'registered_model.created': { when: 'a registered model is created', data: ['name', 'tags', 'description'] },
  'registered_model.renamed': { when: 'a registered model is renamed', data: ['name', 'previous_name'] },
  'registered_model.updated': { when: "a registered model's description is updated", data: ['name', 'description'] },
  'registered_model.deleted': { when: 'a registered model is deleted', data: ['name'] },
  'registered_model_tag.set': { when: 'a tag of a registered model is set (only if its value changed)', data: ['name', 'key', 'value'] },
  'registered_model_tag.deleted': { when: 'a tag of a registered model is deleted (only if it existed)', data: ['name', 'key'] },
  'model_version.created': {
    when: 'a version is registered',
    data: ['name', 'version', 'source', 'run_id', 'tags', 'description'],
  },
  'model_version.updated': { when: "a version's description is updated", data: ['name', 'version', 'description'] },
  'model_version.stage_transitioned': {
    when: 'a version moves to another legacy stage (MLflow stages)',
    data: ['name', 'version', 'from_stage', 'to_stage', 'archived_versions'],
  },
  'model_version.deleted': { when: 'a version is deleted', data: ['name', 'version'] },
  'model_version_tag.set': { when: 'a tag of a version is set', data: ['name', 'version', 'key', 'value'] },
  'model_version_tag.deleted': { when: 'a tag of a version is deleted (only if it existed)', data: ['name', 'version', 'key'] },
  'model_version_alias.created': {
    when: 'an alias is set or moved',
    data: ['name', 'alias', 'version', 'from_version'],
  },
  'model_version_alias.deleted': {
    when: 'an alias is deleted, also when its version or model is deleted',
    data: ['name', 'alias', 'from_version'],
  },
}

const EXAMPLE_SECRET = 'change-me'
const EXAMPLE_DELIVERY_ID = '42'
const EXAMPLE_SENT_AT = '1767225601'

/** A delivery body exactly as the dispatcher serializes it (compact JSON, these four keys in this order). */
function exampleDelivery(): string {
  return JSON.stringify({
    event: 'model_version_alias.created',
    timestamp: '2026-01-01T00:00:00.000Z',
    delivery_id: EXAMPLE_DELIVERY_ID,
    data: { name: 'fraud', alias: 'champion', version: '2', from_version: '1' },
  })
}

export const TS_VERIFY_EXAMPLE = `import { createServer } from 'node:http'
import { verifyWebhookSignature } from 'keel'

const secret = process.env['KEEL_WEBHOOK_SECRET'] ?? ''

createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    const body = Buffer.concat(chunks) // the raw bytes: re-serialized JSON would not verify
    if (!verifyWebhookSignature({ secret, body, headers: request.headers })) {
      response.writeHead(401).end()
      return
    }
    const delivery = JSON.parse(body.toString('utf8')) as { event: string; delivery_id: string; data: unknown }
    // Retries reuse delivery_id: skip the ones already handled.
    console.log(delivery.event, delivery.delivery_id, delivery.data)
    response.writeHead(204).end()
  })
}).listen(8080)`

export const PYTHON_VERIFY_EXAMPLE = `import base64, hashlib, hmac, time

def verify(secret: str, headers, body: bytes, tolerance: int = ${DEFAULT_TOLERANCE_SECONDS}) -> bool:
    """True when a keel delivery is signed with \`secret\` and recent. \`headers\`: the request's headers
    (Flask's request.headers, http.server's self.headers); \`body\`: the raw bytes as received."""
    delivery_id = headers.get("${WEBHOOK_DELIVERY_ID_HEADER}")
    timestamp = headers.get("${WEBHOOK_TIMESTAMP_HEADER}")
    signatures = headers.get("${WEBHOOK_SIGNATURE_HEADER}")
    if not (secret and delivery_id and timestamp and signatures) or not timestamp.isdecimal():
        return False
    if abs(time.time() - int(timestamp)) > tolerance:
        return False
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    return any(hmac.compare_digest(expected, s) for s in signatures.split(" "))`

const PYTHON_USAGE = `# With Flask:
@app.post("/keel-hook")
def keel_hook():
    if not verify(SECRET, request.headers, request.get_data()):
        abort(401)
    delivery = request.get_json()  # {"event", "timestamp", "delivery_id", "data"}
    ...
    return "", 204`

function seconds(ms: number): string {
  return `${ms / 1000} s`
}

function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  return seconds(ms)
}

/** Delay ceilings after each failed attempt, as WebhookDispatcher.retryDelay computes them before jitter. */
export function retryCeilings(policy: typeof WEBHOOK_POLICY = WEBHOOK_POLICY): number[] {
  const out: number[] = []
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
    out.push(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
  }
  return out
}

/** The "Webhooks" section of docs/http-api.md: events, the request, its signature, retries, a walkthrough. */
export function webhooksDoc(): string {
  const body = exampleDelivery()
  const headers = webhookHeaders({ secret: EXAMPLE_SECRET, deliveryId: EXAMPLE_DELIVERY_ID, timestamp: EXAMPLE_SENT_AT, body })
  const headerLines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`)
  const eventRows = REGISTRY_EVENT_TYPES.map((type) => {
    const event = WEBHOOK_EVENTS[type]
    return `| \`${type}\` | ${event.when} | \`{${event.data.join(', ')}}\` |`
  })
  const policy = WEBHOOK_POLICY
  const ceilings = retryCeilings()
  const delayRows = ceilings.map((ceiling, i) => `| ${i + 1} | ${seconds(ceiling / 2)} to ${seconds(ceiling)} |`)
  const lastAfter = ceilings.reduce((sum, c) => sum + c, 0)
  return `## Webhooks

A webhook subscribes a URL to model-registry events. Every change to the registry is written as an event, in the
same transaction as the change, with one delivery for each \`ACTIVE\` webhook subscribed to its type; the server
then POSTs each delivery to its URL, retrying until the receiver accepts it. So no change is missed, and no
delivery is sent for a change that did not commit. Delivery is *at least once*: a receiver may see a delivery
twice (it answered too late, or a server stopped mid-send), so it should skip a \`delivery_id\` it has already
handled. Deliveries are sent in parallel, so their order is not guaranteed: order by the body's \`timestamp\`
if it matters. The endpoints are listed under [Webhook management](#webhook-management).

### Events

| event | sent when | \`data\` |
|---|---|---|
${eventRows.join('\n')}

In \`data\`, versions are strings (\`"3"\`); \`tags\` is an object (\`{"team": "risk"}\`); \`description\` and \`run_id\` are
\`null\` when empty; \`from_version\` is \`null\` when the alias is new.

### The request

Each attempt is a \`POST\` to the webhook's URL with a JSON body of four fields:

- \`event\`: the event type, such as \`"model_version_alias.created"\`;
- \`timestamp\`: when the change was committed, ISO 8601 in UTC;
- \`delivery_id\`: a string that stays the same across the retries of one delivery;
- \`data\`: the event's fields (table above).

and these headers:

- \`${WEBHOOK_DELIVERY_ID_HEADER}\`: the \`delivery_id\` of the body;
- \`${WEBHOOK_TIMESTAMP_HEADER}\`: when this attempt was sent, in Unix seconds (it changes with each retry);
- \`${WEBHOOK_SIGNATURE_HEADER}\`: \`v1,<base64>\`, sent only when the webhook has a secret (give it one);
- \`Content-Type: application/json\`.

For example, with the secret \`${EXAMPLE_SECRET}\`:

\`\`\`text
POST /keel-hook HTTP/1.1
${headerLines.join('\n')}

${body}
\`\`\`

### What is signed

The signature is \`v1,\` followed by the standard base64 (with padding) of the HMAC-SHA256, keyed with the
webhook's secret (UTF-8), of these bytes:

\`\`\`text
<${WEBHOOK_DELIVERY_ID_HEADER}>.<${WEBHOOK_TIMESTAMP_HEADER}>.<the raw request body>
\`\`\`

that is, here, \`${EXAMPLE_DELIVERY_ID}.${EXAMPLE_SENT_AT}.${body.slice(0, 24)}…\`. Verify it over the body
exactly as received, before parsing it: JSON parsed and serialized again need not give the same bytes. Compare in
constant time, and reject a timestamp more than ${DEFAULT_TOLERANCE_SECONDS} seconds away from your clock, so a
recorded delivery cannot be replayed later. The header may hold several signatures separated by spaces (for a
secret rotation); accept the request when any of them matches.

In TypeScript, \`verifyWebhookSignature\` from the \`keel\` package does all of this (a
${DEFAULT_TOLERANCE_SECONDS} s tolerance by default; \`toleranceSeconds\` and \`now\` change it):

\`\`\`ts
${TS_VERIFY_EXAMPLE}
\`\`\`

In Python, with the standard library only:

\`\`\`python
${PYTHON_VERIFY_EXAMPLE}

${PYTHON_USAGE}
\`\`\`

### Retries and failure

The server sends due deliveries every ${seconds(policy.pollIntervalMs)}. An attempt succeeds when the receiver
answers with a 2xx status within ${seconds(policy.timeoutMs)}. Any other status (a redirect too: it is not
followed), a timeout or a connection error is a failed attempt, recorded with its error, and the delivery is
tried again later: after the *n*-th failed attempt the next one waits ${seconds(policy.baseDelayMs)} × 2<sup>n−1</sup>,
at most ${duration(policy.maxDelayMs)}, times a random factor between 0.5 and 1 (jitter, so receivers coming back
up are not hit all at once):

| failed attempts so far | next attempt after |
|---|---|
${delayRows.join('\n')}

When attempt ${policy.maxAttempts} fails too, the delivery is \`FAILED\` and is not tried again; that happens
${seconds(lastAfter / 2)} to ${seconds(lastAfter)} after the first attempt, plus the polling delays. So the deliveries
meant for a receiver that stays down longer end up \`FAILED\`:
[\`GET ${API_BASES.keel[0]}/webhooks/{webhook_id}/deliveries\`](#webhookdeliveries) lists each delivery with its status,
attempts, next attempt and last error, for a receiver to catch up from. Changes made while a webhook is
\`DISABLED\` are not delivered to it; deliveries queued before it was disabled wait until it is \`ACTIVE\` again. Several servers on one PostgreSQL database share the
work: each delivery is claimed by one of them at a time, for at most ${duration(DELIVERY_LEASE_MS)}.

A test delivery (\`POST .../webhooks/{webhook_id}/test\`) is sent once, at once, with a \`delivery_id\` of the form
\`test-<uuid>\` and example \`data\`; it is signed the same way, not retried and not listed among the deliveries.

### Walkthrough

Continuing the session of [the curl examples](#examples-with-curl), with the TypeScript receiver above listening on port 8080:

${renderCurlSteps(WEBHOOK_CURL_STEPS, '####')}`
}
