import { invalidParameter } from '../core/errors.js'

const QUOTE = 34
const LF = 10
const CR = 13
const SPACE = 32

/** Receives one row at a time: field i is `buf[starts[i], ends[i])`, `flags[i]` bit 1 = quoted, bit 2 = has `""`. */
export interface RowSink {
  row(buf: Buffer, starts: Int32Array, ends: Int32Array, flags: Uint8Array, fields: number): void
  /** Set to true to stop after the current row. */
  stop: boolean
}

/**
 * RFC 4180 tokenizer over bytes: no strings, no per-row objects. Fields are reported as offsets into the
 * buffer; a row cut by the end of the buffer is left for the next call (the caller prepends it to the next
 * chunk). Blank lines are skipped (as pandas does).
 */
export class CsvTokenizer {
  starts = new Int32Array(64)
  ends = new Int32Array(64)
  flags = new Uint8Array(64)
  rowsSeen = 0
  private readonly delimiter: number
  /** 1 for the bytes that end an unquoted field: the delimiter, LF and CR. */
  private readonly special = new Uint8Array(256)

  constructor(delimiter: number) {
    this.delimiter = delimiter
    this.special[delimiter] = 1
    this.special[LF] = 1
    this.special[CR] = 1
  }

  /**
   * Tokenizes complete rows of `buf[from, end)`; returns the offset after the last complete row.
   * `final`: no more bytes will come, so the last row needs no terminator.
   */
  tokenize(buf: Buffer, from: number, final: boolean, sink: RowSink): number {
    const end = buf.length
    const delimiter = this.delimiter
    const special = this.special
    let p = from
    while (p < end && !sink.stop) {
      const rowStart = p
      let b = buf[p]!
      if (b === LF) {
        p++
        continue
      }
      if (b === CR) {
        if (p + 1 >= end && !final) return rowStart
        p += p + 1 < end && buf[p + 1] === LF ? 2 : 1
        continue
      }
      let n = 0
      let rowDone = false
      while (!rowDone) {
        if (n === this.starts.length) this.growFields()
        let s: number
        let e: number
        let flag = 0
        if (p < end && buf[p] === QUOTE) {
          flag = 1
          p++
          s = p
          for (;;) {
            if (p >= end) {
              if (!final) return rowStart
              throw invalidParameter(`CSV row ${this.rowsSeen + 1} has a quoted field that is never closed; check the quoting around it.`)
            }
            if (buf[p] === QUOTE) {
              if (p + 1 < end && buf[p + 1] === QUOTE) {
                flag = 3
                p += 2
                continue
              }
              if (p + 1 >= end && !final) return rowStart
              break
            }
            p++
          }
          e = p
          p++
          while (p < end && buf[p] === SPACE) p++
        } else {
          s = p
          // One table load per byte instead of three comparisons.
          while (p < end && special[buf[p]!] === 0) p++
          e = p
        }
        if (p >= end && !final) return rowStart
        this.starts[n] = s
        this.ends[n] = e
        this.flags[n] = flag
        n++
        if (p >= end) break
        b = buf[p]!
        if (b === delimiter) {
          p++
          if (p >= end && final) {
            // A trailing delimiter at the very end: one more empty field.
            if (n === this.starts.length) this.growFields()
            this.starts[n] = p
            this.ends[n] = p
            this.flags[n] = 0
            n++
            rowDone = true
          }
          continue
        }
        if (b === LF) {
          p++
          rowDone = true
        } else if (b === CR) {
          if (p + 1 >= end && !final) return rowStart
          p += p + 1 < end && buf[p + 1] === LF ? 2 : 1
          rowDone = true
        } else {
          throw invalidParameter(
            `CSV row ${this.rowsSeen + 1} has text after the closing quote of field ${n}; quote the whole field and double any quote inside it ("").`,
          )
        }
      }
      this.rowsSeen++
      sink.row(buf, this.starts, this.ends, this.flags, n)
    }
    return p
  }

  private growFields(): void {
    const size = this.starts.length * 2
    const starts = new Int32Array(size)
    starts.set(this.starts)
    const ends = new Int32Array(size)
    ends.set(this.ends)
    const flags = new Uint8Array(size)
    flags.set(this.flags)
    this.starts = starts
    this.ends = ends
    this.flags = flags
  }
}

/** The text of a field (UTF-8), with `""` unescaped in quoted fields. */
export function fieldText(buf: Buffer, s: number, e: number, flag: number): string {
  const text = buf.toString('utf8', s, e)
  return (flag & 2) !== 0 ? text.replaceAll('""', '"') : text
}
