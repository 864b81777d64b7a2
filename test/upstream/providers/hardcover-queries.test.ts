import { Kind, parse, type OperationDefinitionNode } from 'graphql'
import { describe, expect, it } from 'vitest'
import {
  HARDCOVER_EDITIONS_QUERY, HARDCOVER_REVIEWS_QUERY, HARDCOVER_SEARCH_QUERY, hardcoverEditionsRequest, hardcoverReviewsRequest, hardcoverSearchRequest
} from '../../../src/upstream/providers/hardcover-queries.js'

function operation(query: string): OperationDefinitionNode {
  const found = parse(query).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
  if (found === undefined) throw new Error('no operation')
  return found
}

/** How deep the selections go (`editions { book { id } }` is 3): users report a limit of 3. */
function depth(selections: OperationDefinitionNode['selectionSet']['selections']): number {
  return Math.max(0, ...selections.map((s) => (s.kind === Kind.FIELD ? 1 + (s.selectionSet ? depth(s.selectionSet.selections) : 0) : 0)))
}

describe('Hardcover query documents', () => {
  it.each([
    [HARDCOVER_EDITIONS_QUERY, 'EditionsByIsbn', ['isbn13', 'isbn10', 'limit']],
    [HARDCOVER_REVIEWS_QUERY, 'ReviewsByBook', ['bookId', 'limit']],
    [HARDCOVER_SEARCH_QUERY, 'SearchBooks', ['query', 'perPage']]
  ])('parses, is named, declares its variables and stays within depth 3', (query, name, variables) => {
    const op = operation(query)
    expect(op.name?.value).toBe(name)
    expect(op.variableDefinitions?.map((v) => v.variable.name.value)).toEqual(variables)
    expect(depth(op.selectionSet.selections)).toBeLessThanOrEqual(3)
  })

  it('sends ISBNs as variables, never inside the query text', () => {
    const request = hardcoverEditionsRequest([{ isbn13: '9780765365293', isbn10: '0765365294' }, { isbn13: '9791090636071', isbn10: null }])
    expect(request).toEqual({
      query: HARDCOVER_EDITIONS_QUERY,
      operationName: 'EditionsByIsbn',
      variables: { isbn13: ['9780765365293', '9791090636071'], isbn10: ['0765365294'], limit: 10 }
    })
    expect(request.query).not.toMatch(/\d{10}/)
  })

  it('builds reviews and search requests the same way', () => {
    expect(hardcoverReviewsRequest(446681)).toEqual({ query: HARDCOVER_REVIEWS_QUERY, operationName: 'ReviewsByBook', variables: { bookId: 446681, limit: 20 } })
    const search = hardcoverSearchRequest('") { me { email } } #', 5)
    expect(search.variables).toEqual({ query: '") { me { email } } #', perPage: 5 })
    expect(search.query).toBe(HARDCOVER_SEARCH_QUERY)
  })
})
