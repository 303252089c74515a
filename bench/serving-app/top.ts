/** Self time by function (and by file) of a V8 .cpuprofile: npx tsx bench/serving-app/top.ts <file> [n=40] */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] }
const n = Number(process.argv[3] ?? 40) || 40
const self = new Map<number, number>()
for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0))
const byFn = new Map<string, number>()
const byFile = new Map<string, number>()
let total = 0
for (const node of profile.nodes) {
  const t = self.get(node.id) ?? 0
  total += t
  const file = node.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|src\/[^?]+|node:[^?]+)/, '$1') || '(native)'
  const key = `${node.callFrame.functionName || '(anon)'} ${file}:${node.callFrame.lineNumber + 1}`
  byFn.set(key, (byFn.get(key) ?? 0) + t)
  byFile.set(file, (byFile.get(file) ?? 0) + t)
}
const show = (m: Map<string, number>, k: number): void => {
  for (const [name, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, k)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)} %  ${name}`)
}
console.log(`total ${(total / 1e6).toFixed(1)} s`)
show(byFn, n)
console.log('--- by file')
show(byFile, 25)
