import { request } from 'undici'
import { describe, expect, it } from 'vitest'
import { CONTACT_USER_AGENT, startFakeProviders } from '../../helpers/fake-providers.js'

const servers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length

describe('startFakeProviders', () => {
  it('starts the three fakes on loopback and closes them all, leaving no listening socket', async () => {
    const before = servers()
    const fakes = await startFakeProviders()
    expect(servers()).toBe(before + 3)
    for (const url of [fakes.openLibrary.url, fakes.googleBooks.url, fakes.hardcover.url]) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    const answers = await Promise.all([
      request(`${fakes.openLibrary.url}/works/OL45804W.json`, { headers: { 'user-agent': CONTACT_USER_AGENT } }),
      request(`${fakes.googleBooks.url}/volumes?q=isbn:9780141439563`),
      request(`${fakes.hardcover.url}/v1/graphql`, { method: 'POST', headers: { authorization: 'Bearer test-token' }, body: '{"query":"{ search(query: \\"x\\") { results } }"}' })
    ])
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200])
    await Promise.all(answers.map((answer) => answer.body.dump()))

    await fakes.close()
    // The listening handle is freed a moment after the close callback.
    await expect.poll(servers).toBe(before)
  })
})
