import type { Readable } from 'node:stream'
import { invalidParameter } from '../core/errors.js'
import type { Frame } from '../core/frame.js'
import { CsvTokenizer, fieldText, type RowSink } from './csv-tokenizer.js'
import { FrameBuilder, T_BOOL, T_CATEGORY, T_DATETIME, T_INT, TypeEvidence, isBoolText, uniqueNames } from './frame-builder.js'
import { parseDateTime } from './parse-datetime.js'
import { NumberScanner, parseNumber } from './parse-number.js'
import { DEFAULT_INFER_ROWS, DEFAULT_MISSING, checkReadOptions, selectColumns, type ReadOptions } from './read-options.js'
import { openSource, toBuffer } from './source.js'

export interface CsvReadOptions extends ReadOptions {
  /** One character (default `,`; `\t` for TSV). */
  readonly delimiter?: string
  /** Whether the first row holds the column names (default true; else `column_1`, `column_2`, …). */
  readonly header?: boolean
  /** Bytes per read from a file (default 1 MiB). */
  readonly chunkSize?: number
}

/**
 * Reads a CSV file or stream into a Frame. Bytes are tokenized in place and parsed straight into typed
 * columns: no string per numeric field, no per-row objects, never the whole file in memory. Column types
 * come from the first `inferRows` rows plus `schema` overrides; see {@link ReadOptions}.
 */
export async function readCsv(source: string | Readable, options: CsvReadOptions = {}): Promise<Frame> {
  checkReadOptions(options)
  const delimiter = options.delimiter ?? ','
  if (delimiter.length !== 1 || Buffer.byteLength(delimiter) !== 1 || '"\r\n'.includes(delimiter)) {
    throw invalidParameter(`delimiter must be one single-byte character other than a quote or newline, got '${delimiter}'.`)
  }
  const opened = await openSource(source, options.chunkSize)
  const reader = new CsvReader(options, delimiter.charCodeAt(0), opened.totalBytes)
  for await (const chunk of opened.stream) reader.push(toBuffer(chunk))
  return reader.end()
}

class MissingMatcher {
  private readonly byLength: Buffer[][] = []

  constructor(markers: readonly string[]) {
    for (const marker of markers) {
      const bytes = Buffer.from(marker, 'utf8')
      while (this.byLength.length <= bytes.length) this.byLength.push([])
      this.byLength[bytes.length]!.push(bytes)
    }
  }

  matches(buf: Buffer, s: number, e: number): boolean {
    const n = e - s
    if (n >= this.byLength.length) return false
    const candidates = this.byLength[n]!
    for (let i = 0; i < candidates.length; i++) {
      const m = candidates[i]!
      let k = 0
      while (k < n && buf[s + k] === m[k]) k++
      if (k === n) return true
    }
    return false
  }
}

class HeaderSink implements RowSink {
  stop = false
  names: string[] | undefined
  constructor(private readonly keep: boolean) {}
  row(buf: Buffer, starts: Int32Array, ends: Int32Array, flags: Uint8Array, fields: number): void {
    const names: string[] = []
    for (let i = 0; i < fields; i++) names.push(this.keep ? fieldText(buf, starts[i]!, ends[i]!, flags[i]!) : `column_${i + 1}`)
    this.names = names
    this.stop = true
  }
}

class EvidenceSink implements RowSink {
  stop = false
  rows = 0
  readonly evidence: TypeEvidence[]
  constructor(private readonly selected: readonly number[], private readonly missing: MissingMatcher, private readonly limit: number) {
    this.evidence = selected.map(() => new TypeEvidence())
  }
  row(buf: Buffer, starts: Int32Array, ends: Int32Array, flags: Uint8Array, fields: number): void {
    for (let k = 0; k < this.selected.length; k++) {
      const f = this.selected[k]!
      if (f >= fields) continue
      const s = starts[f]!
      const e = ends[f]!
      if (this.missing.matches(buf, s, e)) continue
      const ev = this.evidence[k]!
      ev.present++
      if (isBoolText(buf, s, e) < 0) ev.notBool++
      const v = (flags[f]! & 2) === 0 ? parseNumber(buf, s, e) : Number.NaN
      if (Number.isNaN(v)) {
        ev.notNumber++
        if (Number.isNaN(parseDateTime(buf, s, e))) ev.notDate++
      } else {
        ev.notDate++
        if (!Number.isInteger(v)) ev.notInteger++
      }
    }
    if (++this.rows >= this.limit) this.stop = true
  }
}

class BuildSink implements RowSink {
  stop = false
  private single = false
  private readonly scanner = new NumberScanner()
  /** File field index → selected column index, or -1 when the field is not read. */
  private readonly columnOf: Int32Array
  private readonly special = new Uint8Array(256)

