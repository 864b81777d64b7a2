import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { booksRatio, BooksTally, classifyAnswer, withinDeadlineShare, type BooksAnswered } from '../../bench/books-answered.js'
import { runLoad } from '../../bench/load.js'

// Books answered whole: which responses count as a book, the tally the batch-provider
// scenario reports, and the per-response time the load hands it.

const ok = { status: 'ok', durationMs: 20 }
const view = (reviews: object): string => JSON.stringify({
  isbn: '9780441013593',
  sources: { publisher: ok, reviews, recommendations: ok },
  complete: false
})

describe('classifyAnswer', () => {
  it('counts only a 200 with all three sections ok as a book', () => {
    expect(classifyAnswer(200, view(ok))).toBe('complete')
    expect(classifyAnswer(200, view({ status: 'rate_limited', durationMs: 0, detail: 'none free' }))).toBe('partial')
    expect(classifyAnswer(200, JSON.stringify({ sources: { publisher: ok, reviews: ok } }))).toBe('partial')
  })

  it('counts any other answer as failed, whatever its body says', () => {
    expect(classifyAnswer(504, view(ok))).toBe('failed')
    expect(classifyAnswer(429, '{"type":"about:blank","status":429}')).toBe('failed')
    expect(classifyAnswer(200, 'not json')).toBe('failed')
    expect(classifyAnswer(200, 'null')).toBe('failed')
    expect(classifyAnswer(200, '{"isbn":"9780441013593"}')).toBe('failed')
  })
})

describe('BooksTally', () => {
  it('counts books per second, answers within the deadline and what stopped the partial ones', () => {
    const tally = new BooksTally(4000)
    tally.record(200, view(ok), 120)
    tally.record(200, view(ok), 3999)
    tally.record(200, view({ status: 'rate_limited', durationMs: 0 }), 2)
    tally.record(200, view({ status: 'timeout', durationMs: 3500 }), 4001)
    tally.record(503, '{"status":503}', 1)
    // A problem that carries sources (every section failed) tells what stopped it too.
    tally.record(502, view({ status: 'error', durationMs: 3 }), 5)
    const books = tally.result(2)
    expect(books).toMatchObject({ perSecond: 1, complete: 2, partial: 2, failed: 2, deadlineMs: 4000, withinDeadline: 5, maxMs: 4001 })
    expect(books.sectionsNotOk).toEqual({ publisher: {}, reviews: { rate_limited: 1, timeout: 1, error: 1 }, recommendations: {} })
    expect(withinDeadlineShare(books)).toBeCloseTo(5 / 6)
    expect(withinDeadlineShare(new BooksTally(4000).result(1))).toBeUndefined()
  })

  it('compares books per second, and refuses to divide by a run that answered none', () => {
    const counted = (complete: number): { books: BooksAnswered } => {
      const tally = new BooksTally(4000)
      for (let i = 0; i < complete; i++) tally.record(200, view(ok), 10)
      return { books: tally.result(10) }
    }
    expect(booksRatio(counted(500), counted(20))).toBe(25)
    expect(booksRatio(counted(500), counted(0))).toBeUndefined()
    expect(booksRatio(counted(500), {})).toBeUndefined()
  })
})

describe('runLoad onResponse', () => {
  it('hands every response its body and the time it took', async () => {
    const server = createServer((_req, res) => setTimeout(() => res.end('{"slow":true}'), 50))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    const seen: { body: string; elapsedMs: number }[] = []
    try {
      await runLoad({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        api: 'rest',
        isbn: 'random',
        connections: 2,
        durationS: 1,
        amount: 6,
        onResponse: (_status, body, elapsedMs) => seen.push({ body, elapsedMs })
      })
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
    expect(seen).toHaveLength(6)
    for (const { body, elapsedMs } of seen) {
      expect(body).toBe('{"slow":true}')
      expect(elapsedMs).toBeGreaterThanOrEqual(49)
      expect(elapsedMs).toBeLessThan(2000)
    }
  })
})
