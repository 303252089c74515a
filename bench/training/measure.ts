/**
 * Timing helpers for bench/training/run.ts: wall and CPU seconds of a region, and how much CPU the rest of
 * the machine used meanwhile (so a figure taken on a busy machine says so beside it).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

export interface Timing {
  wall: number
  cpu: number
  /** CPU seconds other processes used during the region (machine busy time minus ours); null off Linux. */
  otherCpu: number | null
}

/** CPU seconds all processes have been busy since boot (from /proc/stat), or null where there is none. */
export function machineBusySeconds(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number)
    const idle = (f[3] ?? 0) + (f[4] ?? 0)
    // USER_HZ is 100 on Linux.
    return (f.reduce((s, v) => s + v, 0) - idle) / 100
  } catch {
    return null
  }
}

/** Runs `fn` once and times it; CPU is this process's (all threads, so forest workers count). */
export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; timing: Timing }> {
  const busy0 = machineBusySeconds()
  const c0 = process.cpuUsage()
  const w0 = performance.now()
  const result = await fn()
  const wall = (performance.now() - w0) / 1000
  const c = process.cpuUsage(c0)
  const busy1 = machineBusySeconds()
  const cpu = (c.user + c.system) / 1e6
  const otherCpu = busy0 === null || busy1 === null ? null : Math.max(0, busy1 - busy0 - cpu)
  return { result, timing: { wall, cpu, otherCpu } }
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error('median of no values')
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** The median run by wall time, with its CPU and other-process load beside it. */
export function medianTiming(runs: readonly Timing[]): Timing {
  const wall = median(runs.map((r) => r.wall))
  const cpu = median(runs.map((r) => r.cpu))
  const others = runs.map((r) => r.otherCpu)
  const otherCpu = others.every((o): o is number => o !== null) ? median(others) : null
  return { wall, cpu, otherCpu }
}

/** Other processes' average load over a region, in cores (e.g. 0.3 = a third of one core). */
export function otherCores(t: Timing): string {
  return t.otherCpu === null ? 'n/a' : (t.otherCpu / t.wall).toFixed(2)
}

/** Machine CPU busy over `ms` while this process waits: the background load before the benchmark starts. */
export async function backgroundCores(ms: number): Promise<number | null> {
  const b0 = machineBusySeconds()
  const c0 = process.cpuUsage()
  await new Promise((resolve) => setTimeout(resolve, ms))
  const b1 = machineBusySeconds()
  const c = process.cpuUsage(c0)
  if (b0 === null || b1 === null) return null
  return Math.max(0, b1 - b0 - (c.user + c.system) / 1e6) / (ms / 1000)
}

/** The processes using the most CPU right now (top's second sample), for the conditions line; '' if no top. */
export function busiestProcesses(count: number): string {
  try {
    const out = execFileSync('top', ['-b', '-n', '2', '-d', '1', '-w', '200', '-o', '%CPU'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    const second = out.slice(out.lastIndexOf('top - '))
    const lines = second.split('\n')
    const header = lines.findIndex((l) => /\bPID\b/.test(l) && /%CPU/.test(l))
    if (header < 0) return ''
    const cols = lines[header]!.trim().split(/\s+/)
    const cpuAt = cols.indexOf('%CPU')
    const cmdAt = cols.indexOf('COMMAND')
    return lines
      .slice(header + 1, header + 1 + count)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > cmdAt && Number(f[cpuAt]) > 0)
      .map((f) => `${f[cmdAt]} ${f[cpuAt]}%`)
      .join(', ')
  } catch {
    return ''
  }
}

/** A plain-text table with left-aligned columns. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)))
  return rows.map((r) => r.map((cell, j) => cell.padEnd(widths[j]!)).join('  ').trimEnd()).join('\n')
}
