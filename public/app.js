/* global document, window, location, Node, Element, EventSource, fetch, AbortController, URL, URLSearchParams, performance, setInterval, clearInterval, setTimeout, clearTimeout */
// book-aggregator demo page. A plain browser ES module: no build step, no dependencies.
//
// Safety rule: every piece of text that comes from the service (and so from the upstreams) reaches
// the DOM through el() below, which appends text nodes. Nothing here assigns innerHTML.
//
// Routing lives in the URL hash so a book is linkable and the back button works:
//   #isbn=9780441013593   a book, streamed from GET books/{isbn}/events (EventSource)
//   #q=dune               search results from GET search?q=…
// URLs are relative to the page, so the demo also works behind a path prefix.

const SOURCES = ['publisher', 'reviews', 'recommendations']
const LABELS = { publisher: 'Publisher', reviews: 'Reviews', recommendations: 'Recommendations' }
const STATUS_TEXT = {
  loading: 'loading',
  ok: 'ok',
  not_found: 'not found',
  timeout: 'timeout',
  error: 'error',
  invalid_response: 'invalid response',
  circuit_open: 'circuit open',
  overloaded: 'overloaded',
  rate_limited: 'rate limited',
  skipped: 'skipped',
  unavailable: 'no answer'
}
/** Statuses that cost a section (the ones that make `complete` false). */
const FAILED = new Set(['timeout', 'error', 'invalid_response', 'circuit_open', 'overloaded', 'rate_limited'])
const WHY = {
  timeout: 'did not answer in time',
  error: 'answered with an error',
  invalid_response: 'sent an answer that could not be understood',
  circuit_open: 'has been failing, so calls to it are paused for a moment (circuit open)',
  overloaded: 'is overloaded right now; try again shortly',
  rate_limited: 'is over its request budget (or asked us to slow down); try again shortly'
}
const EMPTY = {
  publisher: 'No publisher knows this ISBN.',
  reviews: 'No reviews for this book yet.',
  recommendations: 'No recommendations for this book.'
}
const SEARCH_LIMIT = 20

const $ = (selector) => document.querySelector(selector)
const ui = {
  form: $('#search-form'),
  input: $('#q'),
  message: $('#message'),
  welcome: $('#welcome'),
  results: $('#results'),
  resultsHeading: $('#results-heading'),
  resultsList: $('#results-list'),
  book: $('#book'),
  banner: $('#banner'),
  problem: $('#problem'),
  timeline: $('#timeline')
}
const BASE_TITLE = document.title

// ---------------------------------------------------------------------------------------------
// DOM helpers

/** Creates an element; strings among the children become text nodes (never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') node.className = value
    else if (key === 'dataset') Object.assign(node.dataset, value)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    node.append(child instanceof Node ? child : String(child))
  }
  return node
}

function show(node, visible) {
  node.hidden = !visible
}

function showMessage(text, kind = 'info') {
  ui.message.replaceChildren(text)
  ui.message.dataset.kind = kind
  show(ui.message, text !== '')
}

const bookHref = (isbn) => '#' + new URLSearchParams({ isbn }).toString()

/** Upstream cover URLs are only used when they are plain http(s) URLs. */
function safeImageUrl(value) {
  if (typeof value !== 'string') return undefined
  try {
    const url = new URL(value, location.href)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined
  } catch {
    return undefined
  }
}

const numberFormat = new Intl.NumberFormat('en')
const dateFormat = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC' })
const monthFormat = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'long', timeZone: 'UTC' })

function formatDate(value) {
  if (typeof value !== 'string') return ''
  const full = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  if (full) return dateFormat.format(new Date(Date.UTC(+full[1], +full[2] - 1, +full[3])))
  const month = /^(\d{4})-(\d{2})$/.exec(value)
  if (month) return monthFormat.format(new Date(Date.UTC(+month[1], +month[2] - 1, 1)))
  return value
}

function languageName(code) {
  if (typeof code !== 'string' || code === '') return ''
  try {
    return new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code
  } catch {
    return code
  }
}

const list = (values) => (Array.isArray(values) ? values.filter((v) => typeof v === 'string').join(', ') : '')

/** Five stars, filled to `rating` out of 5 (CSS draws the partial fill from --fill). */
function stars(rating, size = '') {
  const value = Math.max(0, Math.min(5, Number(rating) || 0))
  const node = el('span', { class: `stars ${size}`.trim(), role: 'img', 'aria-label': `${value} out of 5 stars` })
  node.style.setProperty('--fill', `${(value / 5) * 100}%`)
  return node
}

function parseJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------------------------------------
// ISBN input: light validation so a typo gets a friendly message instead of a failed stream.
// The service has the last word (it also checks registration-group ranges).

const cleanIsbn = (value) => value.replace(/[\s-]/g, '').toUpperCase()

/** True when the input is made of ISBN characters only (digits, hyphens, spaces, final X). */
function looksLikeIsbn(value) {
  const trimmed = value.trim()
  return /^[\d][\d\s-]*[\dXx]$/.test(trimmed) && cleanIsbn(trimmed).length >= 9
}

/** A reason the ISBN cannot be right, or '' when it passes the check-digit test. */
function isbnMistake(isbn) {
  if (!/^(\d{9}[\dX]|\d{13})$/.test(isbn)) return 'An ISBN has 10 or 13 digits (an ISBN-10 may end in X).'
  let sum = 0
  if (isbn.length === 10) {
    for (let i = 0; i < 10; i++) sum += (10 - i) * (isbn[i] === 'X' ? 10 : Number(isbn[i]))
    if (sum % 11 === 0) return ''
  } else {
    for (let i = 0; i < 13; i++) sum += Number(isbn[i]) * (i % 2 === 0 ? 1 : 3)
    if (sum % 10 === 0) return ''
  }
  return `The check digit of ${isbn} does not match — is there a typo?`
}

// ---------------------------------------------------------------------------------------------
// Routing

const current = { stream: undefined, search: undefined }

function navigate(params) {
  const hash = '#' + new URLSearchParams(params).toString()
  // Same hash: no hashchange event fires, so route directly (a retry of the same book or query).
  if (location.hash === hash) route()
  else location.hash = hash
}

function route() {
  stopStream()
  current.search?.abort()
  current.search = undefined
  showMessage('')
  const params = new URLSearchParams(location.hash.slice(1))
  const isbn = params.get('isbn')
  const q = params.get('q')
  if (isbn) {
    loadBook(cleanIsbn(isbn))
  } else if (q) {
    ui.input.value = q
    runSearch(q)
  } else {
    document.title = BASE_TITLE
    show(ui.results, false)
    show(ui.book, false)
    show(ui.welcome, true)
  }
}

ui.form.addEventListener('submit', (event) => {
  event.preventDefault()
  const value = ui.input.value.trim()
  if (value === '') {
    showMessage('Type a title, an author or an ISBN.', 'info')
    ui.input.focus()
    return
  }
  if (looksLikeIsbn(value)) {
    const isbn = cleanIsbn(value)
    const mistake = isbnMistake(isbn)
    if (mistake !== '') {
      showMessage(mistake, 'error')
      ui.input.focus()
      return
    }
    navigate({ isbn })
  } else {
    navigate({ q: value })
  }
})

window.addEventListener('hashchange', route)

// ---------------------------------------------------------------------------------------------
// Search

async function runSearch(q) {
  show(ui.welcome, false)
  show(ui.book, false)
  show(ui.results, true)
  document.title = `“${q}” — ${BASE_TITLE}`
  ui.resultsHeading.replaceChildren(`Searching for “${q}”…`)
  ui.resultsList.replaceChildren(...[1, 2, 3].map(() => el('li', { class: 'result skeleton-row', 'aria-hidden': 'true' },
    el('span', { class: 'skeleton line w60' }), el('span', { class: 'skeleton line w40' }))))
  ui.results.setAttribute('aria-busy', 'true')

  const controller = new AbortController()
  current.search = controller
  try {
    const response = await fetch(`search?${new URLSearchParams({ q, limit: String(SEARCH_LIMIT) })}`, {
      signal: controller.signal,
      headers: { accept: 'application/json' }
    })
    const body = await response.json().catch(() => undefined)
    if (controller.signal.aborted) return
    if (!response.ok) {
      ui.resultsHeading.replaceChildren(`Search for “${q}” failed`)
      ui.resultsList.replaceChildren()
      showMessage(problemSentence(body, response.status, 'The search'), 'error')
      return
    }
    renderResults(q, Array.isArray(body?.results) ? body.results : [])
  } catch (error) {
    if (controller.signal.aborted) return
    ui.resultsHeading.replaceChildren(`Search for “${q}” failed`)
    ui.resultsList.replaceChildren()
    showMessage(`Could not reach the service (${error instanceof Error ? error.message : 'network error'}).`, 'error')
  } finally {
    if (current.search === controller) {
      current.search = undefined
      ui.results.removeAttribute('aria-busy')
    }
  }
}

