import { describe, expect, it } from 'vitest'
import { readGraphqlData } from '../../../src/upstream/providers/hardcover-graphql.js'
import { fixture, recorded } from '../../helpers/provider-samples.js'

describe('readGraphqlData', () => {
  it('returns the data of a recorded answer', () => {
    const result = readGraphqlData(recorded('hardcover/graphql-user_books-reviews-by-username.json'))
    expect(result.status === 'ok' && Array.isArray(result.data.user_books)).toBe(true)
  })

  it('is invalid_response with the messages of an errors answer', () => {
    expect(readGraphqlData(fixture('hardcover/graphql-errors.json')))
      .toEqual({ status: 'invalid_response', detail: "Hardcover GraphQL errors: field 'ratings_total' not found in type: 'books'" })
  })

  it('does not trust partial data beside errors, and caps the messages it repeats', () => {
    const errors = Array.from({ length: 5 }, (_, i) => ({ message: `e${i}` }))
    expect(readGraphqlData({ data: { editions: [] }, errors }))
      .toEqual({ status: 'invalid_response', detail: 'Hardcover GraphQL errors: e0; e1; e2 (+2 more)' })
    expect(readGraphqlData({ errors: [{}] })).toEqual({ status: 'invalid_response', detail: 'Hardcover GraphQL errors: unnamed error' })
  })

  it('reads the auth failure body and answers without data', () => {
    expect(readGraphqlData(fixture('hardcover/error-401.json')))
      .toEqual({ status: 'invalid_response', detail: 'Hardcover refused the request: Unable to verify token' })
    expect(readGraphqlData({ data: null })).toEqual({ status: 'invalid_response', detail: 'Hardcover answer has no data' })
    // The recorded explorer output is only the data member: as a wire body it has no `data`.
    expect(readGraphqlData(recorded('hardcover/graphql-editions-title-Oathbringer.json')).status).toBe('invalid_response')
    expect(readGraphqlData('<html>').status).toBe('invalid_response')
  })
})
