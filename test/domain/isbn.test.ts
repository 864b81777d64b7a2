import fc from 'fast-check'
import { describe, it, expect } from 'vitest'
import { isbn10CheckDigit, isbn13CheckDigit } from '../../src/domain/isbn-check-digit.js'
import { normalizeIsbn, type IsbnResult } from '../../src/domain/isbn.js'

const DUNE_13 = '9780441013593'
const DUNE_10 = '0441013597'

function expectValid(result: IsbnResult, isbn13: string, isbn10: string | null): void {
  expect(result).toMatchObject({ ok: true, value: { isbn13, isbn10 } })
}

function expectRejected(result: IsbnResult): string {
  expect(result.ok).toBe(false)
  if (result.ok) throw new Error('expected a rejection')
  expect(typeof result.reason).toBe('string')
  expect(result.reason.length).toBeGreaterThan(0)
  return result.reason
}

describe('normalizeIsbn: valid input', () => {
  it('accepts a compact ISBN-13 and derives its ISBN-10', () => {
    expectValid(normalizeIsbn(DUNE_13), DUNE_13, DUNE_10)
  })

  it('accepts an ISBN-13 with hyphens', () => {
    expectValid(normalizeIsbn('978-0-441-01359-3'), DUNE_13, DUNE_10)
  })

  it('accepts an ISBN-13 with spaces', () => {
    expectValid(normalizeIsbn('978 0 441 01359 3'), DUNE_13, DUNE_10)
  })

  it('accepts an ISBN-13 with mixed hyphens and spaces', () => {
    expectValid(normalizeIsbn('978-0 441-01359 3'), DUNE_13, DUNE_10)
  })

  it('normalizes a hyphenated ISBN-10 to ISBN-13', () => {
    expectValid(normalizeIsbn('0-441-01359-7'), DUNE_13, DUNE_10)
  })

  it('normalizes a compact ISBN-10 to ISBN-13', () => {
    expectValid(normalizeIsbn(DUNE_10), DUNE_13, DUNE_10)
  })

  it('accepts an upper-case X check digit', () => {
    expectValid(normalizeIsbn('080442957X'), '9780804429573', '080442957X')
  })

  it('accepts a lower-case x check digit and reports the ISBN-10 with upper-case X', () => {
    expectValid(normalizeIsbn('080442957x'), '9780804429573', '080442957X')
  })

  it('accepts an X check digit in a hyphenated ISBN-10', () => {
    expectValid(normalizeIsbn('0-8044-2957-X'), '9780804429573', '080442957X')
  })

  it('gives isbn10 null for a 979-prefixed ISBN', () => {
    expectValid(normalizeIsbn('979-10-90636-07-1'), '9791090636071', null)
    expectValid(normalizeIsbn('9791090636071'), '9791090636071', null)
  })
})

describe('normalizeIsbn: the range table', () => {
  it('adds the hyphenated form and the registration group where the table knows the range', () => {
    expect(normalizeIsbn('0441013597')).toEqual({
      ok: true,
      value: {
        isbn13: DUNE_13, isbn10: DUNE_10, hyphenated: '978-0-441-01359-3', group: { prefix: '978-0', name: 'English language' }
      }
    })
    expect(normalizeIsbn('9791090636071')).toMatchObject({ ok: true, value: { hyphenated: '979-10-90636-07-1', group: { prefix: '979-10', name: 'France' } } })
  })

  it('accepts a checksum-valid ISBN whose range is newer than the table, without hyphens or group', () => {
    // 978-645 is not in the bundled table (a range assigned after it was built, or not yet).
    expect(normalizeIsbn('9786457681009')).toEqual({ ok: true, value: { isbn13: '9786457681009', isbn10: '645768100X' } })
  })
})

// Every 978/979 body with its computed check digit, and the same body with any other digit.
const isbn13Body = fc.tuple(fc.constantFrom('978', '979'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 9, maxLength: 9 }))
  .map(([prefix, rest]) => prefix + rest)

describe('normalizeIsbn: properties', () => {
  it('accepts every checksum-valid ISBN-13 and every ISBN-10, whatever the range table says', () => {
    fc.assert(fc.property(isbn13Body, (body) => {
      const isbn13 = body + isbn13CheckDigit(body)
      const result = normalizeIsbn(isbn13)
      expect(result).toMatchObject({ ok: true, value: { isbn13 } })
      if (body.startsWith('978')) {
        const isbn10 = body.slice(3) + isbn10CheckDigit(body.slice(3))
        expect(result).toMatchObject({ ok: true, value: { isbn10 } })
        expect(normalizeIsbn(isbn10)).toMatchObject({ ok: true, value: { isbn13, isbn10 } })
      }
    }), { numRuns: 500 })
  })

  it('rejects every other check digit, naming the right one', () => {
    fc.assert(fc.property(isbn13Body, fc.integer({ min: 1, max: 9 }), (body, shift) => {
      const expected = isbn13CheckDigit(body)
      const wrong = String((Number(expected) + shift) % 10)
      expect(normalizeIsbn(body + wrong)).toEqual({ ok: false, reason: `has a wrong check digit; expected ${expected}` })
    }), { numRuns: 500 })
  })
})

