import { createHook } from 'node:async_hooks'
import { get } from 'node:http'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { parseEnvPairs, runCli } from './cli.js'
import { randomIsbn13 } from './isbn.js'
import { sameLatency } from './latency.js'
import { startMock } from './mock-control.js'

// `npm run bench:allocations`: what one uncached GET /books/{isbn} creates, counted in-process
// against the bench's mock upstreams: promises (async_hooks `PROMISE` inits), AbortControllers
// (a counting subclass put in place of the global), timers (setTimeout calls, ours and
// undici's), and 'abort' listeners added. The client side uses node:http's callback API, which
// makes no promise of its own, and the counts are averaged over many sequential requests after
// a warm-up, so per-request work is all that is left.

const HELP = `usage: npm run bench:allocations -- [--requests N] [--env KEY=VALUE ...]
  --requests N   sequential requests counted, after as many for warm-up (default 300)
  --env K=V      service settings (repeatable); default: cache off, rate limit out of reach`


interface Counts { promises: number; abortControllers: number; timers: number; abortListeners: number }
const counts: Counts = { promises: 0, abortControllers: 0, timers: 0, abortListeners: 0 }
let counting = false

let instrumented = false

function instrument(): void {
  if (instrumented) return
  instrumented = true
  createHook({ init: (_id, type) => { if (counting && type === 'PROMISE') counts.promises++ } }).enable()
  const Native = globalThis.AbortController
  globalThis.AbortController = class extends Native {
    constructor() {
      super()
      if (counting) counts.abortControllers++
    }
  }
  const nativeSetTimeout = globalThis.setTimeout
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    if (counting) counts.timers++
    return nativeSetTimeout(...args)
  }) as typeof setTimeout
  const nativeAdd = EventTarget.prototype.addEventListener
  EventTarget.prototype.addEventListener = function (this: EventTarget, ...args: Parameters<EventTarget['addEventListener']>) {
    if (counting && args[0] === 'abort') counts.abortListeners++
    return nativeAdd.apply(this, args)
  }
}

function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    }).on('error', reject)
  })
}

export interface AllocationCounts {
  readonly requests: number
  /** Per uncached request. */
  readonly promises: number
  readonly abortControllers: number
  readonly timers: number
  readonly abortListeners: number
}

/** Counts, per request, what `requests` sequential uncached lookups create after as many for warm-up. */
export async function countAllocations(requests: number, serviceEnv: Readonly<Record<string, string>> = {}): Promise<AllocationCounts> {
  instrument()
  const mock = await startMock(sameLatency(0))
  const env: Record<string, string> = {
    PUBLISHER_API_URL: mock.urls.publisher, REVIEWS_API_URL: mock.urls.reviews, RECOMMENDATIONS_API_URL: mock.urls.recommendations,
    CACHE_ENABLED: 'false', RATE_LIMIT_MAX: '100000000', LOG_LEVEL: 'warn', ...serviceEnv
  }
  const app = await buildApp(loadConfig(env))
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    for (let i = 0; i < requests; i++) await getStatus(`${base}/books/${randomIsbn13()}`)
    Object.assign(counts, { promises: 0, abortControllers: 0, timers: 0, abortListeners: 0 })
    counting = true
    for (let i = 0; i < requests; i++) {
      const status = await getStatus(`${base}/books/${randomIsbn13()}`)
      if (status !== 200) throw new Error(`expected 200, got ${status}`)
    }
    counting = false
    const per = (n: number): number => Math.round((10 * n) / requests) / 10
    return {
      requests,
      promises: per(counts.promises),
      abortControllers: per(counts.abortControllers),
      timers: per(counts.timers),
      abortListeners: per(counts.abortListeners)
    }
  } finally {
    counting = false
    await app.close()
    await mock.stop()
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '300' },
      env: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const c = await countAllocations(Number(values.requests), parseEnvPairs(values.env))
  console.log(`per uncached request (${c.requests} requests, ${JSON.stringify(values.env ?? [])}):`)
  console.log(`  promises ${c.promises}  AbortControllers ${c.abortControllers}  setTimeout calls ${c.timers}  abort listeners ${c.abortListeners}`)
  return 0
}

// Run as a command, not when a test imports countAllocations.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) runCli(main, 'bench:allocations: ')
