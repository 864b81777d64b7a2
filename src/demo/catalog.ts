// Bundled data for the demo upstreams. A JSON module import (rather than fs) makes tsc copy
// catalog.json into dist/, so the compiled server finds it without a separate copy step.
import data from './catalog.json' with { type: 'json' }

const GENRES = ['science-fiction', 'fantasy', 'classic', 'mystery', 'non-fiction', 'programming'] as const
export type Genre = (typeof GENRES)[number]

export interface CatalogBook {
  isbn: string
  title: string
  subtitle?: string
  authors: string[]
  publisher: string
  publishedDate: string
  pageCount: number
  language: string
  description: string
  genre: Genre
}

function isGenre(value: string): value is Genre {
  return (GENRES as readonly string[]).includes(value)
}

// Fail at startup on a typo in the JSON instead of silently producing empty recommendations.
const books: readonly CatalogBook[] = data.map((b) => {
  if (!isGenre(b.genre)) throw new Error(`catalog.json: unknown genre "${b.genre}" for ${b.isbn}`)
  return { ...b, genre: b.genre }
})
const byIsbn = new Map(books.map((b) => [b.isbn, b]))

export const catalogIsbns: readonly string[] = books.map((b) => b.isbn)

// These have no reviews so a demo can show one source answering not_found.
const WITHOUT_REVIEWS = new Set(['9780553293364', '9780143113492', '9780201835953'])

export function findBook(isbn13: string): CatalogBook | undefined {
  return byIsbn.get(isbn13)
}

// FNV-1a then mulberry32: tiny, dependency-free, and stable across runs so every response
// for an ISBN is reproducible in tests and demos.
function seededRandom(seed: string): () => number {
  let h = 0x811c9dc5
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193)
  let state = h >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T
}

// Sorting by a seeded key gives a stable shuffle, so one book never lists the same reviewer twice.
function shuffled<T>(rand: () => number, items: readonly T[]): T[] {
  return items.map((item) => ({ item, key: rand() })).sort((a, b) => a.key - b.key).map((e) => e.item)
}

export function publisherRecordFor(isbn13: string) {
  const book = findBook(isbn13)
  if (!book) return undefined
  const { isbn, title, subtitle, authors, publisher, publishedDate, pageCount, language, description } = book
  return {
    isbn, title, ...(subtitle === undefined ? {} : { subtitle }), authors, publisher, publishedDate, pageCount,
    language, description, coverUrl: `https://covers.openlibrary.org/b/isbn/${isbn}-L.jpg`
  }
}

const REVIEWERS = [
  'Maya R.', 'bookworm_42', 'Tomasz K.', 'Priya Natarajan', 'J. Okafor', 'lena.reads',
  'Daniel Price', 'quietshelf', 'Hannah L.', 'Marco V.', 'nightowl_reader', 'Sofia Almeida',
  'Chris T.', 'pageturner88', 'Aiko S.', 'Ben Whitfield'
] as const

// Per-genre phrasing keeps the generated reviews from all sounding like the same template.
const REVIEW_TEXT: Record<Genre, readonly string[]> = {
  'science-fiction': [
    '{title} builds a world that feels lived-in; the ideas stayed with me for weeks.',
    'Big concepts, memorable characters. {title} earns its reputation.',
    'The pacing of {title} drags in places, but the speculative ideas carry it.'
  ],
  fantasy: [
    '{title} has the kind of worldbuilding you can get lost in.',
    'I reread {title} every few years and still find new details.',
    'Slow start, but once {title} gets going it is hard to put down.'
  ],
  classic: [
    '{title} is far more readable than I expected from a classic.',
    'Sharp, funny in places, and still relevant. {title} deserves its status.',
    'I had to push through the first chapters of {title}, but it paid off.'
  ],
  mystery: [
    'Did not see the ending of {title} coming at all.',
    '{title} is tightly plotted; every clue matters.',
    'Atmospheric and tense, though I guessed part of the twist in {title}.'
  ],
  'non-fiction': [
    '{title} changed how I think about the subject.',
    'Clear and engaging; {title} makes difficult ideas accessible.',
    'Some chapters of {title} are repetitive, but the core argument is strong.'
  ],
  programming: [
    '{title} should be on every developer\'s shelf.',
    'Some examples in {title} have aged, but the principles hold up.',
    'Dense but rewarding. I keep going back to {title} for reference.'
  ]
}
// Headline and closing line follow the star rating so a 2-star review never says "Loved it".
const BY_RATING: Record<number, { titles: readonly string[]; closers: readonly string[] }> = {
  5: { titles: ['Loved it', 'Instant favourite', 'A must-read'], closers: ['Highly recommended.', 'Five stars, easily.'] },
  4: { titles: ['Worth the hype', 'Really good', 'Glad I read it'], closers: ['Recommended.', 'Will read more from this author.'] },
  3: { titles: ['A solid read', 'Mixed feelings', 'Good, not great'], closers: ['Worth a try.', 'Decent overall.'] },
  2: { titles: ['Not for me', 'Disappointing'], closers: ['Expected more.', 'Hard to finish.'] },
  1: { titles: ['Could not get into it', 'Overrated'], closers: ['Not recommended.', 'Gave up halfway.'] }
}
const RATINGS = [5, 5, 5, 4, 4, 4, 3, 3, 2, 1] as const
// Fixed upper bound rather than "now" so review dates never change between runs.
const LATEST_REVIEW = Date.UTC(2025, 5, 1)
const DAY = 86_400_000

