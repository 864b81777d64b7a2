import type { BookView } from '../domain/book-view.js'
import type { SourceOutcome, SourceOutcomes } from '../domain/outcome.js'

/** Each section of an answer as JSON text: what the body splices in and the ETag hashes. */
export interface SectionTexts {
  readonly publisher: string
  readonly reviews: string
  readonly recommendations: string
}

/**
 * Every section serialized once, or taken as the cache serialized it already: on a miss with
 * the cache on, each section was stringified for the cache, and walking the same data again
 * was most of the cost of serializing the answer.
 */
export function sectionTexts(view: BookView, outcomes: SourceOutcomes): SectionTexts {
  return {
    publisher: sectionJson(view.publisher, outcomes.publisher),
    reviews: sectionJson(view.reviews, outcomes.reviews),
    recommendations: sectionJson(view.recommendations, outcomes.recommendations)
  }
}

/** `JSON.stringify(view)`, byte for byte, with the sections' texts spliced in. */
export function bookViewJson(view: BookView, texts: SectionTexts): string {
  return `{"isbn":${JSON.stringify(view.isbn)},"isbn10":${JSON.stringify(view.isbn10)}` +
    `,"isbnHyphenated":${JSON.stringify(view.isbnHyphenated)},"registrationGroup":${JSON.stringify(view.registrationGroup)}` +
    `,"publisher":${texts.publisher},"reviews":${texts.reviews},"recommendations":${texts.recommendations}` +
    `,"sources":${JSON.stringify(view.sources)},"complete":${JSON.stringify(view.complete)}}`
}

function sectionJson(section: unknown, outcome: SourceOutcome): string {
  // The text is the same data as the section only for an `ok` outcome (the view has null otherwise).
  return outcome.status === 'ok' && outcome.json !== undefined ? outcome.json : JSON.stringify(section)
}
