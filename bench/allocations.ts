import { createHook } from 'node:async_hooks'
import { get } from 'node:http'
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

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '300' },
    env: { type: 'string', multiple: true },
    help: { type: 'boolean', default: false }
  }
})

interface Counts { promises: number; abortControllers: number; timers: number; abortListeners: number }
const counts: Counts = { promises: 0, abortControllers: 0, timers: 0, abortListeners: 0 }
let counting = false

function instrument(): void {
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

async function main(): Promise<number> {
  if (values.help) {
    console.log(HELP)
    return 0
  }
  const requests = Number(values.requests)
  instrument()
  const mock = await startMock(sameLatency(0))
  const env: Record<string, string> = {
    PUBLISHER_API_URL: mock.urls.publisher, REVIEWS_API_URL: mock.urls.reviews, RECOMMENDATIONS_API_URL: mock.urls.recommendations,
    CACHE_ENABLED: 'false', RATE_LIMIT_MAX: '100000000', LOG_LEVEL: 'warn', ...parseEnvPairs(values.env)
  }
  const app = await buildApp(loadConfig(env))
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    for (let i = 0; i < requests; i++) await getStatus(`${base}/books/${randomIsbn13()}`)
    counting = true
    for (let i = 0; i < requests; i++) {
      const status = await getStatus(`${base}/books/${randomIsbn13()}`)
      if (status !== 200) throw new Error(`expected 200, got ${status}`)
    }
    counting = false
    const per = (n: number): string => (n / requests).toFixed(1)
    console.log(`per uncached request (${requests} requests, ${JSON.stringify(values.env ?? [])}):`)
    console.log(`  promises ${per(counts.promises)}  AbortControllers ${per(counts.abortControllers)}  setTimeout calls ${per(counts.timers)}  abort listeners ${per(counts.abortListeners)}`)
    return 0
  } finally {
    await app.close()
    await mock.stop()
  }
}

runCli(main, 'bench:allocations: ')
