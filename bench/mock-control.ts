import { fileURLToPath } from 'node:url'
import type { FaultOutcome, FaultsBySource } from './faults.js'
import { SOURCES, type LatencyBySource, type Source } from './latency.js'
import { readyLine, spawnNode, stopChild, type Child } from './processes.js'

// The harness's handle on the mock upstream process: where it listens and its call counters.

export interface MockStats {
  /** Calls answered or failed by the mock; a batch (`GET /books?isbn=…`) is one call. */
  readonly calls: Record<Source, number>
  /** ISBNs answered with a 200: one per single call, every known one of a batch. */
  readonly booksServed: Record<Source, number>
  /** Book requests refused with 429 by the MOCK_MAX_RPS limit (not in `calls`). */
  readonly rejected429: Record<Source, number>
  /** The limit per port, requests per second; null = none. */
  readonly maxRps: number | null
  readonly maxInFlight: Record<Source, number>
  readonly connections: Record<Source, number>
  /** With faults (MOCK_FAULTS) only: each call's fate, counted per faulty source. */
  readonly outcomes: Record<Source, Record<FaultOutcome, number>>
  /** Hanging calls still held (released when their client closes the socket). */
  readonly hanging: Record<Source, number>
  /** Calls whose client closed the socket before the (delayed or withheld) answer. */
  readonly abandoned: Record<Source, number>
  /** Client connections to each upstream port: open now, and at most since start (or reset). */
  readonly openConnections: Record<Source, number>
  readonly peakOpenConnections: Record<Source, number>
  /** Open connections to a faulty source that never carried a request. */
  readonly openNeverUsed: Record<Source, number>
}

export interface MockUpstream {
  readonly child: Child
  readonly urls: Record<Source, string>
  stats(): Promise<MockStats>
  reset(): Promise<void>
  stop(): Promise<void>
}

const MOCK_ENTRY = fileURLToPath(new URL('./mock-upstream.ts', import.meta.url))

export interface MockOptions {
  /** Faults per source (see faults.ts): none by default, as every bench scenario runs. */
  readonly faults?: FaultsBySource
  /** Each upstream port answers 429 beyond this many requests per second (MOCK_MAX_RPS); default unlimited. */
  readonly maxRps?: number
}

export async function startMock(latency: LatencyBySource, options: MockOptions = {}): Promise<MockUpstream> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    NODE_OPTIONS: '',
    MOCK_LATENCY: JSON.stringify(latency),
    MOCK_FAULTS: JSON.stringify(options.faults ?? {}),
    MOCK_MAX_RPS: options.maxRps === undefined ? '' : String(options.maxRps)
  }
  const child = spawnNode('mock-upstream', ['--import', 'tsx', MOCK_ENTRY], { env, stdout: 'pipe' })
  try {
    const { ports, control } = await readyLine<{ ports: Record<Source, number>; control: number }>(child)
    const urls = Object.fromEntries(SOURCES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<Source, string>
    // The counters are read on the control port: no harness socket to an upstream's port.
    const controlUrl = `http://127.0.0.1:${control}`
    return {
      child,
      urls,
      stats: async () => (await fetch(`${controlUrl}/__stats`)).json() as Promise<MockStats>,
      reset: async () => {
        await (await fetch(`${controlUrl}/__reset`, { method: 'POST' })).arrayBuffer()
      },
      stop: () => stopChild(child)
    }
  } catch (error) {
    await stopChild(child)
    throw error
  }
}
