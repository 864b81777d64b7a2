import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { expectMatchesContract } from '../helpers/contract.js'
import { nthIsbn } from '../helpers/isbn.js'
import { startRig, type TestRig } from '../helpers/test-app.js'

// .ci/run starts Redis and exports REDIS_URL; without it these tests cannot run.
const REDIS_URL = process.env.REDIS_URL
// eslint-disable-next-line no-console -- the skip must say why, in the test output
if (REDIS_URL === undefined) console.warn('REDIS_URL is not set: skipping the Redis integration tests')

const rigs: TestRig[] = []
const apps: FastifyInstance[] = []

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
  await Promise.all(rigs.splice(0).map((rig) => rig.close()))
})

/** A second replica against the same upstreams, with its own memory but the same Redis. */
async function replicaOf(rig: TestRig, env: Record<string, string>): Promise<FastifyInstance> {
  const app = await buildApp(loadConfig({
    PUBLISHER_API_URL: rig.upstreams.publisher.url,
    REVIEWS_API_URL: rig.upstreams.reviews.url,
    RECOMMENDATIONS_API_URL: rig.upstreams.recommendations.url,
    LOG_LEVEL: 'silent',
    ...env
  }))
  apps.push(app)
  return app
}

async function untilReady(app: FastifyInstance, redis: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while ((await app.inject({ method: 'GET', url: '/readyz' })).json().redis !== redis) {
    if (Date.now() > until) throw new Error(`redis never became ${redis}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

// A random ISBN per run: the shared Redis keeps entries between runs.
const freshIsbn = (): string => nthIsbn(Math.floor(Math.random() * 90_000_000))

describe.skipIf(REDIS_URL === undefined)('with Redis', () => {
  it('two replicas share a cache entry: the second one calls no upstream', async () => {
    const rig = await startRig({}, { REDIS_URL: REDIS_URL! })
    rigs.push(rig)
    const other = await replicaOf(rig, { REDIS_URL: REDIS_URL! })
    await untilReady(rig.app, 'up')
    await untilReady(other, 'up')
    const isbn = freshIsbn()
    // A client of its own: the rate-limit counter in Redis is shared with every other test's 127.0.0.1.
    const headers = { 'x-api-key': `test-${Math.random()}` }
    const first = await rig.app.inject({ method: 'GET', url: `/books/${isbn}`, headers })
    // The body in the message: a failure once came back without `sources`, and said no more.
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json().sources.publisher.cache).toBe('miss')
    await new Promise((resolve) => setTimeout(resolve, 50)) // the shared write is not awaited by the answer
    const res = await other.inject({ method: 'GET', url: `/books/${isbn}`, headers })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().sources).toMatchObject({
      publisher: { status: 'ok', cache: 'hit' }, reviews: { cache: 'hit' }, recommendations: { cache: 'hit' }
    })
    expect(rig.upstreamRequestCount()).toBe(3)
  })

  it('two replicas share one rate limit', async () => {
    const env = { REDIS_URL: REDIS_URL!, RATE_LIMIT_MAX: '2' }
    const rig = await startRig({}, env)
    rigs.push(rig)
    const other = await replicaOf(rig, env)
    await untilReady(rig.app, 'up')
    await untilReady(other, 'up')
    const headers = { 'x-api-key': `test-${Math.random()}` }
    const isbn = freshIsbn()
    expect((await rig.app.inject({ method: 'GET', url: `/books/${isbn}`, headers })).statusCode).toBe(200)
    expect((await other.inject({ method: 'GET', url: `/books/${isbn}`, headers })).statusCode).toBe(200)
    const limited = await rig.app.inject({ method: 'GET', url: `/books/${isbn}`, headers })
    expect(limited.statusCode).toBe(429)
    expect((await other.inject({ method: 'GET', url: `/books/${isbn}`, headers })).statusCode).toBe(429)
  })
})

describe.skipIf(REDIS_URL === undefined)('when Redis goes away', () => {
  let redis: ChildProcess | undefined
  afterAll(() => { redis?.kill('SIGKILL') })

  it('keeps answering from upstreams, reports degraded readiness, and recovers when Redis is back', async () => {
    const port = await freePort()
    redis = await startRedis(port)
    const rig = await startRig({}, { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TIMEOUT_MS: '100' })
    rigs.push(rig)
    await untilReady(rig.app, 'up')

    redis.kill('SIGKILL')
    await once(redis, 'exit')
    await untilReady(rig.app, 'degraded')
    const readiness = await rig.app.inject({ method: 'GET', url: '/readyz' })
    expectMatchesContract('/readyz', 'GET', readiness)
    expect(readiness.statusCode).toBe(200)
    expect(readiness.json()).toMatchObject({ status: 'degraded', redis: 'degraded' })

    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const res = await rig.app.inject({ method: 'GET', url: `/books/${nthIsbn(i)}` })
      expect(res.statusCode).toBe(200)
      expect(res.json().complete).toBe(true)
      expect(performance.now() - started).toBeLessThan(1000)
    }

    redis = await startRedis(port)
    await untilReady(rig.app, 'up', 8000)
    expect((await rig.app.inject({ method: 'GET', url: '/readyz' })).json().status).toBe('ready')
  })
})

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  // Keep reading stdout for the child's whole life, so it never blocks or dies on a closed pipe.
  await new Promise<void>((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (chunk) => {
      seen += String(chunk)
      if (seen.includes('Ready to accept connections')) resolve()
    })
    child.once('exit', () => reject(new Error(`redis-server exited: ${seen}`)))
  })
  return child
}
