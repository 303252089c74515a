import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhookPayload, verifyWebhookSignature, webhookHeaders } from './webhook-signature.js'

const NOW = 1_700_000_000_000
const input = { secret: 'whsec_1', deliveryId: '42', timestamp: String(NOW / 1000), body: '{"event":"x"}' }

describe('webhook signatures', () => {
  it('signs `${id}.${timestamp}.${body}` with HMAC-SHA256, base64, prefixed v1', () => {
    const expected = createHmac('sha256', 'whsec_1').update('42.1700000000.{"event":"x"}').digest('base64')
    expect(signWebhookPayload(input)).toBe(`v1,${expected}`)
  })

  it('sends the signature header only when there is a secret', () => {
    expect(webhookHeaders(input)).toEqual({
      'Content-Type': 'application/json',
      'X-Keel-Delivery-Id': '42',
      'X-Keel-Timestamp': '1700000000',
      'X-Keel-Signature': signWebhookPayload(input),
    })
    expect(webhookHeaders({ ...input, secret: '' })).not.toHaveProperty('X-Keel-Signature')
  })

  it('verifies case-insensitive headers, rotated keys and the timestamp window', () => {
    const headers = Object.fromEntries(Object.entries(webhookHeaders(input)).map(([k, v]) => [k.toLowerCase(), v]))
    expect(verifyWebhookSignature({ secret: 'whsec_1', body: input.body, headers, now: NOW })).toBe(true)
    expect(verifyWebhookSignature({ secret: 'whsec_1', body: Buffer.from(input.body), headers, now: NOW + 299_000 })).toBe(true)
    expect(verifyWebhookSignature({ secret: 'whsec_1', body: input.body, headers, now: NOW + 301_000 })).toBe(false)
    expect(verifyWebhookSignature({ secret: 'whsec_1', body: input.body, headers, now: NOW - 301_000 })).toBe(false)
    expect(verifyWebhookSignature({ secret: 'whsec_1', body: input.body, headers, now: NOW + 3_600_000, toleranceSeconds: 3600 })).toBe(true)
    const rotated = { ...headers, 'x-keel-signature': `v1,AAAA ${headers['x-keel-signature']!}` }
    expect(verifyWebhookSignature({ secret: 'whsec_1', body: input.body, headers: rotated, now: NOW })).toBe(true)
  })

  it('rejects tampering and malformed headers without throwing', () => {
    const headers = webhookHeaders(input)
    const check = (h: Record<string, string | undefined>, body = input.body, secret = 'whsec_1') =>
      verifyWebhookSignature({ secret, body, headers: h, now: NOW })
    expect(check(headers, '{"event":"y"}')).toBe(false)
    expect(check(headers, input.body, 'other')).toBe(false)
    expect(check(headers, input.body, '')).toBe(false)
    expect(check({ ...headers, 'X-Keel-Delivery-Id': '43' })).toBe(false)
    expect(check({ ...headers, 'X-Keel-Timestamp': '1700000001' })).toBe(false)
    expect(check({ ...headers, 'X-Keel-Timestamp': 'soon' })).toBe(false)
    expect(check({ ...headers, 'X-Keel-Signature': 'v1,short' })).toBe(false)
    expect(check({ ...headers, 'X-Keel-Signature': undefined })).toBe(false)
    expect(check({})).toBe(false)
  })
})
