import type { Source } from './latency.js'

// Upstream bodies shaped like the contract (and about as large as the demo catalog's), built
// for any ISBN. The mock sends them as pre-serialized halves around the ISBN so that answering
// costs it almost nothing: the mock must never be the bottleneck of what we measure.

const RECOMMENDED = ['9780441172719', '9780262510875', '9780553293357', '9780345391803', '9780061120084']

export function publisherBody(isbn: string): object {
  return {
    isbn,
    title: `Benchmark Book ${isbn}`,
    authors: ['Ada Lovelace', 'Charles Babbage'],
    publisher: 'Bench Press',
    publishedDate: '2024-05-17',
    pageCount: 412,
    language: 'en',
    description: 'A book that exists only to be fetched, merged and serialized as fast as possible, many thousand times a second.'
  }
}

export function reviewsBody(isbn: string): object {
  const items = [1, 2, 3].map((n) => ({
    author: `Reader ${n}`,
    rating: 3 + (n % 3),
    title: `Review number ${n}`,
    text: 'Clear, well paced and surprisingly deep; the middle chapters drag a little but the ending pays for them.',
    date: `2024-0${n}-1${n}`
  }))
  return { isbn, averageRating: 4.2, ratingsCount: 1289, items }
}

export function recommendationsBody(isbn: string): object {
  const items = RECOMMENDED.map((rec, n) => ({ isbn: rec, title: `Recommended ${n + 1}`, authors: ['Someone Else'], score: 0.9 - n / 10 }))
  return { isbn, items }
}

export const BODIES: Readonly<Record<Source, (isbn: string) => object>> = {
  publisher: publisherBody,
  reviews: reviewsBody,
  recommendations: recommendationsBody
}

const PLACEHOLDER = '@@ISBN@@'

/** Pre-serialized `[before, after]` halves of a body around its ISBN(s). */
export function bodyTemplate(source: Source): readonly string[] {
  return JSON.stringify(BODIES[source](PLACEHOLDER)).split(PLACEHOLDER)
}

/** What the service answers for these bodies (the BookView), for the ceiling baseline. */
export function bookViewBody(isbn: string, isbn10: string | null): object {
  const section = (source: Source): object => {
    const { isbn: _isbn, ...rest } = BODIES[source](isbn) as Record<string, unknown>
    return rest
  }
  const ok = { status: 'ok', durationMs: 20 }
  return {
    isbn,
    isbn10,
    publisher: section('publisher'),
    reviews: section('reviews'),
    recommendations: section('recommendations'),
    sources: { publisher: ok, reviews: ok, recommendations: ok },
    complete: true
  }
}
