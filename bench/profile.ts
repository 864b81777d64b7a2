import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { layerTimes, renderLayers, type CpuProfile, type LayerTime } from './profile-layers.js'

// Reads a V8 .cpuprofile (from `node --cpu-prof`) and ranks where the service spent its own
// CPU time: per function (name + file + line) and per module (npm package, node internals, or
// our own source file), self time, so the list points at code to change; and per layer of the
// stack, self and inclusive (profile-layers.ts), so it says what each layer costs in all.


export interface HotSpot {
  readonly name: string
  readonly selfMs: number
  /** Share of the busy (non-idle) time. */
  readonly percent: number
}

export interface ProfileSummary {
  readonly file: string
  readonly totalMs: number
  readonly idleMs: number
  readonly functions: readonly HotSpot[]
  readonly modules: readonly HotSpot[]
  readonly layers: readonly LayerTime[]
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path
}

/** node_modules/<pkg> (or @scope/pkg); otherwise the file itself (our code, node:net…). */
export function moduleOf(url: string): string {
  const path = shortUrl(url)
  if (path === '') return '(native / V8)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg?.[1] !== undefined) return pkg[1]
  return path
}

export async function newestProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))
  const withTimes = await Promise.all(files.map(async (f) => ({ f, t: (await stat(join(dir, f))).mtimeMs })))
  const newest = withTimes.sort((a, b) => b.t - a.t)[0]
  if (newest === undefined) throw new Error(`no .cpuprofile in ${dir}`)
  return join(dir, newest.f)
}

function rank(times: Map<string, number>, busyMs: number, top: number): HotSpot[] {
  return [...times.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({ name, selfMs: Math.round(ms), percent: Math.round((1000 * ms) / busyMs) / 10 }))
}

/**
 * The profile's last `lastMs` only: with a long warm-up (a cache filling up, say), what the
 * steady state costs, not the way there. The process stops right after its measurement, so
 * the measured window is the end of the profile.
 */
export function lastPart(profile: CpuProfile, lastMs: number): CpuProfile {
  const totalUs = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0)
  const cutoffUs = totalUs - lastMs * 1000
  let elapsedUs = 0
  let first = 0
  while (first < profile.timeDeltas.length && elapsedUs + (profile.timeDeltas[first] as number) < cutoffUs) {
    elapsedUs += profile.timeDeltas[first] as number
    first++
  }
  const timeDeltas = profile.timeDeltas.slice(first)
  if (timeDeltas.length > 0) timeDeltas[0] = 0
  return { ...profile, samples: profile.samples.slice(first), timeDeltas }
}

export async function summarizeProfile(file: string, top = 15, lastMs?: number): Promise<ProfileSummary> {
  const whole = JSON.parse(await readFile(file, 'utf8')) as CpuProfile
  const profile = lastMs === undefined ? whole : lastPart(whole, lastMs)
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const functions = new Map<string, number>()
  const modules = new Map<string, number>()
  let totalMs = 0
  let idleMs = 0
  // timeDeltas[i + 1] is the time from sample i to the next one: the time sample i stands for.
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const frame = byId.get(profile.samples[i] as number)
    if (frame === undefined) continue
    totalMs += ms
    if (frame.functionName === '(idle)') {
      idleMs += ms
      continue
    }
    const where = frame.url === '' ? '' : ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}`
    const name = `${frame.functionName || '(anonymous)'}${where}`
    functions.set(name, (functions.get(name) ?? 0) + ms)
    const module = frame.url === '' ? frame.functionName : moduleOf(frame.url)
    modules.set(module, (modules.get(module) ?? 0) + ms)
  }
  const busyMs = Math.max(totalMs - idleMs, 1)
  return {
    file, totalMs: Math.round(totalMs), idleMs: Math.round(idleMs),
    functions: rank(functions, busyMs, top), modules: rank(modules, busyMs, top), layers: layerTimes(profile)
  }
}

export function renderProfile(summary: ProfileSummary): string {
  const lines = [
    `CPU profile ${summary.file}: ${summary.totalMs} ms sampled, ${summary.idleMs} ms idle; % of busy time.`,
    '',
    '| # | self ms | % | function (file:line) |',
    '| --- | --- | --- | --- |',
    ...summary.functions.map((h, i) => `| ${i + 1} | ${h.selfMs} | ${h.percent} | ${h.name} |`),
    '',
    '| # | self ms | % | module |',
    '| --- | --- | --- | --- |',
    ...summary.modules.map((h, i) => `| ${i + 1} | ${h.selfMs} | ${h.percent} | ${h.name} |`),
    '',
    renderLayers(summary.layers)
  ]
  return lines.join('\n')
}
