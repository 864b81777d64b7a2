import { Agent, request } from 'undici'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { REFUSED_URL, type Behaviour } from '../helpers/fake-upstream.js'
import { DUNE, okBody, startRig, type TestRig } from '../helpers/test-app.js'

/**
 * Every upstream fault class, end to end: a real app over real loopback sockets, one faulty
 * upstream at a time, one `GET /books/{isbn}`. The faulty source settles with the status its
 * fault deserves, within the deadline; the other two are untouched.
 */

const UPSTREAM_TIMEOUT_MS = 400
const DEADLINE_MS = 800
// CI is noisy: the answer must come within the deadline plus this.
const MARGIN_MS = 700
const MAX_BODY_BYTES = 1_048_576
const MiB = 1_048_576

let rig: TestRig | undefined
let agent: Agent | undefined

afterEach(async () => {
  await agent?.close()
  agent = undefined
  await rig?.close()
  rig = undefined
})

type FaultStatus = 'timeout' | 'error' | 'invalid_response'

interface SourceReport {
  status: string
  durationMs: number
  httpStatus?: number
  detail?: string
  retried?: boolean
}

interface Fault {
  readonly name: string
  /** The faulty upstream's behaviour… */
  readonly behaviour?: (source: SourceName) => Behaviour
  /** …or a URL that never reaches any upstream. */
  readonly url?: () => Promise<string>
  readonly status: FaultStatus
  readonly httpStatus?: number
  /** Extra checks on the faulty source's report, its fake upstream and the memory used. */
  readonly check?: (report: SourceReport, rig: TestRig, source: SourceName, memory: MemoryGrowth) => Promise<void> | void
}

/** How far RSS and ArrayBuffer memory rose above their level before the request, at the peak. */
interface MemoryGrowth {
  readonly rss: number
  readonly arrayBuffers: number
}

const json = (source: SourceName): string => JSON.stringify(okBody(source))

/** A hung or slow upstream must see its request closed: nothing is left running for nobody. */
async function abortedUpstream(_report: SourceReport, testRig: TestRig, source: SourceName): Promise<void> {
  await testRig.upstreams[source].waitForAborts(1, 2000)
}

const timedOut = (report: SourceReport): void => {
  expect(report.durationMs).toBeGreaterThanOrEqual(UPSTREAM_TIMEOUT_MS - 5)
  expect(report.durationMs).toBeLessThan(UPSTREAM_TIMEOUT_MS + MARGIN_MS)
  expect(report.detail).toMatch(/did not answer within 400 ms/)
}