function renderResults(q, results) {
  if (results.length === 0) {
    ui.resultsHeading.replaceChildren(`No books match “${q}”`)
    ui.resultsList.replaceChildren(el('li', { class: 'result-empty' },
      'Try another title or author, or type an ISBN.'))
    return
  }
  ui.resultsHeading.replaceChildren(`${results.length} ${results.length === 1 ? 'book matches' : 'books match'} “${q}”`)
  ui.resultsList.replaceChildren(...results.map((r) => {
    const year = typeof r.publishedDate === 'string' ? r.publishedDate.slice(0, 4) : ''
    const meta = [list(r.authors), r.publisher, year].filter(Boolean).join(' · ')
    return el('li', {},
      el('a', { class: 'result', href: bookHref(r.isbn), dataset: { isbn: String(r.isbn) } },
        el('span', { class: 'result-title' }, r.title),
        el('span', { class: 'result-meta' }, meta),
        el('span', { class: 'result-isbn' }, `ISBN ${r.isbn}`)))
  }))
}

// ---------------------------------------------------------------------------------------------
// A book over Server-Sent Events

function stopStream() {
  const stream = current.stream
  if (stream === undefined) return
  stream.done = true
  stream.source.close()
  clearInterval(stream.ticker)
  current.stream = undefined
}

function loadBook(isbn) {
  show(ui.welcome, false)
  show(ui.results, false)
  show(ui.book, true)
  show(ui.problem, false)
  ui.problem.replaceChildren()
  ui.book.classList.remove('no-sections')
  document.title = `ISBN ${isbn} — ${BASE_TITLE}`
  for (const name of SOURCES) renderLoading(name)

  const url = `books/${encodeURIComponent(isbn)}/events`
  const stream = {
    isbn,
    url,
    started: performance.now(),
    settled: {},
    done: false,
    source: new EventSource(url),
    ticker: undefined
  }
  current.stream = stream
  const live = (handler) => (event) => {
    if (current.stream === stream && !stream.done) handler(event)
  }
  stream.ticker = setInterval(live(() => renderProgress(stream)), 100)
  renderProgress(stream)
  renderTimeline(stream)

  stream.source.addEventListener('source', live((event) => {
    const outcome = parseJson(event.data)
    if (!outcome || !SOURCES.includes(outcome.source)) return
    stream.settled[outcome.source] = outcome
    renderSection(outcome.source, outcome, outcome.data)
    renderProgress(stream)
    renderTimeline(stream)
  }))

  stream.source.addEventListener('book', live((event) => {
    finish(stream)
    const book = parseJson(event.data)
    if (!book) return renderProblem({ title: 'Unreadable answer', detail: 'The book event could not be parsed.' }, stream)
    // The book is authoritative: it fills any section whose own event was missed.
    for (const name of SOURCES) {
      const outcome = book.sources?.[name]
      if (!stream.settled[name] && outcome) {
        stream.settled[name] = { ...outcome, source: name }
        renderSection(name, outcome, book[name])
      }
    }
    if (book.publisher?.title) document.title = `${book.publisher.title} — ${BASE_TITLE}`
    fillIsbns(book)
    renderTimeline(stream)
    renderBanner(stream, book)
  }))

  stream.source.addEventListener('problem', live((event) => {
    finish(stream)
    const problem = parseJson(event.data) ?? { title: 'The service reported a problem' }
    fillFromProblem(stream, problem)
    renderProblem(problem, stream)
  }))

  // Fires when the connection cannot be made (a 400/429 answer is not an event stream) or drops.
  // Left alone, EventSource would reconnect and start the whole lookup again.
  stream.source.addEventListener('error', live(() => {
    finish(stream)
    diagnose(stream)
  }))
}

function finish(stream) {
  stream.done = true
  stream.source.close()
  clearInterval(stream.ticker)
  stream.elapsed = Math.round(performance.now() - stream.started)
}