  constructor(
    private readonly b: FrameBuilder,
    private readonly selected: readonly number[],
    private readonly headerLength: number,
    private readonly missing: MissingMatcher,
    private readonly project: () => number | undefined,
    private readonly tokenizer: CsvTokenizer,
    private readonly delimiter: number,
  ) {
    this.columnOf = new Int32Array(headerLength).fill(-1)
    selected.forEach((f, k) => (this.columnOf[f] = k))
    this.special[delimiter] = 1
    this.special[10] = 1
    this.special[13] = 1
  }

  /**
   * Parses rows of `buf` from `from`, numbers straight from the bytes while finding where fields end (one
   * pass). A row with a quote, too few or too many fields, or a trailing delimiter goes through the general
   * tokenizer instead. Returns the offset after the last complete row.
   */
  parse(buf: Buffer, from: number, final: boolean): number {
    const b = this.b
    const end = buf.length
    const delimiter = this.delimiter
    const special = this.special
    const columnOf = this.columnOf
    const fields = this.headerLength
    const scanner = this.scanner
    let p = from
    while (p < end) {
      const rowStart = p
      let c = buf[p]!
      if (c === 10) {
        p++
        continue
      }
      if (c === 13) {
        if (p + 1 >= end && !final) return rowStart
        p += p + 1 < end && buf[p + 1] === 10 ? 2 : 1
        continue
      }
      const r = b.rows
      if (r === b.capacity) b.grow(this.project())
      let f = 0
      let ok = true
      for (;;) {
        if (f >= fields || (p < end && buf[p] === 34)) {
          ok = false
          break
        }
        const k = columnOf[f]!
        const t = k < 0 ? -1 : b.types[k]!
        const s = p
        let done = false
        if (t === 0 || t === T_INT) {
          const v = scanner.scan(buf, p, end)
          const e = scanner.end
          if (!Number.isNaN(v) && (t === 0 || Number.isInteger(v)) && (e < end ? special[buf[e]!] === 1 : final)) {
            b.values[k]![r] = v
            p = e
            done = true
          }
        }
        if (!done) {
          while (p < end && special[buf[p]!] === 0) p++
          if (p >= end && !final) return rowStart
          if (k >= 0) this.store(k, r, buf, s, p, 0)
        }
        f++
        if (p >= end) {
          if (!final) return rowStart
          break
        }
        c = buf[p]!
        if (c === delimiter) {
          p++
          if (p >= end) {
            if (!final) return rowStart
            ok = false
            break
          }
          continue
        }
        if (c === 10) {
          p++
          break
        }
        if (p + 1 >= end && !final) return rowStart
        p += p + 1 < end && buf[p + 1] === 10 ? 2 : 1
        break
      }
      if (ok && f === fields) {
        b.rows = r + 1
        continue
      }
      // The general path for this one row (it overwrites whatever the fast path stored for it).
      this.tokenizer.rowsSeen = r
      this.single = true
      const next = this.tokenizer.tokenize(buf, rowStart, final, this)
      this.single = false
      this.stop = false
      if (b.rows === r) return rowStart
      p = next
    }
    return p
  }

  row(buf: Buffer, starts: Int32Array, ends: Int32Array, flags: Uint8Array, fields: number): void {
    const b = this.b
    const r = b.rows
    if (fields > this.headerLength) {
      throw invalidParameter(`CSV data row ${r + 1} has ${fields} fields but the header has ${this.headerLength}; check the delimiter and quoting on that row.`)
    }
    if (r === b.capacity) b.grow(this.project())
    const selected = this.selected
    for (let k = 0; k < selected.length; k++) {
      const f = selected[k]!
      if (f >= fields) {
        if (b.types[k] === T_CATEGORY) b.codes[k]![r] = -1
        else b.values[k]![r] = Number.NaN
        continue
      }
      this.store(k, r, buf, starts[f]!, ends[f]!, flags[f]!)
    }
    b.rows = r + 1
    if (this.single) this.stop = true
  }

  private store(k: number, r: number, buf: Buffer, s: number, e: number, flag: number): void {
    const b = this.b
    const t = b.types[k]!
    if (this.missing.matches(buf, s, e)) {
      if (t === T_CATEGORY) b.codes[k]![r] = -1
      else b.values[k]![r] = Number.NaN
      return
    }
    if (t === T_CATEGORY) {
      b.codes[k]![r] = b.code(k, fieldText(buf, s, e, flag))
      return
    }
    let v: number
    if (t === T_BOOL) {
      v = isBoolText(buf, s, e)
      if (v < 0) {
        v = parseNumber(buf, s, e)
        if (!Number.isNaN(v) && b.origin[k] !== 1) b.types[k] = Number.isInteger(v) ? T_INT : 0
        else v = Number.NaN
      }
    } else if (t === T_DATETIME) v = parseDateTime(buf, s, e)
    else {
      v = (flag & 2) === 0 ? parseNumber(buf, s, e) : Number.NaN
      if (t === T_INT && !Number.isNaN(v) && !Number.isInteger(v)) {
        if (b.origin[k] === 1) v = Number.NaN
        else b.types[k] = 0
      }
    }
    if (Number.isNaN(v)) {
      const text = fieldText(buf, s, e, flag)
      b.conflict(k, r, text)
      b.codes[k]![r] = b.code(k, text)
      return
    }
    b.values[k]![r] = v
  }
}

