import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { expectMatchesContract } from './helpers/contract.js'

describe('buildApp in demo mode (no upstream URLs)', () => {
  let app: FastifyInstance

  beforeAll(async () => {
    app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }))
  })
  afterAll(async () => {
    await app.close()
  })

  it('serves Dune from the built-in demo upstreams with all three sources ok', async () => {
    const res = await app.inject({ method: 'GET', url: '/books/9780441013593' })
    expectMatchesContract('/books/{isbn}', 'GET', res)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.publisher).toMatchObject({ title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace' })
    expect(body.sources).toMatchObject({ publisher: { status: 'ok' }, reviews: { status: 'ok' }, recommendations: { status: 'ok' } })
    expect(body.recommendations.items.map((i: { isbn: string }) => i.isbn)).toContain('9780441172719')
    expect(body.complete).toBe(true)
  })

  it('answers 404 for a valid ISBN the catalog does not hold', async () => {
    const res = await app.inject({ method: 'GET', url: '/books/9780000000002' })
    expectMatchesContract('/books/{isbn}', 'GET', res)
    expect(res.statusCode).toBe(404)
  })

  it('GET /healthz', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' })
    expectMatchesContract('/healthz', 'GET', res)
    expect(res.json()).toEqual({ status: 'ok' })
  })

  it('GET /readyz reports circuits and Redis (disabled without REDIS_URL)', async () => {
    const res = await app.inject({ method: 'GET', url: '/readyz' })
    expectMatchesContract('/readyz', 'GET', res)
    expect(res.json()).toEqual({
      status: 'ready',
      upstreams: { publisher: { circuit: 'closed' }, reviews: { circuit: 'closed' }, recommendations: { circuit: 'closed' } },
      redis: 'disabled'
    })
  })

  it('GET /openapi.yaml serves the contract file itself', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.yaml' })
    expectMatchesContract('/openapi.yaml', 'GET', res)
    expect(res.headers['content-type']).toMatch(/^application\/yaml/)
    expect(res.body).toMatch(/^openapi: 3\.1\./m)
    expect(res.body).toContain('/books/{isbn}:')
  })

  it('GET /docs serves Swagger UI over the contract file itself', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' })
    expectMatchesContract('/docs', 'GET', page)
    expect(page.body).toMatch(/swagger/i)
    const spec = await app.inject({ method: 'GET', url: '/docs/json' })
    expect(spec.statusCode).toBe(200)
    expect(spec.json()).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./), paths: { '/books/{isbn}': expect.any(Object) } })
  })

  it('GET / serves the demo page', async () => {
    const res = await app.inject({ method: 'GET', url: '/' })
    expectMatchesContract('/', 'GET', res)
    expect(res.body).toMatch(/<html/i)
  })

  it('an unknown route is a problem+json 404 with no stack trace', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ type: 'https://book-aggregator.dev/problems/not-found', status: 404 })
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/)
  })

  it('a method the route does not support is a problem+json 404', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/books/9780441013593' })
    expect(res.statusCode).toBe(404)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })
})