/** After a failed connection: ask once more with fetch to learn why (problem+json), then explain. */
async function diagnose(stream) {
  if (Object.keys(stream.settled).length > 0) {
    markUnsettled(stream, 'The event stream ended before this source answered.')
    renderProblem({ title: 'Connection lost', detail: 'The event stream ended before the book was complete. Try again.' }, stream)
    return
  }
  // Nothing arrived: the request itself was refused (bad ISBN, rate limit, service down), so
  // the three empty cards would only be noise.
  ui.book.classList.add('no-sections')
  setBanner('pending', el('span', { class: 'spinner', 'aria-hidden': 'true' }), el('span', { class: 'banner-text' }, 'Checking what went wrong…'))
  let problem
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), 5000)
  try {
    const response = await fetch(stream.url, {
      signal: controller.signal,
      headers: { accept: 'application/problem+json, application/json' }
    })
    if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
      controller.abort()
      problem = { title: 'Connection lost', detail: 'The event stream broke off. Try again.' }
    } else {
      const body = await response.json().catch(() => undefined)
      problem = body && typeof body === 'object' ? { status: response.status, ...body } : { status: response.status, title: response.statusText }
    }
  } catch {
    problem = { title: 'Service unreachable', detail: 'Could not connect to the service. Is it running?' }
  } finally {
    clearTimeout(timer)
  }
  if (current.stream !== stream) return // the reader moved on meanwhile
  markUnsettled(stream, 'Not loaded.')
  renderProblem(problem, stream)
}

function markUnsettled(stream, detail) {
  for (const name of SOURCES) {
    if (!stream.settled[name]) renderSection(name, { status: 'unavailable', detail }, null)
  }
  renderTimeline(stream)
}

function fillFromProblem(stream, problem) {
  for (const name of SOURCES) {
    const outcome = problem?.sources?.[name]
    if (!stream.settled[name] && outcome) {
      stream.settled[name] = { ...outcome, source: name }
      renderSection(name, outcome, null)
    }
  }
  markUnsettled(stream, 'No answer.')
}