const FAULTS: readonly Fault[] = [
  {
    name: 'hang (accepts, never answers)',
    behaviour: () => ({ kind: 'hang' }),
    status: 'timeout',
    check: async (report, testRig, source) => {
      timedOut(report)
      await abortedUpstream(report, testRig, source)
    }
  },
  {
    name: 'slow headers (after 1.5 s, then the body)',
    behaviour: (source) => ({ kind: 'slowHeaders', headersAfterMs: 1500, body: okBody(source) }),
    status: 'timeout',
    check: async (report, testRig, source) => {
      timedOut(report)
      await abortedUpstream(report, testRig, source)
    }
  },
  {
    name: 'body dribbled one byte every 50 ms',
    behaviour: (source) => ({ kind: 'dribble', byteEveryMs: 50, body: okBody(source) }),
    status: 'timeout',
    check: async (report, testRig, source) => {
      timedOut(report)
      await abortedUpstream(report, testRig, source)
      // Cut off mid-body: far from the whole body was sent.
      expect(testRig.upstreams[source].requests[0]!.bytesSent).toBeLessThan(json(source).length)
    }
  },
  {
    name: 'reset before headers (TCP RST)',
    behaviour: () => ({ kind: 'reset', hard: true }),
    status: 'error',
    check: (report) => expect(report.detail).toMatch(/request failed/)
  },
  {
    name: 'reset mid-body (half the body, then TCP RST)',
    behaviour: (source) => ({ kind: 'truncate', body: json(source), end: 'reset' }),
    status: 'error',
    check: (report) => expect(report.detail).toMatch(/request failed/)
  },
  {
    name: 'Content-Length larger than the body, then close',
    behaviour: (source) => ({
      kind: 'truncate', body: json(source), sendBytes: json(source).length, contentLength: json(source).length + 100, end: 'close'
    }),
    status: 'error',
    check: (report) => expect(report.detail).toMatch(/request failed/)
  },
  {
    name: '500',
    behaviour: () => ({ kind: 'json', status: 500, body: { error: 'boom' } }),
    status: 'error',
    httpStatus: 500,
    // A 500 is not retryable: one request only.
    check: (report, testRig, source) => {
      expect(report.retried).toBeUndefined()
      expect(testRig.upstreams[source].requests).toHaveLength(1)
    }
  },
  {
    name: '503 with Retry-After beyond the deadline (not retried)',
    behaviour: () => ({ kind: 'raw', status: 503, body: '{"error":"busy"}', headers: { 'retry-after': '5' } }),
    status: 'error',
    httpStatus: 503,
    check: (report, testRig, source) => {
      expect(report.retried).toBeUndefined()
      expect(testRig.upstreams[source].requests).toHaveLength(1)
      // Settled at once: it neither slept towards the Retry-After nor waited for the timeout.
      expect(report.durationMs).toBeLessThan(UPSTREAM_TIMEOUT_MS)
    }
  },
  {
    name: '503 with Retry-After: 0 (retried once, inside the deadline)',
    behaviour: () => ({ kind: 'raw', status: 503, body: '{"error":"busy"}', headers: { 'retry-after': '0' } }),
    status: 'error',
    httpStatus: 503,
    check: (report, testRig, source) => {
      expect(report.retried).toBe(true)
      expect(testRig.upstreams[source].requests).toHaveLength(2)
    }
  },
  {
    name: 'malformed JSON',
    behaviour: () => ({ kind: 'raw', body: `{"isbn":"${DUNE}","title":` }),
    status: 'invalid_response',
    check: (report) => expect(report.detail).toMatch(/not valid JSON/)
  },
  {
    name: 'wrong shape',
    behaviour: () => ({ kind: 'json', body: { isbn: DUNE, name: 'Dune', items: 'none' } }),
    status: 'invalid_response'
  },
  {
    name: 'a 64 MiB body streamed fast (cut off at the limit)',
    behaviour: () => ({ kind: 'stream', chunkBytes: 64 * 1024, chunks: 1024 }),
    status: 'invalid_response',
    check: async (report, testRig, source, memory) => {
      expect(report.detail).toMatch(new RegExp(`exceeds the ${MAX_BODY_BYTES}-byte limit`))
      // Memory never grew by anything like the body's size: it was cut off while streaming.
      expect(memory.rss).toBeLessThan(32 * MiB)
      expect(memory.arrayBuffers).toBeLessThan(32 * MiB)
      await testRig.upstreams[source].waitForAborts(1, 2000)
      const seen = testRig.upstreams[source].requests
      expect(seen).toHaveLength(1)
      expect(seen[0]!.abortedByClient).toBe(true)
      // Stopped writing long before the end: what left is the limit plus socket buffers.
      expect(seen[0]!.bytesSent).toBeLessThan(16 * MiB)
    }
  },
  {
    name: 'connection refused (a closed port)',
    url: async () => REFUSED_URL,
    status: 'error',
    check: (report, testRig, source) => {
      expect(report.detail).toMatch(/ECONNREFUSED/)
      expect(testRig.upstreams[source].requests).toHaveLength(0)
    }
  },
  {
    name: 'a host that does not resolve (.invalid, RFC 6761)',
    url: async () => 'http://upstream.invalid:1',
    status: 'error',
    check: (report, testRig, source) => {
      expect(report.detail).toMatch(/ENOTFOUND|EAI_AGAIN/)
      expect(testRig.upstreams[source].requests).toHaveLength(0)
    }
  }
]

