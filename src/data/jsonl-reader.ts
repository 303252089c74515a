import type { Readable } from 'node:stream'
import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { FrameBuilder, T_BOOL, T_CATEGORY, T_DATETIME, T_INT, TypeEvidence } from './frame-builder.js'
import { parseDateTimeString } from './parse-datetime.js'
import { DEFAULT_INFER_ROWS, DEFAULT_MISSING, checkReadOptions, selectColumns, type ReadOptions } from './read-options.js'
import { openSource, toBuffer } from './source.js'

export interface JsonLinesReadOptions extends ReadOptions {
  readonly chunkSize?: number
}

type Json = Record<string, unknown>

/**
 * Reads JSON lines (one object per line; blank lines skipped) into a Frame, with the same inference and
 * overrides as `readCsv`. JSON types are kept: numbers are numeric, booleans bool, strings categorical
 * (or datetime when every string of the column is ISO 8601), null or a missing marker is missing. The columns
 * are the keys seen in the first `inferRows` rows (or `columns`); keys that first appear later are ignored.
 * Each line is one `JSON.parse`; only the first `inferRows` parsed rows are held at once.
 */
export async function readJsonLines(source: string | Readable, options: JsonLinesReadOptions = {}): Promise<Frame> {
  checkReadOptions(options)
  const opened = await openSource(source, options.chunkSize)
  const missing = new Set(options.missing ?? DEFAULT_MISSING)
  const limit = options.inferRows ?? DEFAULT_INFER_ROWS
  let sample: Json[] | undefined = []
  let builder: FrameBuilder | undefined
  let names: string[] = []
  let line = 0
  let bytes = 0
  let rest: Buffer = Buffer.alloc(0)

  const start = (): void => {
    const keys = new Map<string, number>()
    for (const row of sample!) for (const k of Object.keys(row)) if (!keys.has(k)) keys.set(k, keys.size)
    const header = [...keys.keys()]
    names = selectColumns(header, options).map((i) => header[i]!)
    const evidence = names.map(() => new TypeEvidence())
    for (const row of sample!) {
      names.forEach((name, c) => observe(evidence[c]!, row[name], missing, name))
    }
    const plan = FrameBuilder.plan(names, evidence, options)
    builder = new FrameBuilder(names, plan.types, plan.origin, Math.max(sample!.length * 2, 1024), options)
    const rows = sample!
    sample = undefined
    for (const row of rows) add(builder, names, row, missing)
  }

  const handleLine = (text: string): void => {
    line++
    if (text.trim() === '') return
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw invalidParameter(`JSON lines: line ${line} is not valid JSON (${(error as Error).message}).`)
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw invalidParameter(`JSON lines: line ${line} is not a JSON object; each line must be one object like {"a": 1}.`)
    }
    if (sample !== undefined) {
      sample.push(parsed as Json)
      if (sample.length >= limit) start()
    } else add(builder!, names, parsed as Json, missing)
  }

  for await (const raw of opened.stream) {
    const chunk = toBuffer(raw)
    bytes += chunk.length
    const buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk])
    let from = 0
    for (let nl = buf.indexOf(10, from); nl >= 0; nl = buf.indexOf(10, from)) {
      handleLine(buf.toString('utf8', from, nl))
      from = nl + 1
    }
    rest = Buffer.from(buf.subarray(from))
    options.onProgress?.({ bytes, totalBytes: opened.totalBytes, rows: builder?.rows ?? 0 })
  }
  if (rest.length > 0) handleLine(rest.toString('utf8'))
  if (sample !== undefined) start()
  const frame = builder!.finish()
  options.onProgress?.({ bytes, totalBytes: opened.totalBytes, rows: frame.rows })
  return frame
}

function observe(ev: TypeEvidence, v: unknown, missing: ReadonlySet<string>, name: string): void {
  if (v === null || v === undefined || (typeof v === 'string' && missing.has(v))) return
  ev.present++
  if (typeof v === 'number') {
    ev.notBool++
    ev.notDate++
    if (!Number.isInteger(v)) ev.notInteger++
  } else if (typeof v === 'boolean') {
    ev.notNumber++
    ev.notDate++
  } else if (typeof v === 'string') {
    ev.notNumber++
    ev.notBool++
    if (Number.isNaN(parseDateTimeString(v))) ev.notDate++
  } else {
    throw invalidParameter(`Column '${name}' holds a nested ${Array.isArray(v) ? 'array' : 'object'}; flatten it into scalar fields first.`)
  }
}

function add(b: FrameBuilder, names: readonly string[], row: Json, missing: ReadonlySet<string>): void {
  const r = b.rows
  if (r === b.capacity) b.grow()
  for (let c = 0; c < names.length; c++) {
    const v = row[names[c]!]
    const t = b.types[c]!
    if (v === null || v === undefined || (typeof v === 'string' && missing.has(v))) {
      if (t === T_CATEGORY) b.codes[c]![r] = -1
      else b.values[c]![r] = Number.NaN
      continue
    }
    if (typeof v === 'object') throw invalidParameter(`Column '${names[c]!}' holds a nested value in data row ${r + 1}; flatten it into scalar fields first.`)
    if (t === T_CATEGORY) {
      b.codes[c]![r] = b.code(c, String(v))
      continue
    }
    let x = Number.NaN
    if (typeof v === 'number') {
      x = v
      if (t === T_DATETIME) x = Number.NaN
      else if (t === T_BOOL && b.origin[c] !== 1) b.types[c] = Number.isInteger(v) ? T_INT : 0
      else if (t === T_BOOL || (t === T_INT && !Number.isInteger(v))) {
        if (b.origin[c] === 1) x = Number.NaN
        else b.types[c] = 0
      }
    } else if (typeof v === 'boolean') {
      x = t === T_DATETIME ? Number.NaN : v ? 1 : 0
    } else if (typeof v === 'string' && t === T_DATETIME) {
      x = parseDateTimeString(v)
    }
    if (Number.isNaN(x)) {
      const text = String(v)
      b.conflict(c, r, text)
      b.codes[c]![r] = b.code(c, text)
      continue
    }
    b.values[c]![r] = x
  }
  b.rows = r + 1
}
