import type { BookView } from '../domain/book-view.js'
import type { SourceOutcome, SourceOutcomes } from '../domain/outcome.js'

/**
 * `JSON.stringify(view)`, byte for byte, with each section's JSON text spliced in where the
 * cache has serialized it already: on a miss every section was stringified once for the cache,
 * and walking the same data again was most of the cost of serializing the answer.
 */
export function bookViewJson(view: BookView, outcomes: SourceOutcomes): string {
  return `{"isbn":${JSON.stringify(view.isbn)},"isbn10":${JSON.stringify(view.isbn10)}` +
    `,"isbnHyphenated":${JSON.stringify(view.isbnHyphenated)},"registrationGroup":${JSON.stringify(view.registrationGroup)}` +
    `,"publisher":${sectionJson(view.publisher, outcomes.publisher)}` +
    `,"reviews":${sectionJson(view.reviews, outcomes.reviews)}` +
    `,"recommendations":${sectionJson(view.recommendations, outcomes.recommendations)}` +
    `,"sources":${JSON.stringify(view.sources)},"complete":${JSON.stringify(view.complete)}}`
}

function sectionJson(section: unknown, outcome: SourceOutcome): string {
  // The text is the same data as the section only for an `ok` outcome (the view has null otherwise).
  return outcome.status === 'ok' && outcome.json !== undefined ? outcome.json : JSON.stringify(section)
}
