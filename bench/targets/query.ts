// The GraphQL query the harness POSTs to the Mercurius baseline: every field the BookView
// carries, so both sides fetch, shape and serialize the same data.
export const BOOK_QUERY = `query Book($isbn: String!) {
  book(isbn: $isbn) {
    isbn
    publisher { title subtitle authors publisher publishedDate pageCount language description coverUrl }
    reviews { averageRating ratingsCount items { author rating title text date } }
    recommendations { items { isbn title authors score } }
  }
}`
