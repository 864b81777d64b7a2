import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'

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
    const child = startServer({})
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
})
