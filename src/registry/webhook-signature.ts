import { createHmac, timingSafeEqual } from 'node:crypto'

/** Header names; the scheme mirrors MLflow's (and Standard Webhooks'): `v1,<base64 HMAC-SHA256>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'X-Keel-Signature'
export const WEBHOOK_DELIVERY_ID_HEADER = 'X-Keel-Delivery-Id'
export const WEBHOOK_TIMESTAMP_HEADER = 'X-Keel-Timestamp'
export const WEBHOOK_SIGNATURE_VERSION = 'v1'

/** How far a receiver accepts the sender's clock to be off (replay window). */
export const DEFAULT_TOLERANCE_SECONDS = 300

export interface SignatureInput {
  secret: string
  deliveryId: string
  /** Unix seconds, as sent in `X-Keel-Timestamp`. */
  timestamp: string
  body: string
}

/** `v1,<base64>` of HMAC-SHA256(secret, `${deliveryId}.${timestamp}.${body}`). */
export function signWebhookPayload(input: SignatureInput): string {
  const digest = createHmac('sha256', input.secret)
    .update(`${input.deliveryId}.${input.timestamp}.${input.body}`, 'utf8')
    .digest('base64')
  return `${WEBHOOK_SIGNATURE_VERSION},${digest}`
}

/** The headers of one delivery attempt; the signature only when the webhook has a secret. */
export function webhookHeaders(input: SignatureInput): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    [WEBHOOK_DELIVERY_ID_HEADER]: input.deliveryId,
    [WEBHOOK_TIMESTAMP_HEADER]: input.timestamp,
  }
  if (input.secret !== '') headers[WEBHOOK_SIGNATURE_HEADER] = signWebhookPayload(input)
  return headers
}

export interface VerifyInput {
  secret: string
  /** The raw request body, exactly as received (re-serialized JSON will not verify). */
  body: string | Buffer
  /** Request headers; names compare case-insensitively. */
  headers: Record<string, string | string[] | undefined>
  /** Receiver's time in milliseconds (inject a clock in tests). */
  now?: number
  toleranceSeconds?: number
}

function header(headers: VerifyInput['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase()
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value
  }
  return undefined
}

/**
 * For receivers: true when the delivery carries a valid signature for `secret` and its timestamp is
 * within the tolerance. Compares in constant time; accepts several space-separated signatures (key
 * rotation). Never throws on malformed input.
 */
export function verifyWebhookSignature(input: VerifyInput): boolean {
  const deliveryId = header(input.headers, WEBHOOK_DELIVERY_ID_HEADER)
  const timestamp = header(input.headers, WEBHOOK_TIMESTAMP_HEADER)
  const signatures = header(input.headers, WEBHOOK_SIGNATURE_HEADER)
  if (deliveryId === undefined || timestamp === undefined || signatures === undefined || input.secret === '') return false
  if (!/^\d+$/.test(timestamp)) return false
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000)
  if (Math.abs(nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false
  const body = typeof input.body === 'string' ? input.body : input.body.toString('utf8')
  const expected = Buffer.from(signWebhookPayload({ secret: input.secret, deliveryId, timestamp, body }), 'utf8')
  let ok = false
  for (const candidate of signatures.split(' ')) {
    const given = Buffer.from(candidate.trim(), 'utf8')
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true
  }
  return ok
}
