import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

const get = (url: string, headers: Record<string, string> = {}) => rig!.app.inject({ method: 'GET', url, headers })

describe('rate limiting', () => {
  it('answers 429 problem+json with Retry-After and RateLimit headers once the limit is used up', async () => {
    rig = await startRig({}, { RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '60000' })
    const first = await get(`/books/${DUNE}`)
    expect(first.statusCode).toBe(200)
    expect(first.headers['ratelimit-limit']).toBe('2')
    expect(first.headers['ratelimit-remaining']).toBe('1')
    await get(`/books/${DUNE}`)
    const callsBefore = rig.upstreamRequestCount()
    const limited = await get('/books/9780441172719')
    expectMatchesContract('/books/{isbn}', 'GET', limited)
    expect(limited.statusCode).toBe(429)
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(limited.json()).toMatchObject({ type: 'https://book-aggregator.dev/problems/rate-limited', status: 429 })
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(limited.headers['ratelimit-remaining']).toBe('0')
    // The limited request (a book not cached yet) never reached an upstream.
    expect(rig.upstreamRequestCount()).toBe(callsBefore)
  })

  it('counts per API key when one is sent, else per client address', async () => {
    rig = await startRig({}, { RATE_LIMIT_MAX: '1' })
    expect((await get(`/books/${DUNE}`, { 'x-api-key': 'team-a' })).statusCode).toBe(200)
    expect((await get(`/books/${DUNE}`, { 'x-api-key': 'team-a' })).statusCode).toBe(429)
    expect((await get(`/books/${DUNE}`, { 'x-api-key': 'team-b' })).statusCode).toBe(200)
    expect((await get(`/books/${DUNE}`)).statusCode).toBe(200)
    expect((await get(`/books/${DUNE}`)).statusCode).toBe(429)
  })

  it('trusts X-Forwarded-For only when TRUST_PROXY says so', async () => {
    rig = await startRig({}, { RATE_LIMIT_MAX: '1' })
    expect((await get(`/books/${DUNE}`, { 'x-forwarded-for': '203.0.113.1' })).statusCode).toBe(200)
    // Without TRUST_PROXY, a forged header does not buy a fresh bucket.
    expect((await get(`/books/${DUNE}`, { 'x-forwarded-for': '203.0.113.2' })).statusCode).toBe(429)
    await rig.close()

    rig = await startRig({}, { RATE_LIMIT_MAX: '1', TRUST_PROXY: 'true' })
    expect((await get(`/books/${DUNE}`, { 'x-forwarded-for': '203.0.113.1' })).statusCode).toBe(200)
    expect((await get(`/books/${DUNE}`, { 'x-forwarded-for': '203.0.113.2' })).statusCode).toBe(200)
    expect((await get(`/books/${DUNE}`, { 'x-forwarded-for': '203.0.113.2' })).statusCode).toBe(429)
  })

  it('leaves /healthz out of the limit', async () => {
    rig = await startRig({}, { RATE_LIMIT_MAX: '1' })
    for (let i = 0; i < 5; i++) expect((await get('/healthz')).statusCode).toBe(200)
  })

  it('RATE_LIMIT_MAX=0 turns it off', async () => {
    rig = await startRig({}, { RATE_LIMIT_MAX: '0' })
    for (let i = 0; i < 5; i++) expect((await get(`/books/${DUNE}`)).statusCode).toBe(200)
  })
})
