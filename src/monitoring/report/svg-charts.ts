/**
 * Small inline-SVG charts for the monitoring report: grouped histograms (reference vs current) and line charts
 * over windows. Pure string builders, no scripts, no external resources, every label escaped, so the output can
 * be embedded in an HTML file that works offline.
 */

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML and XML (element content and quoted attributes alike). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c)
}

/** A number for display: four significant digits, '—' when not finite. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—'
  if (value === 0) return '0'
  const abs = Math.abs(value)
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(3)
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  return String(Number(value.toPrecision(4)))
}

export const REFERENCE_COLOR = '#7a8fa6'
export const CURRENT_COLOR = '#d9822b'
const SERIES_COLORS = ['#3b6fb6', '#d9822b', '#2e9e6a', '#b6443b', '#7c5cb6', '#9e8a2e', '#2e8f9e', '#555555']

export interface HistogramChartOptions {
  title: string
  /** Bin edges (numeric, one more than the shares) or category labels (one per share). */
  bins: ReadonlyArray<number | string>
  reference: readonly number[]
  current: readonly number[]
  width?: number
  height?: number
}

/** Grouped bars of reference vs current shares per bin or category. */
export function histogramChart(input: HistogramChartOptions): string {
  const options = sortedValueBins(input)
  const width = options.width ?? 360
  const height = options.height ?? 180
  const n = Math.min(options.reference.length, options.current.length)
  const pad = { left: 48, right: 8, top: 24, bottom: 34 }
  const plotW = width - pad.left - pad.right
  const plotH = height - pad.top - pad.bottom
  const values = [...options.reference.slice(0, n), ...options.current.slice(0, n)].filter(Number.isFinite)
  const max = Math.max(Number.MIN_VALUE, ...values)
  const numericEdges = options.bins.length === n + 1 && options.bins.every((b) => typeof b === 'number')
  const out = [svgOpen(width, height, options.title)]
  out.push(`<text x="${pad.left}" y="14" font-weight="600">${escapeXml(options.title)}</text>`)
  out.push(legend(width - 140, 6, [['reference', REFERENCE_COLOR], ['current', CURRENT_COLOR]]))
  out.push(axes(pad.left, pad.top, plotW, plotH))
  out.push(`<text x="${pad.left - 4}" y="${pad.top + 4}" text-anchor="end" fill="#555">${formatNumber(max)}</text>`)
  out.push(`<text x="${pad.left - 4}" y="${pad.top + plotH}" text-anchor="end" fill="#555">0</text>`)
  if (n > 0) {
    const slot = plotW / n
    const bar = Math.max(0.5, (slot * 0.8) / 2)
    for (let i = 0; i < n; i++) {
      const x0 = pad.left + i * slot + slot * 0.1
      const label = binLabel(options.bins, i, numericEdges)
      for (const [j, value, color, name] of [
        [0, options.reference[i]!, REFERENCE_COLOR, 'reference'],
        [1, options.current[i]!, CURRENT_COLOR, 'current'],
      ] as const) {
        const v = Number.isFinite(value) ? Math.max(0, value) : 0
        const h = (v / max) * plotH
        out.push(
          `<rect x="${fx(x0 + j * bar)}" y="${fx(pad.top + plotH - h)}" width="${fx(bar)}" height="${fx(h)}" fill="${color}">` +
            `<title>${escapeXml(`${label}: ${name} ${formatNumber(value)}`)}</title></rect>`,
        )
      }
    }
    // Axis labels: numeric columns at a few bin edges (short numbers), categories under their bars, never crowded.
    if (numericEdges) {
      const every = Math.max(1, Math.ceil(n / 4))
      for (let e = 0; e <= n; e += every) {
        out.push(`<text x="${fx(pad.left + e * slot)}" y="${pad.top + plotH + 14}" text-anchor="middle" fill="#555" font-size="10">${escapeXml(shortNumber(options.bins[e] as number))}</text>`)
      }
    } else {
      const every = Math.max(1, Math.ceil(n / 6))
      for (let i = 0; i < n; i += every) {
        const label = binLabel(options.bins, i, false)
        const short = label.length > 10 ? `${label.slice(0, 9)}…` : label
        out.push(`<text x="${fx(pad.left + (i + 0.5) * slot)}" y="${pad.top + plotH + 14}" text-anchor="middle" fill="#555" font-size="10">${escapeXml(short)}</text>`)
      }
    }
  }
  out.push('</svg>')
  return out.join('')
}

/**
 * Bins that are values rather than edges (a numeric column with few distinct values comes as one bin per value,
 * in first-seen order) are shown in numeric order when every label is a number.
 */
function sortedValueBins(options: HistogramChartOptions): HistogramChartOptions {
  const n = Math.min(options.reference.length, options.current.length)
  if (options.bins.length !== n || n < 2) return options
  const keys = options.bins.map((b) => (typeof b === 'number' ? b : b.trim() === '' ? Number.NaN : Number(b)))
  if (!keys.every(Number.isFinite)) return options
  const order = keys.map((k, i) => [k, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i)
  return {
    ...options,
    bins: order.map((i) => options.bins[i]!),
    reference: order.map((i) => options.reference[i]!),
    current: order.map((i) => options.current[i]!),
  }
}

/** Three significant digits for axis ticks. */
function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return '—'
  if (v === 0) return '0'
  const abs = Math.abs(v)
  return abs >= 1e5 || abs < 1e-3 ? v.toExponential(1) : String(Number(v.toPrecision(3)))
}

