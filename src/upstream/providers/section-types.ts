// The section data a provider mapping produces: the BookView sections of book-schemas.ts (without
// the `isbn`, which the BookView carries at the top), plus the few fields public providers add.

export interface PublisherSection {
  title: string
  subtitle?: string
  authors: string[]
  publisher: string
  /** As the provider wrote it ("October 1, 1988"): the contract keeps it required and free-form. */
  publishedDate: string
  /** `YYYY`, `YYYY-MM` or `YYYY-MM-DD` when `publishedDate` could be read as a date. */
  publishedDateIso?: string
  pageCount?: number
  /** ISO 639-1 (`en`). */
  language?: string
  description?: string
  coverUrl?: string
}

export interface ReviewItem {
  author: string
  rating: number
  title?: string
  text: string
  /** `YYYY-MM-DD`. */
  date: string
}

export interface ReviewsSection {
  averageRating: number
  ratingsCount: number
  /** Empty for providers that have ratings but no review texts (Open Library, Google Books). */
  items: ReviewItem[]
  /** `false` when the provider has no review texts at all (the adapters say so; see openapi.yaml). */
  textsAvailable?: false
}

/**
 * A recommended book as a public provider knows it. Open Library recommends *works*, which have
 * no ISBN, so `isbn` is present only when the provider named one; `key` and `url` always
 * identify the book at the provider. The contract's recommendation requires `isbn`: an adapter
 * that serves the native shape keeps only the items that have one.
 */
export interface ProviderRecommendation {
  isbn?: string
  /** The provider's own id: `/works/OL45804W` (Open Library), `hardcover:book:446681`. */
  key: string
  /** An https link to the book's page at the provider. */
  url: string
  title: string
  authors: string[]
  score?: number
}

export interface RecommendationsSection {
  items: ProviderRecommendation[]
}

/** A search hit; like a recommendation, it may have no ISBN (Open Library hits are works). */
export interface ProviderSearchResult {
  isbn?: string
  key: string
  url: string
  title: string
  authors: string[]
  publisher?: string
  publishedDate?: string
}

export interface SearchResults {
  results: ProviderSearchResult[]
}
