// Request paths of the Open Library endpoints we use, relative to https://openlibrary.org (an
// upstream client appends them to its base path). Every caller-given part is encoded here.
//
// Which endpoint for the publisher section, and why (providers.md):
// - `/isbn/{isbn}.json` (a 302 to the edition `/books/OL…M.json`) is the only edition form that
//   carries `languages` and `works[].key`. We need the work anyway: the description lives on
//   it, ratings need a *work* id, and recommendations come from its subjects. So one book costs
//   edition + work (+ ratings, + subject), and author names one `/authors/{id}.json` each.
// - `/api/books?bibkeys=…&format=json` takes many ISBNs at once (maintainers suggest about 25 a
//   call). With `jscmd=data` it resolves author names and cover URLs but omits description,
//   languages and the work key; with `jscmd=details` it carries the whole edition record (work
//   key and languages included) with author names: the batched edition lookup (see
//   openlibrary-work-resolver.ts), one call for many books instead of a 302 and a GET each.
// No endpoint returns ratings for many works at once: `/works/{W}/ratings.json` takes one work.
// `/search.json` carries `ratings_average` and `ratings_count` per hit when asked in `fields=`,
// but its documented ISBN form (`isbn=`) takes one ISBN; an OR over several in `q` is not
// documented, so ratings stay one call per work. Works (`/works/{W}.json`) and subjects have no
// batch form either.

/** Maintainers' suggested number of bibkeys per `/api/books` call. */
export const OPEN_LIBRARY_BATCH_SIZE = 25
/** `/subjects/{slug}.json` answers at most this many works. */
export const OPEN_LIBRARY_MAX_SUBJECT_LIMIT = 100

// Since 2025 the ISBN is not among the default search fields: always ask for what the mapping reads.
export const OPEN_LIBRARY_SEARCH_FIELDS = ['key', 'title', 'author_name', 'isbn', 'publisher', 'first_publish_year'] as const

/**
 * The edition by ISBN. Answers 302 to `/books/OL…M.json` (undici follows redirects only with
 * `interceptors.redirect`). A book can be listed under one ISBN form only, so callers try the
 * ISBN-13 path and then the ISBN-10 one when it 404s.
 */
export function openLibraryEditionPaths(isbn13: string, isbn10: string | null): string[] {
  return [isbn13, isbn10].filter((isbn): isbn is string => isbn !== null).map((isbn) => `/isbn/${encodeURIComponent(isbn)}.json`)
}

/** `/works/OL45804W` or `OL45804W` → `/works/OL45804W.json`. */
export function openLibraryWorkPath(workKey: string): string {
  return `/works/${encodeURIComponent(bareId(workKey, 'works'))}.json`
}

/** Ratings need the work id: an edition id answers `{"error": "notfound"}`. */
export function openLibraryRatingsPath(workKey: string): string {
  return `/works/${encodeURIComponent(bareId(workKey, 'works'))}/ratings.json`
}

export function openLibraryAuthorPath(authorKey: string): string {
  return `/authors/${encodeURIComponent(bareId(authorKey, 'authors'))}.json`
}

/** Subject names become slugs the way the site makes them: lower case, spaces → `_`. */
export function openLibrarySubjectSlug(subject: string): string {
  return subject.trim().toLowerCase().replace(/\s+/g, '_')
}

export function openLibrarySubjectPath(subject: string, limit: number): string {
  const clamped = Math.min(OPEN_LIBRARY_MAX_SUBJECT_LIMIT, Math.max(1, Math.trunc(limit)))
  return `/subjects/${encodeURIComponent(openLibrarySubjectSlug(subject))}.json?limit=${clamped}`
}

export function openLibrarySearchPath(query: string, limit: number): string {
  const params = new URLSearchParams({ q: query, fields: OPEN_LIBRARY_SEARCH_FIELDS.join(','), limit: String(Math.max(1, Math.trunc(limit))) })
  return `/search.json?${params.toString()}`
}

/**
 * One call for many ISBNs; the answer is keyed by the bibkeys sent (`ISBN:{isbn}`), missing ones
 * absent. `jscmd=data` is the display form (author names, cover URLs; no work key, no languages);
 * `jscmd=details` carries each edition record whole under `details`, its authors resolved to
 * `{key, name}` (Open Library's plugins/books/dynlinks.py, process_result_for_details): the
 * edition lookup of many books in one call. A bibkey matches the edition's ISBN fields as listed
 * (its `isbn_` index holds the ISBN-10s and ISBN-13s as stored), so a book listed under its
 * ISBN-10 only is found by that form alone.
 */
export function openLibraryBooksApiPath(isbns: readonly string[], jscmd: 'data' | 'details' = 'data'): string {
  if (isbns.length === 0 || isbns.length > OPEN_LIBRARY_BATCH_SIZE) {
    throw new RangeError(`between 1 and ${OPEN_LIBRARY_BATCH_SIZE} ISBNs per /api/books call, not ${isbns.length}`)
  }
  const params = new URLSearchParams({ bibkeys: isbns.map(openLibraryBibkey).join(','), format: 'json', jscmd })
  return `/api/books?${params.toString()}`
}

export function openLibraryBibkey(isbn: string): string {
  return `ISBN:${isbn}`
}

/**
 * Open Library answers 403 with an HTML page to a User-Agent without contact details; its
 * guidance is `AppName/1.0 (url; contact@example.org)`.
 */
export function openLibraryUserAgent(app: { name: string; version: string; url: string; contact: string }): string {
  return `${app.name}/${app.version} (${app.url}; ${app.contact})`
}

/** Keys arrive as `/works/OL45804W`; paths want `OL45804W`. */
function bareId(key: string, kind: 'works' | 'authors'): string {
  return key.replace(new RegExp(`^/?${kind}/`), '')
}
