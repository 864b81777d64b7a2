import { afterEach, describe, expect, it, vi } from 'vitest'
import { SOURCE_NAMES } from '../../src/domain/sources.js'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

// Every OpenTelemetry package, replaced by a stub that records being loaded: without
// OTEL_EXPORTER_OTLP_ENDPOINT none of them may be imported at all.
const otelLoaded = vi.hoisted(() => [] as string[])
vi.mock('@opentelemetry/api', () => { otelLoaded.push('api'); return {} })
vi.mock('@opentelemetry/sdk-trace-base', () => { otelLoaded.push('sdk-trace-base'); return {} })
vi.mock('@opentelemetry/exporter-trace-otlp-http', () => { otelLoaded.push('exporter-trace-otlp-http'); return {} })
vi.mock('@opentelemetry/resources', () => { otelLoaded.push('resources'); return {} })
vi.mock('@opentelemetry/semantic-conventions', () => { otelLoaded.push('semantic-conventions'); return {} })

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

describe('traceparent propagation without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let rig: TestRig

  afterEach(async () => {
    await rig.close()
  })

  /** What each upstream received in `traceparent`, parsed. */
  function sentUpstream(): Array<{ traceId: string; spanId: string; flags: string }> {
    return SOURCE_NAMES.map((source) => {
      const requests = rig.upstreams[source].requests
      expect(requests).toHaveLength(1)
      const match = TRACEPARENT.exec(String(requests[0]!.headers.traceparent))
      expect(match, `${source} got traceparent ${String(requests[0]!.headers.traceparent)}`).not.toBeNull()
      return { traceId: match![1]!, spanId: match![2]!, flags: match![3]! }
    })
  }

  it('forwards the caller\'s trace id to every upstream, each call with a new span id', async () => {
    rig = await startRig({}, { HEDGE_ENABLED: 'false' })
    const res = await rig.app.inject({
      method: 'GET', url: `/books/${DUNE}`, headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }
    })
    expect(res.statusCode).toBe(200)
    const sent = sentUpstream()
    for (const call of sent) {
      expect(call.traceId).toBe(CALLER_TRACE)
      expect(call.spanId).not.toBe(CALLER_SPAN)
      expect(call.spanId).not.toBe('0'.repeat(16))
      expect(call.flags).toBe('01')
    }
    expect(new Set(sent.map((c) => c.spanId)).size).toBe(SOURCE_NAMES.length)
    expect(otelLoaded).toEqual([])
  })

  it('keeps the caller\'s sampled flag off', async () => {
    rig = await startRig({}, { HEDGE_ENABLED: 'false' })
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-00` } })
    expect(sentUpstream().map((c) => c.flags)).toEqual(['00', '00', '00'])
  })

  it.each([
    ['malformed', 'not-a-traceparent'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${CALLER_SPAN}-01`],
    ['an all-zero parent id', `00-${CALLER_TRACE}-${'0'.repeat(16)}-01`],
    ['a short trace id', `00-${CALLER_TRACE.slice(2)}-${CALLER_SPAN}-01`]
  ])('starts a new trace when the incoming traceparent is %s', async (_case, traceparent) => {
    rig = await startRig({}, { HEDGE_ENABLED: 'false' })
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: { traceparent } })
    expect(res.statusCode).toBe(200)
    const sent = sentUpstream()
    const traceId = sent[0]!.traceId
    expect(traceId).not.toBe(CALLER_TRACE)
    expect(traceId).not.toBe('0'.repeat(32))
    expect(sent.every((c) => c.traceId === traceId)).toBe(true)
    expect(sent.every((c) => c.flags === '01')).toBe(true)
  })

  it('starts a new trace per request when the caller sends none', async () => {
    rig = await startRig({}, { HEDGE_ENABLED: 'false', CACHE_ENABLED: 'false' })
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    const first = TRACEPARENT.exec(String(rig.upstreams.publisher.requests[0]!.headers.traceparent))
    const second = TRACEPARENT.exec(String(rig.upstreams.publisher.requests[1]!.headers.traceparent))
    expect(first?.[1]).toMatch(/^[0-9a-f]{32}$/)
    expect(second?.[1]).toMatch(/^[0-9a-f]{32}$/)
    expect(first?.[1]).not.toBe(second?.[1])
    expect(otelLoaded).toEqual([])
  })
})
