import { Readable } from 'node:stream'
import { KeelError } from '../../core/errors.js'
import { errorFromResponse, networkFailure, RETRY_STATUSES } from './http-errors.js'

export type HttpAuth = { username: string; password: string } | { token: string }

export type QueryValue = string | number | boolean | undefined | readonly (string | number)[]
export type Query = Record<string, QueryValue>

export interface HttpTransportOptions {
  /** `http(s)://host:port[/prefix]`; user info in the URL becomes Basic auth. */
  baseUrl: string
  auth?: HttpAuth
  /** Per attempt; for streamed bodies it is an idle timeout (reset on every chunk). Default 120 s, as MLflow. */
  timeoutMs?: number
  /** Retries after the first attempt (429/502/503/504 and connection errors). Default 5. */
  maxRetries?: number
  retryBaseDelayMs?: number
  retryMaxDelayMs?: number
  /** Injected by tests so backoff never sleeps for real. */
  sleep?: (ms: number) => Promise<void>
  fetch?: typeof fetch
  userAgent?: string
}

export interface StreamResponse {
  body: Readable
  headers: Headers
  status: number
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'

const IDEMPOTENT = new Set<Method>(['GET', 'PUT', 'DELETE'])

/**
 * The one place the HTTP adapters talk to a keel (or MLflow) server: JSON in and out, MLflow's error JSON
 * turned back into a `KeelError` with the same code, bounded retries with backoff, timeouts, auth.
 * Node's global fetch keeps connections alive, so a training loop does not pay a handshake per call.
 */
export class HttpTransport {
  readonly baseUrl: string
  private readonly authorization: string | undefined
  private readonly timeoutMs: number
  private readonly maxRetries: number
  private readonly baseDelayMs: number
  private readonly maxDelayMs: number
  private readonly sleep: (ms: number) => Promise<void>
  private readonly fetchFn: typeof fetch
  private readonly userAgent: string

  constructor(options: HttpTransportOptions) {
    let url: URL
    try {
      url = new URL(options.baseUrl)
    } catch {
      throw new KeelError('INVALID_PARAMETER_VALUE', `Invalid server URL '${options.baseUrl}': use http://host:port.`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new KeelError('INVALID_PARAMETER_VALUE', `Invalid server URL '${options.baseUrl}': use http:// or https://.`)
    }
    let auth = options.auth
    if (auth === undefined && url.username !== '') {
      auth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    }
    url.username = ''
    url.password = ''
    url.search = ''
    url.hash = ''
    this.baseUrl = url.toString().replace(/\/+$/, '')
    this.authorization =
      auth === undefined
        ? undefined
        : 'token' in auth
          ? `Bearer ${auth.token}`
          : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
    this.timeoutMs = options.timeoutMs ?? 120_000
    this.maxRetries = options.maxRetries ?? 5
    this.baseDelayMs = options.retryBaseDelayMs ?? 250
    this.maxDelayMs = options.retryMaxDelayMs ?? 10_000
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
    this.fetchFn = options.fetch ?? fetch
    this.userAgent = options.userAgent ?? 'keel-client'
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, query, undefined)
  }

  post<T>(path: string, body: object = {}): Promise<T> {
    return this.json<T>('POST', path, undefined, body)
  }

  patch<T>(path: string, body: object = {}): Promise<T> {
    return this.json<T>('PATCH', path, undefined, body)
  }

  /** MLflow's DELETE endpoints take a JSON body. */
  delete<T>(path: string, body: object = {}): Promise<T> {
    return this.json<T>('DELETE', path, undefined, body)
  }

  url(path: string, query?: Query): string {
    let url = this.baseUrl + path
    if (query !== undefined) {
      const search = new URLSearchParams()
      for (const [key, value] of Object.entries(query)) {
        if (value === undefined) continue
        if (Array.isArray(value)) for (const item of value) search.append(key, String(item))
        else search.append(key, String(value))
      }
      const text = search.toString()
      if (text !== '') url += `?${text}`
    }
    return url
  }