function fillIsbns(book) {
  const facts = document.querySelector('#card-publisher .facts')
  if (!facts) return
  for (const [key, value] of [['isbn13', book.isbn], ['isbn10', book.isbn10]]) {
    const slot = facts.querySelector(`[data-fact="${key}"]`)
    if (slot && typeof value === 'string') {
      slot.replaceChildren(value)
      slot.closest('.fact').hidden = false
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Section cards

function card(name) {
  const node = document.getElementById(`card-${name}`)
  return {
    node,
    badge: node.querySelector('.badge'),
    timing: node.querySelector('.timing'),
    tags: node.querySelector('.tags'),
    body: node.querySelector('.card-body')
  }
}

function renderLoading(name) {
  const c = card(name)
  c.node.dataset.status = 'loading'
  c.node.classList.remove('is-stale')
  c.node.setAttribute('aria-busy', 'true')
  c.badge.dataset.status = 'loading'
  c.badge.replaceChildren(STATUS_TEXT.loading)
  c.timing.replaceChildren()
  c.tags.replaceChildren()
  const lines = name === 'publisher' ? ['w70', 'w40', 'w90', 'w80', 'w50'] : ['w80', 'w60', 'w90', 'w70']
  c.body.replaceChildren(el('div', { class: `skeleton-block ${name === 'publisher' ? 'with-cover' : ''}`, 'aria-hidden': 'true' },
    name === 'publisher' ? el('div', { class: 'skeleton cover-skeleton' }) : null,
    el('div', { class: 'skeleton-lines' }, lines.map((w) => el('span', { class: `skeleton line ${w}` })))))
}

function renderSection(name, outcome, data) {
  const c = card(name)
  const status = typeof outcome.status === 'string' ? outcome.status : 'error'
  const stale = outcome.cache === 'stale'
  c.node.dataset.status = status
  c.node.classList.toggle('is-stale', stale)
  c.node.removeAttribute('aria-busy')
  c.badge.dataset.status = status
  c.badge.replaceChildren(STATUS_TEXT[status] ?? status.replace(/_/g, ' '))
  c.badge.title = typeof outcome.detail === 'string' ? outcome.detail : ''
  c.timing.replaceChildren(typeof outcome.durationMs === 'number' ? `${numberFormat.format(Math.round(outcome.durationMs))} ms` : '')

  const tags = []
  if (stale) tags.push(el('span', { class: 'tag tag-stale', title: 'The upstream failed; this is the last good answer, from the cache.' }, 'stale · from cache'))
  else if (outcome.cache === 'hit') tags.push(el('span', { class: 'tag tag-hit', title: 'Served from the cache' }, 'cache hit'))
  else if (outcome.cache === 'miss') tags.push(el('span', { class: 'tag tag-miss', title: 'Fetched from the upstream' }, 'cache miss'))
  if (outcome.retried) tags.push(el('span', { class: 'tag', title: 'The first call failed and was retried once' }, 'retried'))
  if (outcome.hedged) tags.push(el('span', { class: 'tag', title: 'A slow call got a duplicate; the first answer won' }, 'hedged'))
  if (outcome.coalesced) tags.push(el('span', { class: 'tag', title: 'Shared one upstream call with a concurrent request' }, 'coalesced'))
  if (outcome.batched) tags.push(el('span', { class: 'tag', title: `One upstream call for ${outcome.batched} books, this one among them` }, `batch of ${outcome.batched}`))
  if (typeof outcome.httpStatus === 'number') tags.push(el('span', { class: 'tag tag-http' }, `HTTP ${outcome.httpStatus}`))
  // Provider mode: who answered, and which fields another provider filled in.
  if (typeof outcome.provider === 'string') {
    const filled = outcome.filledFrom && typeof outcome.filledFrom === 'object' ? Object.entries(outcome.filledFrom) : []
    const title = filled.length > 0 ? `Filled in: ${filled.map(([field, from]) => `${field} from ${from}`).join(', ')}` : 'The provider that answered'
    tags.push(el('span', { class: 'tag tag-provider', title }, filled.length > 0 ? `via ${outcome.provider} +${filled.length}` : `via ${outcome.provider}`))
  }
  c.tags.replaceChildren(...tags)

  if (status === 'ok' && data && typeof data === 'object') {
    c.body.replaceChildren(RENDER[name](data))
  } else {
    c.body.replaceChildren(emptyState(name, status, outcome))
  }
}

function emptyState(name, status, outcome) {
  const detail = typeof outcome.detail === 'string' && outcome.detail !== '' ? outcome.detail : undefined
  if (status === 'not_found') return el('p', { class: 'empty' }, EMPTY[name])
  if (status === 'skipped') return el('p', { class: 'empty' }, 'Not requested.')
  if (FAILED.has(status)) {
    return el('div', { class: 'failure' },
      el('p', { class: 'failure-title' }, `${LABELS[name]} ${WHY[status]}.`),
      detail ? el('p', { class: 'failure-detail' }, detail) : null,
      el('p', { class: 'failure-note' }, 'The rest of the book is unaffected.'))
  }
  return el('p', { class: 'empty' }, detail ?? 'Not loaded.')
}

const RENDER = {
  publisher(data) {
    const cover = el('div', { class: String(data.title ?? '').length > 28 ? 'cover long' : 'cover', 'aria-hidden': 'true' },
      el('span', { class: 'cover-title' }, data.title ?? ''),
      el('span', { class: 'cover-author' }, list(data.authors)))
    cover.style.setProperty('--hue', String(hueOf(String(data.title ?? ''))))
    const src = safeImageUrl(data.coverUrl)
    if (src) {
      // No network (or a missing cover) must not leave a broken image: keep the drawn cover
      // underneath and only reveal the photo once it has really loaded.
      const img = el('img', { class: 'cover-img', alt: '', src, loading: 'lazy', decoding: 'async', referrerpolicy: 'no-referrer' })
      img.addEventListener('load', () => { if (img.naturalWidth > 1) img.classList.add('loaded'); else img.remove() })
      img.addEventListener('error', () => img.remove())
      cover.append(img)
    }
    const facts = el('dl', { class: 'facts' },
      fact('Publisher', data.publisher),
      fact('Published', formatDate(data.publishedDate)),
      fact('Pages', typeof data.pageCount === 'number' ? numberFormat.format(data.pageCount) : ''),
      fact('Language', languageName(data.language)),
      fact('ISBN-13', current.stream?.isbn?.length === 13 ? current.stream.isbn : '', 'isbn13'),
      fact('ISBN-10', current.stream?.isbn?.length === 10 ? current.stream.isbn : '', 'isbn10'))
    return el('div', { class: 'publisher' },
      cover,
      el('div', { class: 'publisher-main' },
        el('h2', { class: 'book-title' }, data.title ?? 'Untitled'),
        data.subtitle ? el('p', { class: 'book-subtitle' }, data.subtitle) : null,
        list(data.authors) ? el('p', { class: 'book-authors' }, `by ${list(data.authors)}`) : null,
        facts,
        data.description ? el('p', { class: 'description' }, data.description) : null))
  },

  reviews(data) {
    const items = Array.isArray(data.items) ? data.items : []
    const average = Number(data.averageRating) || 0
    const count = Number(data.ratingsCount) || 0
    return el('div', { class: 'reviews' },
      el('div', { class: 'rating-summary' },
        el('span', { class: 'rating-value' }, average.toFixed(1)),
        el('div', {},
          stars(average, 'stars-lg'),
          el('span', { class: 'rating-count' }, `${numberFormat.format(count)} ${count === 1 ? 'rating' : 'ratings'}`))),
      items.length === 0
        ? el('p', { class: 'empty' }, data.textsAvailable === false
          ? 'Ratings only: this provider keeps no written reviews.'
          : 'Ratings only, no written reviews.')
        : el('ul', { class: 'review-list' }, items.slice(0, 6).map((r) =>
          el('li', { class: 'review' },
            el('div', { class: 'review-head' },
              stars(r.rating),
              r.title ? el('strong', { class: 'review-title' }, r.title) : null),
            el('p', { class: 'review-text' }, r.text ?? ''),
            el('p', { class: 'review-by' }, [r.author, formatDate(r.date)].filter(Boolean).join(' · '))))))
  },

  recommendations(data) {
    const items = Array.isArray(data.items) ? data.items : []
    if (items.length === 0) return el('p', { class: 'empty' }, EMPTY.recommendations)
    return el('ol', { class: 'rec-list' }, items.map((r) => {
      const score = typeof r.score === 'number' ? Math.max(0, Math.min(1, r.score)) : undefined
      const meter = score === undefined ? null : el('span', { class: 'rec-score', title: `match score ${score}` },
        el('span', { class: 'rec-score-bar' }), `${Math.round(score * 100)}%`)
      meter?.style.setProperty('--score', `${score * 100}%`)
      // A work without an ISBN (Open Library recommends works) opens at its provider instead.
      const link = r.isbn
        ? { class: 'rec', href: bookHref(r.isbn), dataset: { isbn: String(r.isbn) } }
        : { class: 'rec rec-external', href: safeHttpUrl(r.url), target: '_blank', rel: 'noopener noreferrer', title: 'Opens at the provider' }
      return el('li', {},
        el('a', link,
          el('span', { class: 'rec-text' },
            el('span', { class: 'rec-title' }, r.title ?? r.isbn ?? r.key),
            el('span', { class: 'rec-authors' }, list(r.authors))),
          meter))
    }))
  }
}

/** Only http(s) links from a provider become hrefs (never `javascript:` and the like). */
function safeHttpUrl(url) {
  try {
    const parsed = new URL(String(url))
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : '#'
  } catch {
    return '#'
  }
}

function fact(label, value, key) {
  const empty = value === undefined || value === null || value === ''
  return el('div', { class: 'fact', hidden: empty },
    el('dt', {}, label),
    el('dd', key ? { dataset: { fact: key } } : {}, empty ? '' : value))
}

function hueOf(text) {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) >>> 0
  return h % 360
}

// ---------------------------------------------------------------------------------------------
// Banner, timeline, problems

function setBanner(kind, ...content) {
  ui.banner.dataset.kind = kind
  ui.banner.replaceChildren(...content)
}

function renderProgress(stream) {
  if (stream.done) return
  const arrived = Object.keys(stream.settled).length
  const elapsed = Math.round(performance.now() - stream.started)
  setBanner('pending',
    el('span', { class: 'spinner', 'aria-hidden': 'true' }),
    el('span', { class: 'banner-text' }, `Streaming ISBN ${stream.isbn} — ${arrived} of ${SOURCES.length} sources arrived`),
    el('span', { class: 'banner-meta' }, `${numberFormat.format(elapsed)} ms`))
}

function renderBanner(stream, book) {
  const entries = SOURCES.map((name) => [name, book.sources?.[name] ?? stream.settled[name] ?? {}])
  const failed = entries.filter(([, o]) => FAILED.has(o.status))
  const stale = entries.filter(([, o]) => o.cache === 'stale')
  const missing = entries.filter(([, o]) => o.status === 'not_found')
  const notes = []
  if (stale.length > 0) notes.push(`${stale.map(([n]) => LABELS[n]).join(', ')} served stale from cache`)
  if (missing.length > 0) notes.push(`${missing.map(([n]) => LABELS[n]).join(', ')}: nothing for this book`)
  const meta = el('span', { class: 'banner-meta' }, `${numberFormat.format(stream.elapsed)} ms`)
  if (book.complete === true && failed.length === 0) {
    setBanner(stale.length > 0 ? 'stale' : 'complete',
      el('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '✓'),
      el('span', { class: 'banner-text' },
        el('strong', {}, 'Complete'),
        ` — all ${SOURCES.length} sources answered`,
        notes.length > 0 ? ` (${notes.join('; ')})` : ''),
      meta)
  } else {
    const which = failed.map(([n, o]) => `${LABELS[n]} (${STATUS_TEXT[o.status] ?? o.status})`).join(', ')
    setBanner('partial',
      el('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '!'),
      el('span', { class: 'banner-text' },
        el('strong', {}, 'Partial result'),
        ` — ${failed.length} ${failed.length === 1 ? 'source' : 'sources'} failed${which ? `: ${which}` : ''}`,
        notes.length > 0 ? `; ${notes.join('; ')}` : ''),
      meta)
  }
}

function renderTimeline(stream) {
  const durations = SOURCES.map((name) => stream.settled[name]?.durationMs).filter((d) => typeof d === 'number')
  const scale = Math.max(1, ...durations)
  ui.timeline.replaceChildren(...SOURCES.map((name) => {
    const outcome = stream.settled[name]
    const status = outcome?.status ?? (stream.done ? 'unavailable' : 'loading')
    const bar = el('span', { class: 'tl-bar', dataset: { status }, 'data-stale': outcome?.cache === 'stale' })
    if (typeof outcome?.durationMs === 'number') bar.style.setProperty('--w', `${Math.max(2, (outcome.durationMs / scale) * 100)}%`)
    return el('div', { class: 'tl-row' },
      el('span', { class: 'tl-label' }, LABELS[name]),
      el('span', { class: 'tl-track' }, bar),
      el('span', { class: 'tl-ms' }, typeof outcome?.durationMs === 'number' ? `${numberFormat.format(Math.round(outcome.durationMs))} ms` : '…'))
  }))
}

const PROBLEM_HEADLINE = {
  400: 'That ISBN was not accepted',
  404: 'Book not found',
  429: 'Too many requests',
  502: 'No source could answer',
  503: 'The service is busy',
  504: 'Every source timed out'
}

function problemSentence(problem, status, subject) {
  const detail = problem && typeof problem.detail === 'string' ? problem.detail : undefined
  const title = problem && typeof problem.title === 'string' ? problem.title : undefined
  return `${subject} failed${status ? ` (${status})` : ''}: ${detail ?? title ?? 'unknown error'}`
}

function renderProblem(problem, stream) {
  const status = typeof problem?.status === 'number' ? problem.status : undefined
  const headline = (status && PROBLEM_HEADLINE[status]) ?? (typeof problem?.title === 'string' ? problem.title : 'Something went wrong')
  let detail = typeof problem?.detail === 'string' ? problem.detail : ''
  if (status === 404 && detail === '') detail = `No publisher knows ISBN ${stream.isbn}.`
  ui.problem.replaceChildren(
    el('span', { class: 'problem-icon', 'aria-hidden': 'true' }, status === 404 ? '?' : '!'),
    el('div', {},
      el('h2', { class: 'problem-title' }, headline),
      detail ? el('p', { class: 'problem-detail' }, detail) : null,
      el('p', { class: 'problem-actions' },
        status === 404 || status === 400
          ? el('a', { href: '#' }, 'Search for another book')
          : el('a', { href: bookHref(stream.isbn), class: 'retry' }, 'Try again'))))
  ui.problem.dataset.status = String(status ?? '')
  show(ui.problem, true)
  setBanner('failed',
    el('span', { class: 'banner-icon', 'aria-hidden': 'true' }, '×'),
    el('span', { class: 'banner-text' }, el('strong', {}, status ? `${status} ` : ''), `No book for ISBN ${stream.isbn}`),
    el('span', { class: 'banner-meta' }, stream.elapsed === undefined ? '' : `${numberFormat.format(stream.elapsed)} ms`))
}

// "Try again" points at the current hash, which would not fire hashchange: route by hand.
ui.problem.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('a.retry') : null
  if (target !== null && target.getAttribute('href') === location.hash) {
    event.preventDefault()
    route()
  }
})

route()