const URL_VARIABLE: Record<SourceName, string> = {
  publisher: 'PUBLISHER_API_URL',
  reviews: 'REVIEWS_API_URL',
  recommendations: 'RECOMMENDATIONS_API_URL'
}

/** How much RSS and ArrayBuffer memory grew at most while `work` ran, sampled every few ms. */
async function peakMemoryDuring<T>(work: () => Promise<T>): Promise<{ result: T; growth: MemoryGrowth }> {
  const before = process.memoryUsage()
  const peak = { rss: before.rss, arrayBuffers: before.arrayBuffers }
  const sample = (): void => {
    const now = process.memoryUsage()
    peak.rss = Math.max(peak.rss, now.rss)
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers)
  }
  const timer = setInterval(sample, 5)
  try {
    const result = await work()
    sample()
    return { result, growth: { rss: peak.rss - before.rss, arrayBuffers: peak.arrayBuffers - before.arrayBuffers } }
  } finally {
    clearInterval(timer)
  }
}

// The first app of the file loads and compiles a lot (the memory measurement must not see that).
beforeAll(async () => {
  const warm = await startRig({}, { RATE_LIMIT_MAX: '0' })
  const address = await warm.app.listen({ host: '127.0.0.1', port: 0 })
  const warmAgent = new Agent()
  const res = await request(`${address}/books/${DUNE}`, { dispatcher: warmAgent })
  await res.body.text()
  await warmAgent.close()
  await warm.close()
})

describe.each(SOURCE_NAMES)('%s upstream fault', (source) => {
  it.each(FAULTS)('$name → $status, within the deadline, the other sources ok', async (fault) => {
    const env: Record<string, string> = {
      UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS),
      REQUEST_DEADLINE_MS: String(DEADLINE_MS),
      CACHE_ENABLED: 'false',
      RATE_LIMIT_MAX: '0'
    }
    if (fault.url !== undefined) env[URL_VARIABLE[source]] = await fault.url()
    rig = await startRig(fault.behaviour === undefined ? {} : { [source]: fault.behaviour(source) }, env)
    const address = await rig.app.listen({ host: '127.0.0.1', port: 0 })
    agent = new Agent()
    const dispatcher = agent

    const started = performance.now()
    const { result: res, growth } = await peakMemoryDuring(async () => {
      const response = await request(`${address}/books/${DUNE}`, { dispatcher })
      return { statusCode: response.statusCode, headers: response.headers as Record<string, unknown>, body: await response.body.text() }
    })
    const elapsedMs = performance.now() - started

    expect(elapsedMs).toBeLessThan(DEADLINE_MS + MARGIN_MS)
    expectMatchesContract('/books/{isbn}', 'GET', res)
    // The other two sources are ok, so this is a partial 200 whichever source failed.
    expect(res.statusCode).toBe(200)
    const view = JSON.parse(res.body) as Record<string, unknown> & { sources: Record<SourceName, SourceReport>; complete: boolean }
    expect(view.complete).toBe(false)
    expect(view[source]).toBeNull()

    const report = view.sources[source]
    expect(report.status).toBe(fault.status)
    if (fault.httpStatus !== undefined) expect(report.httpStatus).toBe(fault.httpStatus)
    expect(report.durationMs).toBeLessThan(DEADLINE_MS + MARGIN_MS)
    for (const other of SOURCE_NAMES.filter((s) => s !== source)) {
      expect(view.sources[other].status).toBe('ok')
      expect(view[other]).not.toBeNull()
      expect(rig.upstreams[other].requests).toHaveLength(1)
    }
    // Whatever the fault, the answer never leaks what the upstream sent or how we failed.
    expect(res.body).not.toMatch(/\n\s+at |node_modules|\.ts:/)

    await fault.check?.(report, rig, source, growth)
  })
})
