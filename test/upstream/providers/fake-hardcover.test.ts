import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { mapHardcoverBook, mapHardcoverPublisher, mapHardcoverReviews } from '../../../src/upstream/providers/hardcover-mapping.js'
import { hardcoverEditionsRequest, hardcoverReviewsRequest, hardcoverSearchRequest, type GraphqlRequest } from '../../../src/upstream/providers/hardcover-queries.js'
import { mapHardcoverSearch } from '../../../src/upstream/providers/hardcover-search-mapping.js'
import { readGraphqlData } from '../../../src/upstream/providers/hardcover-graphql.js'
import { startFakeHardcover, type FakeProvider, type HardcoverCallKind } from '../../helpers/fake-providers.js'

const TOKEN = 'test-token'
let server: FakeProvider<HardcoverCallKind> | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function post(body: GraphqlRequest | string, authorization = `Bearer ${TOKEN}`) {
  const response = await request(`${server!.url}/v1/graphql`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  })
  return { status: response.statusCode, body: await response.body.json() }
}

describe('fake Hardcover over HTTP', () => {
  it('serves an edition by ISBN variable, then its book\'s reviews, as the mappings expect', async () => {
    server = await startFakeHardcover({ token: TOKEN })
    const editions = await post(hardcoverEditionsRequest([{ isbn13: '9780765365293', isbn10: '0765365294' }]))
    expect(editions.status).toBe(200)
    expect(mapHardcoverPublisher(editions.body, '9780765365293')).toMatchObject({ status: 'ok', data: { title: 'Oathbringer', publisher: 'Tor Fantasy' } })
    const book = mapHardcoverBook(editions.body, '9780765365293')
    if (book.status !== 'ok') throw new Error(book.detail)
    const reviews = await post(hardcoverReviewsRequest(book.data.id))
    const section = mapHardcoverReviews(book.data, reviews.body)
    expect(section.status === 'ok' && section.data.items.map((item) => item.author)).toEqual(['reader_one', 'Hardcover reader'])
    expect(server.calls).toMatchObject({ editions: 1, user_books: 1 })
  })

  it('finds a recorded edition by its ISBN-10 alone, and none for an unknown ISBN', async () => {
    server = await startFakeHardcover({ token: TOKEN })
    const byIsbn10 = await post(hardcoverEditionsRequest([{ isbn13: '9780000000002', isbn10: '1427275947' }]))
    expect(mapHardcoverPublisher(byIsbn10.body, '1427275947')).toMatchObject({ status: 'ok', data: { publisher: 'Macmillan Audio' } })
    const none = await post(hardcoverEditionsRequest([{ isbn13: '9780000000002', isbn10: null }]))
    expect(none.body).toEqual({ data: { editions: [] } })
  })

  it('serves the recorded search', async () => {
    server = await startFakeHardcover({ token: TOKEN })
    const search = await post(hardcoverSearchRequest('Lord of the Rings', 5))
    expect(mapHardcoverSearch(search.body)).toMatchObject({ status: 'ok', data: { results: { length: 5 } } })
    expect(mapHardcoverSearch((await post(hardcoverSearchRequest('nothing at all'))).body)).toEqual({ status: 'ok', data: { results: [] } })
  })

  it('refuses a missing or wrong bearer token with 401', async () => {
    server = await startFakeHardcover({ token: TOKEN })
    for (const authorization of ['', TOKEN, 'Bearer other']) {
      const answer = await post(hardcoverSearchRequest('x'), authorization)
      expect(answer).toEqual({ status: 401, body: { error: 'Unable to verify token' } })
      expect(readGraphqlData(answer.body).status).toBe('invalid_response')
    }
    expect(server.calls.unauthorized).toBe(3)
  })

  it('answers GraphQL errors for unparsable queries, unknown fields and missing variables', async () => {
    server = await startFakeHardcover({ token: TOKEN })
    const answers = await Promise.all([
      post('not json'),
      post({ query: '{ editions(', operationName: 'x', variables: {} }),
      post({ query: '{ me { username } }', operationName: 'x', variables: {} }),
      post({ ...hardcoverEditionsRequest([]), variables: {} })
    ])
    for (const answer of answers) {
      expect(answer.status).toBe(200)
      expect(readGraphqlData(answer.body).status).toBe('invalid_response')
    }
  })

  it('answers only POST /v1/graphql', async () => {
    server = await startFakeHardcover({ token: TOKEN })
    const response = await request(`${server.url}/v1/graphql`)
    expect(response.statusCode).toBe(404)
    await response.body.dump()
  })
})
