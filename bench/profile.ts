/*
 * `npm run bench -- --profile <operation>`: where the server's CPU goes for one operation.
 * The server runs with V8's sampling profiler (--cpu-prof); afterwards the profile is summed by
 * function (self time) and by package or source folder, so a change can be aimed at what costs.
 * The raw .cpuprofile stays in bench/results/profiles/ for Chrome DevTools.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Where a frame's code lives: an npm package, a OneDoor folder, Node itself, or V8 (GC, idle). */
function owner(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'anonymous'})`
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]
  const source = /\/(src|dist|bench)\/([^/]+)/.exec(url)
  if (source) return `${source[1]}/${source[2]}`
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node (internal)')
  return url
}

export function summariseProfile(file: string, operations: number, top = 30): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const selfMicros = new Map<number, number>()
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0)
  const idle = [...selfMicros].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0)
  const busy = total - idle

  const byFunction = new Map<string, number>()
  const byOwner = new Map<string, number>()
  for (const [id, us] of selfMicros) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    if (functionName === '(idle)') continue
    const key = `${functionName || '(anonymous)'} ${owner(url, functionName)}:${lineNumber + 1}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
    const who = owner(url, functionName)
    byOwner.set(who, (byOwner.get(who) ?? 0) + us)
  }
  // Inclusive time of OneDoor's own functions (the bundle, dist/main.js): self plus callees.
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const inclusive = new Map<string, number>()
  for (const [id, us] of selfMicros) {
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame
      if (functionName === '(idle)') break
      if (!/\/dist\//.test(url)) continue
      const key = `${functionName || '(anonymous)'} ${owner(url, functionName)}:${lineNumber + 1}`
      if (seen.has(key)) continue
      seen.add(key)
      inclusive.set(key, (inclusive.get(key) ?? 0) + us)
    }
  }
  const perOp = (us: number) => (operations > 0 ? `${(us / operations).toFixed(1)} µs/op` : '')
  const rows = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => `  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${perOp(us).padStart(14)}  ${k}`)
  return [
    `main thread busy ${(busy / 1000).toFixed(0)} ms over ${operations} operations (${perOp(busy)}; the libuv pool is not sampled)`,
    'by package or folder (self time):',
    ...rows(byOwner),
    'by function (self time):',
    ...rows(byFunction),
    'OneDoor functions, inclusive (self + what they call):',
    ...rows(inclusive),
  ].join('\n')
}
