import { fileURLToPath } from 'node:url'
import { SOURCES, type LatencyBySource, type Source } from './latency.js'
import { readyLine, spawnNode, stopChild, type Child } from './processes.js'

// The harness's handle on the mock upstream process: where it listens and its call counters.

export interface MockStats {
  readonly calls: Record<Source, number>
  readonly maxInFlight: Record<Source, number>
  readonly connections: Record<Source, number>
}

export interface MockUpstream {
  readonly child: Child
  readonly urls: Record<Source, string>
  stats(): Promise<MockStats>
  reset(): Promise<void>
  stop(): Promise<void>
}

const MOCK_ENTRY = fileURLToPath(new URL('./mock-upstream.ts', import.meta.url))

export async function startMock(latency: LatencyBySource): Promise<MockUpstream> {
  const child = spawnNode('mock-upstream', ['--import', 'tsx', MOCK_ENTRY], {
    env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '', MOCK_LATENCY: JSON.stringify(latency) },
    stdout: 'pipe'
  })
  try {
    const { ports } = await readyLine<{ ports: Record<Source, number> }>(child)
    const urls = Object.fromEntries(SOURCES.map((s) => [s, `http://127.0.0.1:${ports[s]}`])) as Record<Source, string>
    return {
      child,
      urls,
      stats: async () => (await fetch(`${urls.publisher}/__stats`)).json() as Promise<MockStats>,
      reset: async () => {
        await (await fetch(`${urls.publisher}/__reset`, { method: 'POST' })).arrayBuffer()
      },
      stop: () => stopChild(child)
    }
  } catch (error) {
    await stopChild(child)
    throw error
  }
}