function binLabel(bins: ReadonlyArray<number | string>, i: number, numericEdges: boolean): string {
  if (numericEdges) return `${formatNumber(bins[i] as number)}–${formatNumber(bins[i + 1] as number)}`
  const b = bins[i]
  return b === undefined ? String(i) : typeof b === 'number' ? formatNumber(b) : b
}

export interface LineSeries {
  name: string
  /** One value per x position; null or non-finite leaves a gap. */
  values: ReadonlyArray<number | null>
}

export interface LineChartOptions {
  title: string
  /** Labels of the x positions (windows). */
  xLabels: readonly string[]
  series: readonly LineSeries[]
  /** A dashed horizontal line (a threshold). */
  reference?: { value: number; label: string }
  /** Fixed y range; else from the data (and the reference line). */
  yMin?: number
  yMax?: number
  width?: number
  height?: number
}

/** One polyline (with point markers and tooltips) per series over the x positions. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560
  const height = options.height ?? 220
  const pad = { left: 48, right: 12, top: 28, bottom: 40 }
  const plotW = width - pad.left - pad.right
  const plotH = height - pad.top - pad.bottom
  const finite: number[] = []
  for (const s of options.series) for (const v of s.values) if (v !== null && Number.isFinite(v)) finite.push(v)
  if (options.reference !== undefined) finite.push(options.reference.value)
  let yMin = options.yMin ?? Math.min(0, ...finite)
  let yMax = options.yMax ?? Math.max(...finite, yMin + 1e-9)
  if (!(yMax > yMin)) {
    yMin -= 0.5
    yMax += 0.5
  }
  const n = options.xLabels.length
  const xAt = (i: number): number => pad.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW)
  const yAt = (v: number): number => pad.top + plotH - ((Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * plotH
  const out = [svgOpen(width, height, options.title)]
  out.push(`<text x="${pad.left}" y="16" font-weight="600">${escapeXml(options.title)}</text>`)
  const legendWidth = options.series.slice(0, 4).reduce((w, s) => w + 24 + 6 * Math.min(13, s.name.length), 0)
  out.push(legend(Math.max(pad.left + 200, width - legendWidth), 6, options.series.map((s, i) => [s.name, seriesColor(i)] as const)))
  out.push(axes(pad.left, pad.top, plotW, plotH))
  for (const v of [yMin, (yMin + yMax) / 2, yMax]) {
    out.push(`<text x="${pad.left - 4}" y="${fx(yAt(v) + 4)}" text-anchor="end" fill="#555">${formatNumber(v)}</text>`)
  }
  const labelEvery = Math.max(1, Math.ceil(n / 6))
  for (let i = 0; i < n; i += labelEvery) {
    out.push(`<text x="${fx(xAt(i))}" y="${pad.top + plotH + 14}" text-anchor="middle" fill="#555" font-size="10">${escapeXml(options.xLabels[i]!)}</text>`)
  }
  if (options.reference !== undefined) {
    const y = fx(yAt(options.reference.value))
    out.push(`<line x1="${pad.left}" y1="${y}" x2="${pad.left + plotW}" y2="${y}" stroke="#b6443b" stroke-dasharray="5,4"/>`)
    out.push(`<text x="${pad.left + plotW}" y="${fx(yAt(options.reference.value) - 4)}" text-anchor="end" fill="#b6443b" font-size="10">${escapeXml(options.reference.label)}</text>`)
  }
  options.series.forEach((s, si) => {
    const color = seriesColor(si)
    // Gaps (windows without a value) split the line into segments.
    let segment: string[] = []
    const flush = (): void => {
      if (segment.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${segment.join(' ')}"/>`)
      segment = []
    }
    for (let i = 0; i < n; i++) {
      const v = s.values[i]
      if (v === null || v === undefined || !Number.isFinite(v)) {
        flush()
        continue
      }
      segment.push(`${fx(xAt(i))},${fx(yAt(v))}`)
      out.push(
        `<circle cx="${fx(xAt(i))}" cy="${fx(yAt(v))}" r="3" fill="${color}"><title>${escapeXml(`${s.name} @ ${options.xLabels[i] ?? i}: ${formatNumber(v)}`)}</title></circle>`,
      )
    }
    flush()
  })
  out.push('</svg>')
  return out.join('')
}

function seriesColor(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length]!
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, sans-serif" font-size="11"><title>${escapeXml(title)}</title>`
  )
}

function axes(x: number, y: number, w: number, h: number): string {
  return `<path d="M${x} ${y}V${y + h}H${x + w}" fill="none" stroke="#999"/>`
}

function legend(x: number, y: number, items: ReadonlyArray<readonly [string, string]>): string {
  let ix = x
  return items
    .slice(0, 4)
    .map(([name, color]) => {
      const short = name.length > 13 ? `${name.slice(0, 12)}…` : name
      const item = `<rect x="${fx(ix)}" y="${y}" width="10" height="10" fill="${color}"/><text x="${fx(ix + 14)}" y="${y + 9}" font-size="10">${escapeXml(short)}</text>`
      // About 6 px per character at font-size 10.
      ix += 24 + 6 * short.length
      return item
    })
    .join('')
}

function fx(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0'
}
