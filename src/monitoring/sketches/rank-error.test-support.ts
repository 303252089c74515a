/** How far `value`'s true normalized rank interval [#<v, #≤v]/n is from `q` (0 when q is inside it). */
export function rankDistance(sorted: Float64Array, value: number, q: number): number {
  const n = sorted.length
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  const below = lo
  hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! <= value) lo = mid + 1
    else hi = mid
  }
  const atOrBelow = lo
  if (q < below / n) return below / n - q
  if (q > atOrBelow / n) return q - atOrBelow / n
  return 0
}

export function maxRankError(sketch: { quantile(q: number): number }, data: Float64Array): number {
  const sorted = Float64Array.from(data).sort()
  let worst = 0
  for (let i = 1; i < 200; i++) {
    const q = i / 200
    worst = Math.max(worst, rankDistance(sorted, sketch.quantile(q), q))
  }
  return worst
}
