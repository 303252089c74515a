/** Three parallel columns of one metric's history, in insertion order. */
export interface MetricSeries {
  steps: Float64Array
  timestamps: Float64Array
  values: Float64Array
}

/** Inclusive step bounds; points outside are ignored. */
export interface StepBounds {
  start?: number
  end?: number
}

/**
 * Reduces a metric history to at most `maxPoints` points for a chart: the series is cut into step buckets
 * and each bucket keeps its lowest and highest value (so spikes survive), plus the first and last point
 * of the series. The result is ordered by step (insertion order among equal steps).
 *
 * When every point has the same step (metrics logged without a step), buckets follow insertion order.
 * A bucket whose values are all NaN keeps its first point, so gaps stay visible.
 */
export function downsample(series: MetricSeries, maxPoints: number, bounds: StepBounds = {}): MetricSeries {
  return downsampleChunks([series], maxPoints, bounds)
}

/**
 * `downsample` over a history stored in consecutive chunks (the store's blocks), without first copying
 * them into one array: two passes over the chunks, O(points) time, O(maxPoints) extra memory.
 */
export function downsampleChunks(chunks: readonly MetricSeries[], maxPoints: number, bounds: StepBounds = {}): MetricSeries {
  const start = bounds.start ?? -Infinity
  const end = bounds.end ?? Infinity
  let n = 0
  let minStep = Infinity
  let maxStep = -Infinity
  for (const chunk of chunks) {
    const steps = chunk.steps
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!
      if (s < start || s > end) continue
      n++
      if (s < minStep) minStep = s
      if (s > maxStep) maxStep = s
    }
  }
  const picked = new Picked(Math.min(n, Math.max(maxPoints, 0) + 2))
  if (n === 0 || maxPoints < 1) return picked.result()
  const buckets = n <= maxPoints ? 0 : Math.floor((maxPoints - 2) / 2)
  if (n > maxPoints && buckets < 1) {
    // Too small a budget for buckets: the endpoints only.
    visit(chunks, start, end, (c, i, pos) => {
      if ((pos === 0 && maxPoints > 1) || pos === n - 1) picked.add(chunks[c]!, i, pos)
    })
    return picked.result()
  }
  if (buckets === 0) {
    visit(chunks, start, end, (c, i, pos) => picked.add(chunks[c]!, i, pos))
    return picked.result()
  }
  const byPosition = maxStep === minStep
  const scale = byPosition ? buckets / n : buckets / (maxStep - minStep)
  const low = new Bucketed(buckets)
  const high = new Bucketed(buckets)
  const first = new Bucketed(buckets)
  // The hot loop: plain indexed loops over each chunk, typed arrays in locals, no per-point allocation.
  const lowPos = low.pos
  const lowValue = low.value
  const highPos = high.pos
  const highValue = high.value
  const firstPos = first.pos
  let pos = 0
  for (const chunk of chunks) {
    const { steps, values } = chunk
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!
      if (s < start || s > end) continue
      const p = pos++
      if (p === 0 || p === n - 1) picked.add(chunk, i, p)
      let b = Math.floor((byPosition ? p : s - minStep) * scale)
      if (b >= buckets) b = buckets - 1
      if (firstPos[b] === -1) first.set(b, chunk, i, p)
      const v = values[i]!
      if (v !== v) continue // NaN is neither a minimum nor a maximum
      if (v < lowValue[b]! || lowPos[b] === -1) low.set(b, chunk, i, p)
      if (v > highValue[b]! || highPos[b] === -1) high.set(b, chunk, i, p)
    }
  }
  for (let b = 0; b < buckets; b++) {
    if (low.pos[b] === -1) {
      if (first.pos[b] !== -1) picked.take(first, b)
      continue
    }
    picked.take(low, b)
    if (high.pos[b] !== low.pos[b]) picked.take(high, b)
  }
  return picked.result()
}

function visit(
  chunks: readonly MetricSeries[],
  start: number,
  end: number,
  fn: (chunk: number, index: number, position: number) => void,
): void {
  let pos = 0
  for (let c = 0; c < chunks.length; c++) {
    const steps = chunks[c]!.steps
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i]!
      if (s < start || s > end) continue
      fn(c, i, pos++)
    }
  }
}

/** One candidate point per bucket, copied out so chunks need not be revisited. */
class Bucketed {
  readonly pos: Float64Array
  readonly step: Float64Array
  readonly timestamp: Float64Array
  readonly value: Float64Array

  constructor(size: number) {
    this.pos = new Float64Array(size).fill(-1)
    this.step = new Float64Array(size)
    this.timestamp = new Float64Array(size)
    this.value = new Float64Array(size)
  }

  set(b: number, chunk: MetricSeries, i: number, pos: number): void {
    this.pos[b] = pos
    this.step[b] = chunk.steps[i]!
    this.timestamp[b] = chunk.timestamps[i]!
    this.value[b] = chunk.values[i]!
  }
}

/** The kept points; `result()` orders them by step, then position, without duplicates. */
class Picked {
  private readonly pos: Float64Array
  private readonly step: Float64Array
  private readonly timestamp: Float64Array
  private readonly value: Float64Array
  private count = 0

  constructor(capacity: number) {
    this.pos = new Float64Array(capacity)
    this.step = new Float64Array(capacity)
    this.timestamp = new Float64Array(capacity)
    this.value = new Float64Array(capacity)
  }

  private push(pos: number, step: number, timestamp: number, value: number): void {
    const k = this.count++
    this.pos[k] = pos
    this.step[k] = step
    this.timestamp[k] = timestamp
    this.value[k] = value
  }

  add(chunk: MetricSeries, i: number, pos: number): void {
    this.push(pos, chunk.steps[i]!, chunk.timestamps[i]!, chunk.values[i]!)
  }

  take(from: Bucketed, b: number): void {
    this.push(from.pos[b]!, from.step[b]!, from.timestamp[b]!, from.value[b]!)
  }

  result(): MetricSeries {
    const order = Array.from({ length: this.count }, (_, k) => k)
    order.sort((a, b) => this.step[a]! - this.step[b]! || this.pos[a]! - this.pos[b]!)
    const kept = order.filter((k, j) => j === 0 || this.pos[k] !== this.pos[order[j - 1]!])
    return {
      steps: Float64Array.from(kept, (k) => this.step[k]!),
      timestamps: Float64Array.from(kept, (k) => this.timestamp[k]!),
      values: Float64Array.from(kept, (k) => this.value[k]!),
    }
  }
}
