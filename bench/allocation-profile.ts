import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { SAMPLER_NODE_ARGS, startSampling, stopSampling } from './allocation-sampler.js'
import { parseEnvPairs, runCli } from './cli.js'
import { sameLatency } from './latency.js'
import { runLoad } from './load.js'
import { table } from './markdown-table.js'
import { startTarget } from './measure.js'
import { startMock } from './mock-control.js'
import { stopChild } from './processes.js'
import { moduleOf, shortUrl } from './profile.js'
import { UNCACHED } from './scenarios.js'

// `npm run bench:allocations-profile`: how many bytes one uncached request allocates on the JS
// heap, and where (by module and by function), under the fanout load (100 connections, fresh
// ISBNs, upstreams at 20 ms, the cache off). Every byte allocated is work for the scavenger,
// and what is still in flight when it runs is copied: the fewer bytes a request makes, the
// fewer scavenges and the fewer survivors.

const HELP = `usage: npm run bench:allocations-profile -- [--latency MS] [--warmup S] [--duration S] [--top N] [--env K=V ...]
  --latency   upstream latency in ms (default 20, as fanout)
  --warmup    seconds of load before sampling (default 5)
  --duration  seconds sampled (default 8)
  --top       rows per table (default 20)
  --survivors only what outlived a scavenge (promoted, or alive at the end), not all that was allocated
  --env K=V   settings for our service (repeatable); default: the cache off, as fanout`

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: readonly SamplingNode[]
}

export interface AllocationSummary {
  /** Bytes allocated per response, in all. */
  readonly bytesPerResponse: number
  readonly modules: ReadonlyArray<{ readonly name: string; readonly bytesPerResponse: number }>
  readonly functions: ReadonlyArray<{ readonly name: string; readonly bytesPerResponse: number }>
}

/** Bytes per response by module and by function (self), from a sampling heap profile's tree. */
export function summarizeAllocations(head: SamplingNode, responses: number, top = 20): AllocationSummary {
  const modules = new Map<string, number>()
  const functions = new Map<string, number>()
  let total = 0
  const visit = (node: SamplingNode): void => {
    const { functionName, url, lineNumber } = node.callFrame
    total += node.selfSize
    const fn = `${functionName === '' ? '(anonymous)' : functionName} ${shortUrl(url)}:${lineNumber + 1}`
    functions.set(fn, (functions.get(fn) ?? 0) + node.selfSize)
    const module = moduleOf(url)
    modules.set(module, (modules.get(module) ?? 0) + node.selfSize)
    for (const child of node.children) visit(child)
  }
  visit(head)
  const ranked = (sizes: Map<string, number>): AllocationSummary['modules'] => [...sizes.entries()]
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, bytes]) => ({ name, bytesPerResponse: Math.round(bytes / responses) }))
  return { bytesPerResponse: Math.round(total / responses), modules: ranked(modules), functions: ranked(functions) }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      latency: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '5' },
      duration: { type: 'string', default: '8' },
      top: { type: 'string', default: '20' },
      survivors: { type: 'boolean', default: false },
      env: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const serviceEnv = { ...UNCACHED, ...parseEnvPairs(values.env) }
  const mock = await startMock(sameLatency(Number(values.latency)))
  try {
    const { child, url } = await startTarget('ours', mock, serviceEnv, { serviceMode: 'dist' }, { nodeFlags: SAMPLER_NODE_ARGS })
    try {
      const plan = { url, api: 'rest' as const, connections: 100, isbn: 'random' as const }
      await runLoad({ ...plan, durationS: Number(values.warmup) })
      await startSampling(child, values.survivors)
      const load = await runLoad({ ...plan, durationS: Number(values.duration) })
      const path = join(mkdtempSync(join(tmpdir(), 'book-aggregator-alloc-')), 'allocations.heapprofile')
      await stopSampling(child, path)
      const profile = JSON.parse(readFileSync(path, 'utf8')) as { head: SamplingNode }
      const summary = summarizeAllocations(profile.head, load.requests, Number(values.top))
      console.log(`${load.requests} responses (${Math.round(load.okRps)} 2xx/s): ${summary.bytesPerResponse} bytes ${values.survivors ? 'outlived a scavenge' : 'allocated'} per response; profile: ${path}\n`)
      console.log(table(['bytes per response', 'module'], summary.modules.map((m) => [String(m.bytesPerResponse), m.name])))
      console.log()
      console.log(table(['bytes per response', 'function (self)'], summary.functions.map((f) => [String(f.bytesPerResponse), f.name])))
    } finally {
      await stopChild(child)
    }
  } finally {
    await mock.stop()
  }
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) runCli(main, 'bench:allocations-profile: ')