describe('normalizeIsbn: rejected input', () => {
  it('rejects a wrong ISBN-13 check digit and names the expected one', () => {
    expect(expectRejected(normalizeIsbn('9780441013594'))).toBe('has a wrong check digit; expected 3')
  })

  it('rejects a wrong ISBN-10 check digit and names the expected one', () => {
    expect(expectRejected(normalizeIsbn('0441013598'))).toBe('has a wrong check digit; expected 7')
  })

  it('rejects an X check digit where the checksum needs a digit', () => {
    expect(expectRejected(normalizeIsbn('044101359X'))).toBe('has a wrong check digit; expected 7')
  })

  it('names X as the expected ISBN-10 check digit where the checksum needs it', () => {
    expect(expectRejected(normalizeIsbn('0804429570'))).toBe('has a wrong check digit; expected X')
  })

  it('rejects a 13-digit number without the 978/979 prefix, with its own reason', () => {
    expect(expectRejected(normalizeIsbn('9999999999994'))).toMatch(/must start with 978 or 979/)
    expect(expectRejected(normalizeIsbn('4006381333931'))).toMatch(/must start with 978 or 979/)
  })

  it.each([
    ['empty', ''],
    ['only separators', '- - -'],
    ['9 digits', '044101359'],
    ['11 digits', '04410135970'],
    ['12 digits', '978044101359'],
    ['14 digits', '97804410135931']
  ])('rejects a wrong length (%s) with a shape reason', (_label, input) => {
    expect(expectRejected(normalizeIsbn(input))).toMatch(/10 digits.*13 digits/)
  })

  it.each([
    ['letters inside', '978O441013593'],
    ['trailing letters', '9780441013593abc'],
    ['X inside an ISBN-10', '04410X3597'],
    ['X as the last character of an ISBN-13', '978044101359X'],
    ['a prefix', 'ISBN9780441013593'],
    ['a unicode digit', '978044101359\u0663']
  ])('rejects letters and foreign characters (%s)', (_label, input) => {
    expect(expectRejected(normalizeIsbn(input))).toMatch(/hyphens or spaces/)
  })

  it.each([
    ['newline', '978-0441\n013593'],
    ['trailing newline', '9780441013593\n'],
    ['tab', '978\t0441013593'],
    ['carriage return', '978\r0441013593'],
    ['dot', '978.0.441.01359.3'],
    ['slash', '978/0441013593'],
    ['backslash', '978\\0441013593'],
    ['underscore', '978_0441013593'],
    ['en dash', '978\u20130441013593'],
    ['non-breaking space', '978\u00a00441013593'],
    ['percent-encoded hyphen', '978%2D0441013593'],
    ['double-encoded hyphen', '978%252D0441013593'],
    ['percent-encoded space', '978%200441013593'],
    ['NUL byte', '9780441013593\u0000']
  ])('rejects other separators (%s)', (_label, input) => {
    expectRejected(normalizeIsbn(input))
  })

  it('rejects input longer than 32 characters with a length reason, even if it would compact to an ISBN', () => {
    const padded = '9780441013593' + ' '.repeat(20)
    expect(padded.length).toBe(33)
    expect(expectRejected(normalizeIsbn(padded))).toMatch(/at most 32 characters/)
  })

  it('accepts input of exactly 32 characters', () => {
    const padded = '9780441013593' + ' '.repeat(19)
    expect(padded.length).toBe(32)
    expectValid(normalizeIsbn(padded), DUNE_13, DUNE_10)
  })

  it('rejects a very long input quickly', () => {
    const started = performance.now()
    expect(expectRejected(normalizeIsbn('9'.repeat(1_000_000)))).toMatch(/at most 32/)
    expect(performance.now() - started).toBeLessThan(100)
  })

  it.each([
    '../../etc/passwd',
    '9780441013593/../x',
    '../9780441013593',
    '9780441013593/..',
    '..%2F..%2Fetc%2Fpasswd',
    '9780441013593%2F..%2Fx',
    '9780441013593?x=1',
    '9780441013593#x',
    'http://evil/9780441013593'
  ])('rejects path-traversal and URL-looking input %j', (input) => {
    expectRejected(normalizeIsbn(input))
  })
})

describe('normalizeIsbn: remembering popular books', () => {
  // An ISBN no other test uses, so the module's memo has not seen it.
  const ONCE = '9780306406157'

  it('keeps an ISBN asked for twice, and answers the third time from what it kept', () => {
    const first = normalizeIsbn(ONCE)
    const second = normalizeIsbn(ONCE)
    const third = normalizeIsbn(ONCE)
    expectValid(third, ONCE, '0306406152')
    if (!first.ok || !second.ok || !third.ok) throw new Error('expected valid results')
    // The first answer was not kept (a one-off ISBN must not outlive its request); the second was.
    expect(second.value).not.toBe(first.value)
    expect(third.value).toBe(second.value)
    expect(third.value).toEqual(first.value)
  })
})
