/**
 * Solves A x = b for symmetric positive-definite A (n×n, row-major) by Cholesky, in place: A is overwritten by
 * its factor L (lower triangle) and b by x. Returns the index of the first non-positive pivot (the matrix is
 * singular or indefinite there) or -1 on success, so callers can name the offending feature.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): number {
  // Pivots this small relative to the diagonal mean the column is a linear combination of earlier ones.
  let scale = 0
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!))
  const tiny = scale * 1e-13
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!
    if (!(d > tiny)) return j
    const ljj = Math.sqrt(d)
    a[j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!
      for (let k = 0; k < j; k++) s -= a[i * n + k]! * a[j * n + k]!
      a[i * n + j] = s / ljj
    }
  }
  // Forward: L y = b; backward: Lᵀ x = y.
  for (let i = 0; i < n; i++) {
    let s = b[i]!
    for (let k = 0; k < i; k++) s -= a[i * n + k]! * b[k]!
    b[i] = s / a[i * n + i]!
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * b[k]!
    b[i] = s / a[i * n + i]!
  }
  return -1
}
