import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { lazyChildLogger } from '../../src/logging/lazy-child-logger.js'

function capture(level = 'info') {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>)
      done()
    }
  })
  const parent = pino({ level }, stream)
  return { parent, lines, child: vi.spyOn(parent, 'child') }
}

describe('lazyChildLogger', () => {
  it('makes no child (and reads no bindings) for lines below the level', () => {
    const { parent, lines, child } = capture('info')
    const bindings = vi.fn(() => ({ requestId: 'r1' }))
    const log = lazyChildLogger(parent, bindings, {})

    log.debug({ a: 1 }, 'quiet')
    log.trace('quieter')

    expect(lines).toEqual([])
    expect(child).not.toHaveBeenCalled()
    expect(bindings).not.toHaveBeenCalled()
    expect(log.level).toBe('info')
  })

  it('writes enabled lines with the bindings, making the child once', () => {
    const { parent, lines, child } = capture('info')
    const bindings = vi.fn(() => ({ requestId: 'r1', traceId: 't1' }))
    const log = lazyChildLogger(parent, bindings, {})

    log.info({ a: 1 }, 'first')
    log.warn('second %s', 'line')
    log.debug('still quiet')

    expect(lines.map(({ msg, requestId, traceId, level }) => ({ msg, requestId, traceId, level }))).toEqual([
      { msg: 'first', requestId: 'r1', traceId: 't1', level: 30 },
      { msg: 'second line', requestId: 'r1', traceId: 't1', level: 40 }
    ])
    expect(lines[0]).toMatchObject({ a: 1 })
    expect(child).toHaveBeenCalledTimes(1)
    expect(bindings).toHaveBeenCalledTimes(1)
  })

  it('a level set on it applies to this request only', () => {
    const { parent, lines } = capture('info')
    const log = lazyChildLogger(parent, () => ({ requestId: 'r2' }), {})

    log.level = 'debug'
    log.debug('now written')
    parent.debug('parent still at info')

    expect(lines.map((l) => l.msg)).toEqual(['now written'])
    expect(parent.level).toBe('info')
  })

  it('makes the child at once for a route with its own log level', () => {
    const { parent, lines, child } = capture('info')
    const log = lazyChildLogger(parent, () => ({ requestId: 'r3' }), { level: 'debug' })

    expect(child).toHaveBeenCalledTimes(1)
    log.debug('route-level debug')
    expect(lines).toMatchObject([{ msg: 'route-level debug', requestId: 'r3' }])
  })

  it('children of it carry its bindings too', () => {
    const { parent, lines } = capture('info')
    const log = lazyChildLogger(parent, () => ({ requestId: 'r4' }), {})
    log.child({ part: 'x' }).info('from a grandchild')
    expect(lines).toMatchObject([{ msg: 'from a grandchild', requestId: 'r4', part: 'x' }])
  })
})