const enum Phase {
  Header,
  Sample,
  Build,
}

class CsvReader {
  private pending: Buffer = Buffer.alloc(0)
  private store: Buffer = Buffer.alloc(0)
  private owned = false
  private pos = 0
  private samplePos = 0
  private bytesRead = 0
  private headerBytes = 0
  private phase = Phase.Header
  private readonly tokenizer: CsvTokenizer
  private readonly missing: MissingMatcher
  private header: string[] = []
  private selected: number[] = []
  private evidence: EvidenceSink | undefined
  private builder: FrameBuilder | undefined
  private sink: BuildSink | undefined

  constructor(
    private readonly options: CsvReadOptions,
    private readonly delimiter: number,
    private readonly totalBytes: number | undefined,
  ) {
    this.tokenizer = new CsvTokenizer(delimiter)
    this.missing = new MissingMatcher(options.missing ?? DEFAULT_MISSING)
  }

  push(chunk: Buffer): void {
    this.bytesRead += chunk.length
    const used = this.pending.length
    const rest = used - this.pos
    this.samplePos -= this.pos
    if (rest === 0) {
      // Everything consumed: parse the chunk in place (no copy), and do not write into it later.
      this.pending = chunk
      this.owned = false
    } else {
      // A partial row (or, while sampling, the whole sample) stays: append with amortised growth.
      const needed = rest + chunk.length
      let store = this.store
      if (!this.owned || store.length < needed || store.length > 4 * needed + (1 << 20)) {
        store = Buffer.allocUnsafe(needed + Math.max(needed >> 2, 1 << 16))
        this.pending.copy(store, 0, this.pos, used)
        this.store = store
        this.owned = true
      } else if (this.pos > 0) {
        store.copyWithin(0, this.pos, used)
      }
      chunk.copy(store, rest)
      this.pending = store.subarray(0, needed)
    }
    this.pos = 0
    this.process(false)
    this.options.onProgress?.({ bytes: this.bytesRead, totalBytes: this.totalBytes, rows: this.builder?.rows ?? 0 })
  }

  end(): Frame {
    this.process(true)
    if (this.phase === Phase.Header) throw invalidParameter('The CSV is empty: it has no header row.')
    if (this.phase === Phase.Sample) {
      this.startBuild()
      this.process(true)
    }
    const frame = this.builder!.finish()
    this.options.onProgress?.({ bytes: this.bytesRead, totalBytes: this.totalBytes, rows: frame.rows })
    return frame
  }

  private process(final: boolean): void {
    if (this.phase === Phase.Header) {
      if (this.pos === 0 && this.pending.length >= 3 && this.pending[0] === 0xef && this.pending[1] === 0xbb && this.pending[2] === 0xbf) this.pos = 3
      const keep = this.options.header ?? true
      const sink = new HeaderSink(keep)
      const after = this.tokenizer.tokenize(this.pending, this.pos, final, sink)
      if (sink.names === undefined) return
      this.header = uniqueNames(sink.names)
      if (keep) {
        this.headerBytes = after
        this.pos = after
      }
      this.tokenizer.rowsSeen = 0
      this.selected = selectColumns(this.header, this.options)
      this.evidence = new EvidenceSink(this.selected, this.missing, this.options.inferRows ?? DEFAULT_INFER_ROWS)
      this.samplePos = this.pos
      this.phase = Phase.Sample
    }
    if (this.phase === Phase.Sample) {
      const evidence = this.evidence!
      this.samplePos = this.tokenizer.tokenize(this.pending, this.samplePos, final, evidence)
      if (!evidence.stop && !final) return
      this.startBuild()
    }
    this.pos = this.sink!.parse(this.pending, this.pos, final)
  }

  private startBuild(): void {
    const evidence = this.evidence!
    const names = this.selected.map((i) => this.header[i]!)
    const plan = FrameBuilder.plan(names, evidence.evidence, this.options)
    const sampleBytes = this.samplePos - this.pos
    let capacity = Math.max(evidence.rows * 2, 1024)
    if (this.totalBytes !== undefined && evidence.rows > 0 && sampleBytes > 0) {
      capacity = ((this.totalBytes - this.headerBytes) / (sampleBytes / evidence.rows)) * 1.02 + 64
    }
    this.builder = new FrameBuilder(names, plan.types, plan.origin, capacity, this.options)
    this.sink = new BuildSink(this.builder, this.selected, this.header.length, this.missing, () => this.projectRows(), this.tokenizer, this.delimiter)
    this.tokenizer.rowsSeen = 0
    this.phase = Phase.Build
  }

  private projectRows(): number | undefined {
    const consumed = this.bytesRead - (this.pending.length - this.pos) - this.headerBytes
    if (this.totalBytes === undefined || consumed <= 0) return undefined
    return (this.builder!.rows * (this.totalBytes - this.headerBytes)) / consumed * 1.05 + 1024
  }
}
