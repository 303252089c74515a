import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Prometheus metrics of the serving layer, on a registry of its own (never prom-client's global one, so two
 * servers in one process, or tests, never share counters). Names follow Prometheus conventions (base units,
 * `_total` counters) and `promtool check metrics` accepts the output.
 *
 * Observations sit on the request path: label children are looked up in nested Maps keyed by the label values
 * as given, so a request builds no strings (prom-client's own `labels()` hashes a joined key on every call).
 */

export interface RequestLabels {
  readonly model: string
  readonly version: string
  /** `v2` (Open Inference Protocol) or `invocations` (MLflow scoring), as the server names them. */
  readonly protocol: string
  /** HTTP status code. */
  readonly status: number | string
}

export interface ServingMetricsOptions {
  /** prom-client's process and Node.js metrics, prefixed `keel_` (default true). */
  defaultMetrics?: boolean
}

/** Request latency buckets, seconds: 0.5 ms to 10 s. */
export const REQUEST_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
/** Rows per scorer call: powers of two up to a large forest batch. */
export const BATCH_ROWS_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384]

const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

interface RequestChildren {
  readonly count: Counter.Internal
  readonly duration: Histogram.Internal<string>
}

type Nested<T> = Map<string, T>

export class ServingMetrics {
  readonly registry: Registry
  private readonly requests: Counter<'model' | 'version' | 'protocol' | 'status'>
  private readonly duration: Histogram<'model' | 'version' | 'protocol' | 'status'>
  private readonly inFlightGauge: Gauge
  private readonly batchRows: Histogram<'model' | 'version'>
  private readonly queueDepth: Gauge<'model'>
  private readonly loadSeconds: Gauge<'model' | 'version'>
  private readonly dropped: Counter
  private readonly written: Counter
  /** model → version → protocol → status → children. */
  private readonly requestChildren: Nested<Nested<Nested<Map<number | string, RequestChildren>>>> = new Map()
  private readonly batchChildren: Nested<Map<string, Histogram.Internal<string>>> = new Map()
  private readonly queueChildren = new Map<string, Gauge.Internal<string>>()

  constructor(options: ServingMetricsOptions = {}) {
    const registry = new Registry()
    this.registry = registry
    const registers = [registry]
    this.requests = new Counter({
      name: 'keel_serving_requests_total',
      help: 'Prediction requests answered, by model, version, protocol and HTTP status.',
      labelNames: ['model', 'version', 'protocol', 'status'] as const,
      registers,
    })
    this.duration = new Histogram({
      name: 'keel_serving_request_duration_seconds',
      help: 'Time from request received to response sent, in seconds.',
      labelNames: ['model', 'version', 'protocol', 'status'] as const,
      buckets: REQUEST_DURATION_BUCKETS,
      registers,
    })
    this.inFlightGauge = new Gauge({ name: 'keel_serving_in_flight_requests', help: 'Prediction requests being handled now.', registers })
    this.batchRows = new Histogram({
      name: 'keel_serving_batch_rows',
      help: 'Rows per model scoring call (adaptive batching coalesces requests into one call).',
      labelNames: ['model', 'version'] as const,
      buckets: BATCH_ROWS_BUCKETS,
      registers,
    })
    this.queueDepth = new Gauge({
      name: 'keel_serving_queue_depth',
      help: 'Requests waiting in the batching queue of a model.',
      labelNames: ['model'] as const,
      registers,
    })
    this.loadSeconds = new Gauge({
      name: 'keel_serving_model_load_seconds',
      help: 'Time to load and warm up a model version, in seconds.',
      labelNames: ['model', 'version'] as const,
      // Every worker loads the same version: across a cluster the slowest load is the one to show, not the sum.
      aggregator: 'max',
      registers,
    })
    this.dropped = new Counter({
      name: 'keel_serving_capture_dropped_total',
      help: 'Captured predictions dropped because the capture buffer was full.',
      registers,
    })
    this.written = new Counter({ name: 'keel_serving_capture_written_total', help: 'Captured predictions written to the store.', registers })
    if (options.defaultMetrics !== false) {
      collectDefaultMetrics({ register: registry, prefix: 'keel_' })
      // prom-client names these gauges `_total`, which `promtool check metrics` rejects (only counters end in
      // `_total`); they say little a process exporter does not, so they are left out.
      for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(`keel_${name}`)
    }
  }

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType
  }

  observeRequest(labels: RequestLabels, seconds: number): void {
    const children = this.requestChildrenOf(labels)
    children.count.inc()
    children.duration.observe(seconds)
  }

  inFlight(delta: number): void {
    this.inFlightGauge.inc(delta)
  }

  observeBatch(model: string, version: string, rows: number): void {
    let byVersion = this.batchChildren.get(model)
    if (byVersion === undefined) this.batchChildren.set(model, (byVersion = new Map()))
    let child = byVersion.get(version)
    if (child === undefined) byVersion.set(version, (child = this.batchRows.labels(model, version)))
    child.observe(rows)
  }

  setQueueDepth(model: string, depth: number): void {
    let child = this.queueChildren.get(model)
    if (child === undefined) this.queueChildren.set(model, (child = this.queueDepth.labels(model)))
    child.set(depth)
  }

  observeLoad(model: string, version: string, seconds: number): void {
    this.loadSeconds.labels(model, version).set(seconds)
  }

  captureDropped(n: number): void {
    if (n > 0) this.dropped.inc(n)
  }

  captureWritten(n: number): void {
    if (n > 0) this.written.inc(n)
  }

  /** The Prometheus text exposition (format 0.0.4) of every metric. */
  render(): Promise<string> {
    return this.registry.metrics()
  }

  private requestChildrenOf(labels: RequestLabels): RequestChildren {
    let byVersion = this.requestChildren.get(labels.model)
    if (byVersion === undefined) this.requestChildren.set(labels.model, (byVersion = new Map()))
    let byProtocol = byVersion.get(labels.version)
    if (byProtocol === undefined) byVersion.set(labels.version, (byProtocol = new Map()))
    let byStatus = byProtocol.get(labels.protocol)
    if (byStatus === undefined) byProtocol.set(labels.protocol, (byStatus = new Map()))
    let children = byStatus.get(labels.status)
    if (children === undefined) {
      const values = [labels.model, labels.version, labels.protocol, String(labels.status)] as const
      children = { count: this.requests.labels(...values), duration: this.duration.labels(...values) }
      byStatus.set(labels.status, children)
    }
    return children
  }
}
