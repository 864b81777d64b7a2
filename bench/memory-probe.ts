import { askChild, type Child } from './processes.js'

// Heap figures need the process's own view (process.memoryUsage). Rather than adding a route
// to the service, the harness preloads this one-listener module into every target through
// `--import data:…`: on an IPC message it runs a full GC (so the heap compared at start and end
// of a soak is what is retained, not garbage) and answers with its memory usage. The channel
// is unref'd so it never keeps a process alive. With WEB_CONCURRENCY the figures are the
// primary's (CPU and RSS, from /proc, cover the workers too).

const PROBE_SOURCE = `
import cluster from 'node:cluster'
import { getHeapSpaceStatistics } from 'node:v8'
process.on('message', (message) => {
  if (message !== 'bench:memory') return
  globalThis.gc?.()
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { size: s.space_size, used: s.space_used_size }]))
  process.send?.({ benchMemory: process.memoryUsage(), benchSpaces: spaces })
})
// A cluster worker's channel is its line to the primary (connections arrive through it):
// unref'd, an idle worker would exit. Only the process the harness spawned lets go of it.
if (!cluster.isWorker) process.channel?.unref()
`

/** Node flags that install the probe; the process must be spawned with `ipc: true`. */
export const PROBE_NODE_ARGS: readonly string[] = ['--expose-gc', '--import', `data:text/javascript,${encodeURIComponent(PROBE_SOURCE)}`]

export interface HeapSample {
  readonly heapUsedBytes: number
  readonly heapTotalBytes: number
  /** The rest of process.memoryUsage(), after the same GC. */
  readonly rssBytes: number
  readonly externalBytes: number
  readonly arrayBuffersBytes: number
  /** V8's heap spaces (new_space, old_space, …): committed size and used bytes. */
  readonly spaces: Readonly<Record<string, { readonly size: number; readonly used: number }>>
}

/** Asks the probe for a sample; `null` if the process has no probe or does not answer in time. */
export async function readHeap(child: Child, timeoutMs = 3000): Promise<HeapSample | null> {
  const answer = await askChild(child, 'bench:memory', 'benchMemory', timeoutMs).catch(() => null)
  if (answer === null) return null
  const memory = answer.benchMemory as NodeJS.MemoryUsage
  return {
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    rssBytes: memory.rss,
    externalBytes: memory.external,
    arrayBuffersBytes: memory.arrayBuffers,
    spaces: (answer.benchSpaces as HeapSample['spaces'] | undefined) ?? {}
  }
}
