import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { googleVolumesPath, mapGooglePublisher, mapGoogleReviews } from '../../../src/upstream/providers/googlebooks-mapping.js'
import { startFakeGoogleBooks, type FakeGoogleBooksOptions, type FakeProvider, type GoogleBooksCallKind } from '../../helpers/fake-providers.js'
import { recorded } from '../../helpers/provider-samples.js'

let server: FakeProvider<GoogleBooksCallKind> | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function start(options?: FakeGoogleBooksOptions): Promise<void> {
  server = await startFakeGoogleBooks(options)
}

async function get(path: string) {
  const response = await request(`${server!.url}${path}`)
  return { status: response.statusCode, body: await response.body.json() }
}

describe('fake Google Books over HTTP', () => {
  it('serves the recorded volumes by ISBN, under /volumes and /books/v1/volumes', async () => {
    await start({ apiKey: 'secret' })
    const answer = await get(googleVolumesPath('9780141439563', 'secret'))
    expect(answer).toEqual({ status: 200, body: recorded('googlebooks/volumes-isbn-9780141439563.json') })
    expect(mapGooglePublisher(answer.body, '9780141439563').status).toBe('ok')
    expect(mapGoogleReviews(answer.body, '9780141439563')).toEqual({ status: 'ok', data: { averageRating: 5, ratingsCount: 1, items: [] } })
    // An ISBN-10 query finds the same volume.
    expect((await get(`/books/v1${googleVolumesPath('0141439564', 'secret')}`)).body).toEqual(answer.body)
    expect(server!.calls.volumes).toBe(2)
  })

  it('serves the recorded mismatch, which the mapping drops, and an empty answer for unknown ISBNs', async () => {
    await start()
    expect(mapGooglePublisher((await get(googleVolumesPath('9780143119111'))).body, '9780143119111').status).toBe('not_found')
    expect(await get(googleVolumesPath('9780000000002'))).toEqual({ status: 200, body: { kind: 'books#volumes', totalItems: 0 } })
  })

  it('checks the key when configured: none → 403, another → 400', async () => {
    await start({ apiKey: 'secret' })
    const keyless = await get(googleVolumesPath('9780141439563'))
    expect(keyless.status).toBe(403)
    expect(keyless.body).toMatchObject({ error: { status: 'PERMISSION_DENIED' } })
    const wrong = await get(googleVolumesPath('9780141439563', 'guess'))
    expect(wrong.status).toBe(400)
    expect(wrong.body).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } })
  })

  it('answers the recorded 429 quota body once the quota is spent', async () => {
    await start({ quota: 1 })
    expect((await get(googleVolumesPath('9780141439563'))).status).toBe(200)
    expect(await get(googleVolumesPath('9780141439563'))).toEqual({ status: 429, body: recorded('googlebooks/error-429.json') })
    expect(server!.calls.volumes).toBe(2)
  })

  it('answers 404 for other paths', async () => {
    await start()
    expect((await get('/volumes/abc')).status).toBe(404)
    expect(server!.calls.unknown).toBe(1)
  })
})