export function reviewsFor(isbn13: string) {
  const book = findBook(isbn13)
  if (!book || WITHOUT_REVIEWS.has(isbn13)) return undefined
  const rand = seededRandom(`reviews:${isbn13}`)
  const earliest = Date.parse(book.publishedDate.length === 4 ? `${book.publishedDate}-12-31` : book.publishedDate) + 30 * DAY
  const count = 2 + Math.floor(rand() * 4)
  const authors = shuffled(rand, REVIEWERS)
  const texts = shuffled(rand, REVIEW_TEXT[book.genre])
  const items = authors.slice(0, count).map((author, i) => {
    const rating = pick(rand, RATINGS)
    const tone = BY_RATING[rating] ?? { titles: ['Review'], closers: [''] }
    return {
      author,
      rating,
      title: pick(rand, tone.titles),
      text: `${(texts[i % texts.length] ?? '').replace('{title}', book.title)} ${pick(rand, tone.closers)}`.trim(),
      date: new Date(earliest + Math.floor(rand() * (LATEST_REVIEW - earliest))).toISOString().slice(0, 10)
    }
  }).sort((a, b) => b.date.localeCompare(a.date))
  const mean = items.reduce((sum, r) => sum + r.rating, 0) / items.length
  return {
    isbn: book.isbn,
    averageRating: Math.round(mean * 10) / 10,
    ratingsCount: items.length + Math.floor(rand() * 5000),
    items
  }
}

export function recommendationsFor(isbn13: string) {
  const book = findBook(isbn13)
  if (!book) return undefined
  const scored = books
    .filter((other) => other.isbn !== book.isbn)
    .map((other) => {
      const sameAuthor = other.authors.some((a) => book.authors.includes(a))
      const base = sameAuthor ? 0.9 : other.genre === book.genre ? 0.6 : 0
      // Jitter keyed on the pair so ties break the same way every time.
      const score = base === 0 ? 0 : Math.round((base + seededRandom(`${book.isbn}>${other.isbn}`)() * 0.09) * 100) / 100
      return { isbn: other.isbn, title: other.title, authors: other.authors, score }
    })
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.isbn.localeCompare(b.isbn))
  const limit = 3 + Math.floor(seededRandom(`recs:${book.isbn}`)() * 3)
  const items = scored.slice(0, limit)
  // Rounding to two decimals can tie neighbours; nudge down so the ranking is visible in scores.
  for (let i = 1; i < items.length; i++) {
    const prev = items[i - 1]?.score ?? 1
    const item = items[i]
    if (item && item.score >= prev) item.score = Math.round((prev - 0.01) * 100) / 100
  }
  return { isbn: book.isbn, items }
}

export function searchCatalog(q: string, limit: number) {
  const needle = q.trim().toLowerCase()
  // An empty needle would match everything; a search with no query should find nothing.
  const matches = needle === '' ? [] : books.filter((b) =>
    [b.title, b.subtitle ?? '', ...b.authors].some((field) => field.toLowerCase().includes(needle))
  )
  const results = matches
    .slice(0, Math.max(0, Math.floor(limit)))
    .map(({ isbn, title, authors, publisher, publishedDate }) => ({ isbn, title, authors, publisher, publishedDate }))
  return { results }
}
