import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { Agent, request } from 'undici'
import { describe, expect, it } from 'vitest'
import { startFakeUpstream } from './helpers/fake-upstream.js'
import { DUNE, okBody } from './helpers/test-app.js'

const SERVER = new URL('../src/server.ts', import.meta.url).pathname

function startServer(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
}

/** Waits for a line on stdout while keeping the pipe drained, so the child never blocks on it. */
function readUntil(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (chunk) => {
      seen += String(chunk)
      const match = pattern.exec(seen)
      if (match) resolve(match)
    })
    child.once('exit', () => reject(new Error(`server exited before printing ${pattern}: ${seen}`)))
  })
}

describe('src/server.ts', () => {
  it('starts on the demo default, serves Dune, and exits 0 on SIGTERM', async () => {
    const child = startServer({ SHUTDOWN_GRACE_MS: '0' })
    const [, address] = await readUntil(child, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
    const res = await fetch(`${address}/books/9780441013593`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { publisher: { title: string } }).publisher.title).toBe('Dune')
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).toBe(0)
  })

  it('refuses to start with one message naming every bad variable', async () => {
    const child = startServer({ PUBLISHER_API_URL: 'http://127.0.0.1:1', UPSTREAM_TIMEOUT_MS: 'soon' })
    let stderr = ''
    child.stderr!.on('data', (chunk) => { stderr += String(chunk) })
    const [code] = await once(child, 'exit')
    expect(code).toBe(1)
    expect(stderr).toContain('REVIEWS_API_URL, RECOMMENDATIONS_API_URL must be set too')
    expect(stderr).toContain('UPSTREAM_TIMEOUT_MS')
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('drains on SIGTERM: readiness 503 at once, the in-flight request still gets its 200, exit 0', async () => {
    const upstreams = await Promise.all((['publisher', 'reviews', 'recommendations'] as const).map((source) =>
      startFakeUpstream({ kind: 'json', body: okBody(source), delayMs: source === 'publisher' ? 1200 : 0 })))
    const [publisher, reviews, recommendations] = upstreams
    const child = startServer({
      PUBLISHER_API_URL: publisher!.url, REVIEWS_API_URL: reviews!.url, RECOMMENDATIONS_API_URL: recommendations!.url,
      SHUTDOWN_GRACE_MS: '1000', UPSTREAM_TIMEOUT_MS: '3000', REQUEST_DEADLINE_MS: '4000'
    })
    const agent = new Agent()
    try {
      const [, address] = await readUntil(child, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/)
      expect((await request(`${address}/readyz`, { dispatcher: agent })).statusCode).toBe(200)
      const slow = request(`${address}/books/${DUNE}`, { dispatcher: agent })
      await new Promise((resolve) => setTimeout(resolve, 300))
      const exited = once(child, 'exit')
      const signalledAt = Date.now()
      child.kill('SIGTERM')
      await new Promise((resolve) => setTimeout(resolve, 100))

      const readiness = await request(`${address}/readyz`, { dispatcher: agent })
      expect(readiness.statusCode).toBe(503)
      expect(readiness.headers['content-type']).toMatch(/^application\/problem\+json/)
      await readiness.body.dump()

      const res = await slow
      expect(res.statusCode).toBe(200)
      expect(((await res.body.json()) as { publisher: { title: string } }).publisher.title).toBe('Dune')
      const [code] = await exited
      expect(code).toBe(0)
      // Grace (1 s) plus the slow request, well inside grace + deadline.
      expect(Date.now() - signalledAt).toBeLessThan(5000)
    } finally {
      child.kill('SIGKILL')
      await agent.destroy()
      await Promise.all(upstreams.map((u) => u.close()))
    }
  })

  it('WEB_CONCURRENCY=2 runs two workers, replaces one that dies, and stops them all on SIGTERM', async () => {
    const child = startServer({ WEB_CONCURRENCY: '2', SHUTDOWN_GRACE_MS: '0', PORT: String(await freePort()) })
    let seen = ''
    child.stdout!.on('data', (chunk) => { seen += String(chunk) })
    const workerPids = (): number[] => [...seen.matchAll(/"pid":(\d+)[^\n]*Server listening/g)].map((m) => Number(m[1]))
    const listening = async (count: number): Promise<number[]> => {
      for (let waited = 0; workerPids().length < count; waited += 50) {
        if (waited > 10_000) throw new Error(`only ${workerPids().length} workers listening: ${seen}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return workerPids()
    }
    try {
      const first = await listening(2)
      expect(new Set(first).size).toBe(2)
      process.kill(first[0]!, 'SIGKILL')
      const after = await listening(3)
      expect(after).toHaveLength(3)
      expect(first).not.toContain(after[2])
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const [code] = await exited
      expect(code).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
