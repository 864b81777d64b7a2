import { describe, expect, it } from 'vitest'
import { parseRetryAfter } from '../../src/upstream/retry-after.js'

const NOW = Date.parse('2025-03-14T12:00:00.000Z')

describe('parseRetryAfter', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['1', 1000],
    ['120', 120_000],
    ['  7 ', 7000],
    ['007', 7000]
  ])('reads delay-seconds %j as %d ms', (header, expected) => {
    expect(parseRetryAfter(header, NOW)).toBe(expected)
  })

  it('reads an IMF-fixdate in the future as the time left until then', () => {
    expect(parseRetryAfter('Fri, 14 Mar 2025 12:00:30 GMT', NOW)).toBe(30_000)
    expect(parseRetryAfter('Sat, 15 Mar 2025 12:00:00 GMT', NOW)).toBe(86_400_000)
  })

  it('reads the obsolete HTTP-date formats (RFC 850, asctime) too', () => {
    expect(parseRetryAfter('Friday, 14-Mar-25 12:01:00 GMT', NOW)).toBe(60_000)
    expect(parseRetryAfter('Fri Mar 14 12:00:05 2025', NOW + new Date(NOW).getTimezoneOffset() * 60_000))
      .toBe(5000) // asctime has no zone: it is read as local time
  })

  it('reads an HTTP-date in the past (or now) as 0', () => {
    expect(parseRetryAfter('Fri, 14 Mar 2025 11:59:00 GMT', NOW)).toBe(0)
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', NOW)).toBe(0)
    expect(parseRetryAfter('Fri, 14 Mar 2025 12:00:00 GMT', NOW)).toBe(0)
  })

  it('measures a date against the real clock when no `now` is given', () => {
    const inAMinute = new Date(Date.now() + 60_000).toUTCString()
    const ms = parseRetryAfter(inAMinute)
    expect(ms).toBeDefined()
    // toUTCString drops the milliseconds; allow a generous margin for a slow machine.
    expect(ms!).toBeGreaterThan(50_000)
    expect(ms!).toBeLessThanOrEqual(60_000)
  })

  it.each(['', '   ', 'soon', 'tomorrow', '5 minutes', '12abc', '1e3', '0x10', 'Infinity', 'NaN'])(
    'rejects garbage %j as undefined',
    (header) => {
      expect(parseRetryAfter(header, NOW)).toBeUndefined()
    }
  )

  // Bug: V8's lenient Date.parse reads "1.5" and "-5" as dates in 2001, so these invalid
  // values come back as 0 ("retry right now") instead of undefined ("no usable header").
  it.each(['1.5', '-5', '2.0', '+3'])('rejects a non-integer or signed number %j as undefined', (header) => {
    expect(parseRetryAfter(header, NOW)).toBeUndefined()
  })

  it('returns undefined when the header is absent or repeated (an array)', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined()
    expect(parseRetryAfter(['120'], NOW)).toBeUndefined()
    expect(parseRetryAfter(['120', '30'], NOW)).toBeUndefined()
    expect(parseRetryAfter([], NOW)).toBeUndefined()
  })
})