  /** A JSON call; the body is replayable, so every retryable failure is retried. */
  async json<T>(method: Method, path: string, query: Query | undefined, body: object | undefined): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const url = this.url(path, query)
    for (let attempt = 0; ; attempt++) {
      const timer = new AbortTimer(this.timeoutMs)
      try {
        const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.userAgent }
        if (payload !== undefined) headers['content-type'] = 'application/json'
        if (this.authorization !== undefined) headers['authorization'] = this.authorization
        const init: RequestInit = { method, headers, signal: timer.signal }
        if (payload !== undefined) init.body = payload
        const response = await this.fetchFn(url, init)
        const text = await response.text()
        if (response.ok) return parseJsonBody<T>(text, method, url)
        const error = errorFromResponse(response.status, text, method, path)
        if (attempt < this.maxRetries && RETRY_STATUSES.has(response.status)) {
          await this.sleep(this.backoff(attempt, response.headers.get('retry-after')))
          continue
        }
        throw error
      } catch (error) {
        if (error instanceof KeelError) throw error
        const failure = networkFailure(error, timer.timedOut, method, url)
        if (attempt < this.maxRetries && (failure.notSent || IDEMPOTENT.has(method))) {
          await this.sleep(this.backoff(attempt, null))
          continue
        }
        throw failure.error
      } finally {
        timer.clear()
      }
    }
  }

  /**
   * Streams `body` as a PUT. A stream cannot be replayed, so only a request that never reached the server
   * is retried, and only when the body is a buffer.
   */
  async upload(path: string, body: Readable | Uint8Array, contentType = 'application/octet-stream'): Promise<unknown> {
    const url = this.url(path)
    for (let attempt = 0; ; attempt++) {
      const timer = new AbortTimer(this.timeoutMs)
      try {
        const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': this.userAgent }
        if (this.authorization !== undefined) headers['authorization'] = this.authorization
        const init: RequestInit & { duplex?: 'half' } = { method: 'PUT', headers, signal: timer.signal }
        if (body instanceof Uint8Array) {
          init.body = body
        } else {
          // Node's fetch takes an async iterable as a streamed body; every chunk resets the idle timeout.
          init.body = touching(body, timer) as unknown as NonNullable<RequestInit['body']>
          init.duplex = 'half'
        }
        const response = await this.fetchFn(url, init)
        timer.touch()
        const text = await response.text()
        if (response.ok) return text === '' ? {} : parseJsonBody<unknown>(text, 'PUT', url)
        const error = errorFromResponse(response.status, text, 'PUT', path)
        if (body instanceof Uint8Array && attempt < this.maxRetries && RETRY_STATUSES.has(response.status)) {
          await this.sleep(this.backoff(attempt, response.headers.get('retry-after')))
          continue
        }
        throw error
      } catch (error) {
        if (error instanceof KeelError) throw error
        const failure = networkFailure(error, timer.timedOut, 'PUT', url)
        if (body instanceof Uint8Array && attempt < this.maxRetries) {
          await this.sleep(this.backoff(attempt, null))
          continue
        }
        throw failure.error
      } finally {
        timer.clear()
      }
    }
  }

  /** GETs a raw body as a Node stream; errors come back as `KeelError`s like JSON calls. */
  async download(path: string, query?: Query): Promise<StreamResponse> {
    const url = this.url(path, query)
    for (let attempt = 0; ; attempt++) {
      const timer = new AbortTimer(this.timeoutMs)
      let handedOver = false
      try {
        const headers: Record<string, string> = { 'user-agent': this.userAgent }
        if (this.authorization !== undefined) headers['authorization'] = this.authorization
        const response = await this.fetchFn(url, { method: 'GET', headers, signal: timer.signal })
        if (!response.ok) {
          const error = errorFromResponse(response.status, await response.text(), 'GET', path)
          if (attempt < this.maxRetries && RETRY_STATUSES.has(response.status)) {
            await this.sleep(this.backoff(attempt, response.headers.get('retry-after')))
            continue
          }
          throw error
        }
        timer.touch()
        const source = response.body === null ? Readable.from([]) : Readable.fromWeb(response.body as never)
        handedOver = true
        return { body: Readable.from(touchingDownload(source, timer)), headers: response.headers, status: response.status }
      } catch (error) {
        if (error instanceof KeelError) throw error
        const failure = networkFailure(error, timer.timedOut, 'GET', url)
        if (attempt < this.maxRetries) {
          await this.sleep(this.backoff(attempt, null))
          continue
        }
        throw failure.error
      } finally {
        if (!handedOver) timer.clear()
      }
    }
  }

  /** Exponential backoff with jitter, capped; honours a server's Retry-After (seconds) within the cap. */
  private backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter === null ? Number.NaN : Number(retryAfter)
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, this.maxDelayMs)
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt)
    return Math.round(ceiling * (0.5 + Math.random() * 0.5))
  }

  async close(): Promise<void> {
    // The global fetch's pooled sockets are unref'd when idle; nothing of ours to release.
  }
}

/** An abort signal that fires after `ms` without a `touch()`. */
class AbortTimer {
  private readonly controller = new AbortController()
  private handle: NodeJS.Timeout | undefined
  timedOut = false

  constructor(private readonly ms: number) {
    this.touch()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  touch(): void {
    if (this.handle !== undefined) clearTimeout(this.handle)
    this.handle = setTimeout(() => {
      this.timedOut = true
      this.controller.abort(new Error(`timed out after ${this.ms} ms`))
    }, this.ms)
    this.handle.unref()
  }

  clear(): void {
    if (this.handle !== undefined) clearTimeout(this.handle)
    this.handle = undefined
  }
}

async function* touching(source: Readable, timer: AbortTimer): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    timer.touch()
    yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array)
  }
}

async function* touchingDownload(source: Readable, timer: AbortTimer): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) {
      timer.touch()
      yield chunk as Buffer
    }
  } catch (error) {
    throw timer.timedOut
      ? new KeelError('TEMPORARILY_UNAVAILABLE', 'The download stalled and timed out; retry the call.', {
          cause: error,
          retryable: true,
        })
      : error
  } finally {
    timer.clear()
  }
}

function parseJsonBody<T>(text: string, method: string, url: string): T {
  if (text === '') return {} as T
  try {
    return JSON.parse(text) as T
  } catch (error) {
    throw new KeelError('INTERNAL_ERROR', `The server answered ${method} ${url} with a body that is not JSON.`, {
      cause: error,
      details: { body: text.slice(0, 200) },
    })
  }
}
