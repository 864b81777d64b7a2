import type { Verdict } from '../aggregate/settle-book-view.js'
import type { BookView } from '../domain/book-view.js'
import { problemOf, type Problem } from './problem.js'

/** The problem details of a book lookup that found nothing to show (404, 502, 504). */
export function problemForVerdict(verdict: Exclude<Verdict, 'found'>, view: BookView): Problem {
  switch (verdict) {
    case 'not_found':
      return problemOf('book-not-found', 404, `No source knows a book with ISBN ${view.isbn}.`, view.sources)
    case 'failed':
      return problemOf('upstreams-failed', 502, `Every included source failed for ISBN ${view.isbn}.`, view.sources)
    case 'timed_out':
      return problemOf('upstreams-timeout', 504, `Every included source timed out for ISBN ${view.isbn}.`, view.sources)
  }
}
