import { Writable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

interface LogLine { level: number; msg: string; statusCode?: number; sources?: Record<string, { status: string }>; [key: string]: unknown }

const DEBUG = 20
const INFO = 30
const WARN = 40

/** A pino destination that keeps every line, parsed. */
function captureLogs(): { stream: Writable; lines: LogLine[] } {
  const lines: LogLine[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine)
      callback()
    }
  })
  return { stream, lines }
}

let rig: TestRig | undefined
afterEach(async () => {
  await rig?.close()
  rig = undefined
})

async function requestLines(level: string, behaviours: Parameters<typeof startRig>[0], path = `/books/${DUNE}`): Promise<LogLine[]> {
  const logs = captureLogs()
  rig = await startRig(behaviours, { LOG_LEVEL: level, CACHE_ENABLED: 'false', RETRY_ENABLED: 'false' }, { logStream: logs.stream })
  await rig.app.inject({ method: 'GET', url: path, headers: { authorization: 'Bearer secret', 'x-api-key': 'k-secret' } })
  return logs.lines.filter((l) => l.msg === 'request completed')
}

describe('request logging', () => {
  it('writes nothing per request at info when the answer is complete', async () => {
    expect(await requestLines('info', {})).toEqual([])
  })

  it('logs every request at debug, one line with each source outcome and no credentials', async () => {
    const lines = await requestLines('debug', {})
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: DEBUG, statusCode: 200, method: 'GET', url: `/books/${DUNE}` })
    expect(lines[0]!.sources).toMatchObject({ publisher: { status: 'ok' }, reviews: { status: 'ok' }, recommendations: { status: 'ok' } })
    expect(typeof lines[0]!.traceId).toBe('string')
    expect(JSON.stringify(lines[0])).not.toContain('secret')
  })

  it('logs the trace id the upstreams received, whether the caller sent one or not', async () => {
    for (const traceparent of [undefined, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01']) {
      const logs = captureLogs()
      rig = await startRig({}, { LOG_LEVEL: 'debug', CACHE_ENABLED: 'false', HEDGE_ENABLED: 'false' }, { logStream: logs.stream })
      await rig.app.inject({ method: 'GET', url: `/books/${DUNE}`, headers: traceparent === undefined ? {} : { traceparent } })
      const [line] = logs.lines.filter((l) => l.msg === 'request completed')
      const sent = String(rig.upstreams.publisher.requests[0]?.headers.traceparent).split('-')[1]
      expect(line?.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(line?.traceId).toBe(sent)
      if (traceparent !== undefined) expect(sent).toBe('4bf92f3577b34da6a3ce929d0e0e4736')
      await rig.close()
      rig = undefined
    }
  })

  it('logs a partial answer at info, naming the failed source', async () => {
    const lines = await requestLines('info', { reviews: { kind: 'json', status: 500, body: {} } })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: INFO, statusCode: 200 })
    expect(lines[0]!.sources?.reviews?.status).toBe('error')
  })

  it('logs a 5xx at warn', async () => {
    const failing = { kind: 'json', status: 500, body: {} } as const
    const lines = await requestLines('warn', { publisher: failing, reviews: failing, recommendations: failing })
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: WARN, statusCode: 502 })
  })

  it('keeps client errors at debug', async () => {
    expect(await requestLines('info', {}, '/books/not-an-isbn')).toEqual([])
  })
})
