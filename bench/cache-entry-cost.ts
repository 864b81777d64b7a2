import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MemoryStore } from '../src/cache/memory-store.js'
import { runCli } from './cli.js'
import { BODIES } from './fixtures.js'
import { SOURCES } from './latency.js'

// `npm run bench:cache-entry`: what one entry of the memory cache really costs, in JS heap
// bytes (after a full GC), outside it, and in what MemoryStore counts against CACHE_MAX_BYTES, filled with
// the bench's own sections under the keys the service uses (`reviews:<isbn13>`). The figure
// behind ENTRY_OVERHEAD_BYTES in src/cache/memory-store.ts.

const HELP = `usage: npm run bench:cache-entry -- [--entries N]
  --entries N   entries stored (default 60000)`

export interface EntryCost {
  readonly entries: number
  /** JS heap bytes per entry, after a full GC. */
  readonly heapBytes: number
  /** Bytes outside the JS heap (buffers, typed arrays) per entry. */
  readonly offHeapBytes: number
  /** Bytes of JSON text per entry. */
  readonly textBytes: number
  /** What the store counts per entry against its budget. */
  readonly countedBytes: number
}

export async function measureEntryCost(entries: number): Promise<EntryCost> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  const before = process.memoryUsage()
  // A budget the entries just fit in: the buffer is allocated whole, so what it holds per entry is its size ÷ entries.
  const store = new MemoryStore(entries * 800)
  let text = 0
  for (let i = 0; i < entries; i++) {
    const source = SOURCES[i % SOURCES.length] as (typeof SOURCES)[number]
    const isbn = String(9780000000000 + i)
    const json = JSON.stringify(BODIES[source](isbn))
    text += json.length
    await store.set(`${source}:${isbn}`, { status: 'ok', json, storedAt: Date.now(), ttlMs: 60_000 }, 3_600_000)
  }
  gc()
  const after = process.memoryUsage()
  const per = (bytes: number): number => Math.round(bytes / entries)
  return { entries: store.size, heapBytes: per(after.heapUsed - before.heapUsed), offHeapBytes: per(after.arrayBuffers - before.arrayBuffers), textBytes: Math.round(text / entries), countedBytes: Math.round(store.calculatedBytes / entries) }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { entries: { type: 'string', default: '60000' }, help: { type: 'boolean', default: false } } })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const cost = await measureEntryCost(Number(values.entries))
  console.log(`${cost.entries} entries of ${cost.textBytes} bytes of JSON text: ${cost.heapBytes} bytes of JS heap and ${cost.offHeapBytes} outside it each, ${cost.countedBytes} counted against the budget`)
  return 0
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) runCli(main, 'bench:cache-entry: ')
