// Hardcover GraphQL documents (POST https://api.hardcover.app/v1/graphql, `authorization: Bearer
// <token>`). Everything a caller gives travels in `variables`, never spliced into the query text,
// so no ISBN or search term can change what is asked. Hardcover is Hasura: filters take `_eq` /
// `_in`, and users report a query depth limit of 3, which is why reviews are a second query
// (editions → book → user_books → user would be 4 deep) and contributors are read from the
// `cached_contributors` JSON column instead of contributions → author → name.

export interface GraphqlRequest {
  readonly query: string
  readonly operationName: string
  readonly variables: Readonly<Record<string, unknown>>
}

// `_in` with lists rather than `_eq`: a 979 ISBN has no ISBN-10, and an empty `_in` matches
// nothing, while `_eq: null` is an error in Hasura 2 and "no condition" (every edition) under
// its v1 null-collapse setting. The lists also make this the batch form: many ISBNs in one call.
export const HARDCOVER_EDITIONS_QUERY = `query EditionsByIsbn($isbn13: [String!]!, $isbn10: [String!]!, $limit: Int!) {
  editions(
    where: {_or: [{isbn_13: {_in: $isbn13}}, {isbn_10: {_in: $isbn10}}]}
    order_by: {users_count: desc}
    limit: $limit
  ) {
    id
    title
    subtitle
    pages
    release_date
    isbn_10
    isbn_13
    cached_contributors
    publisher { name }
    language { code2 code3 }
    image { url }
    book { id slug title description rating ratings_count cached_contributors }
  }
}`

// Only rated, spoiler-free reviews: a review item needs a rating, and the limit should not be
// spent on rows the mapping would drop.
export const HARDCOVER_REVIEWS_QUERY = `query ReviewsByBook($bookId: Int!, $limit: Int!) {
  user_books(
    where: {book_id: {_eq: $bookId}, has_review: {_eq: true}, review_has_spoilers: {_eq: false}, rating: {_is_null: false}}
    order_by: {reviewed_at: desc_nulls_last}
    limit: $limit
  ) {
    rating
    review_raw
    reviewed_at
    user { username }
  }
}`

export const HARDCOVER_SEARCH_QUERY = `query SearchBooks($query: String!, $perPage: Int!) {
  search(query: $query, query_type: "Book", per_page: $perPage, page: 1) {
    results
  }
}`

export interface IsbnPair {
  readonly isbn13: string
  readonly isbn10: string | null
}

export function hardcoverEditionsRequest(isbns: readonly IsbnPair[]): GraphqlRequest {
  return {
    query: HARDCOVER_EDITIONS_QUERY,
    operationName: 'EditionsByIsbn',
    variables: {
      isbn13: isbns.map((pair) => pair.isbn13),
      isbn10: isbns.flatMap((pair) => (pair.isbn10 === null ? [] : [pair.isbn10])),
      // Several editions can carry one ISBN (duplicates awaiting a librarian's merge).
      limit: Math.max(5, isbns.length * 5)
    }
  }
}

export function hardcoverReviewsRequest(bookId: number, limit = 20): GraphqlRequest {
  return { query: HARDCOVER_REVIEWS_QUERY, operationName: 'ReviewsByBook', variables: { bookId, limit } }
}

export function hardcoverSearchRequest(query: string, perPage = 10): GraphqlRequest {
  return { query: HARDCOVER_SEARCH_QUERY, operationName: 'SearchBooks', variables: { query, perPage } }
}
