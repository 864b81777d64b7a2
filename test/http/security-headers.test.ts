import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import helmet from 'helmet'
import { afterEach, describe, expect, it } from 'vitest'
import { API_HEADERS, DOCUMENT_HEADERS, HELMET_OPTIONS, helmetHeaders } from '../../src/http/security-headers.js'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('security headers', () => {
  it('sets the headers that protect a cross-origin JSON API, and not the ones only documents use', async () => {
    rig = await startRig()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin')
    expect(res.headers['x-powered-by']).toBeUndefined()
    // The API sets no CSP of its own (the demo page has its own).
    expect(res.headers['content-security-policy']).toBeUndefined()
    for (const name of Object.keys(DOCUMENT_HEADERS).filter((n) => !(n in API_HEADERS))) {
      expect(res.headers[name], name).toBeUndefined()
    }
  })

  it('gives HTML pages helmet\'s whole set: Swagger UI as helmet has it, the demo page with framing refused', async () => {
    rig = await startRig()
    const docs = await rig.app.inject({ method: 'GET', url: '/docs' })
    expect(docs.statusCode).toBe(200)
    expect(docs.headers['content-type']).toMatch(/^text\/html/)
    for (const [name, value] of Object.entries(DOCUMENT_HEADERS)) expect(docs.headers[name], `/docs ${name}`).toBe(value)

    const page = await rig.app.inject({ method: 'GET', url: '/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/^text\/html/)
    for (const [name, value] of Object.entries(DOCUMENT_HEADERS)) {
      if (name === 'x-frame-options') continue
      expect(page.headers[name], `/ ${name}`).toBe(value)
    }
    expect(page.headers['x-frame-options']).toBe('DENY')
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'")
  })

  it('computes once exactly the headers helmet sets on a real response', async () => {
    const server = createServer((req, res) => {
      helmet(HELMET_OPTIONS)(req, res, () => res.end())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
      const fromHelmet = Object.fromEntries([...res.headers].filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)))
      expect(Object.keys(fromHelmet).length).toBeGreaterThanOrEqual(10)
      expect(helmetHeaders()).toEqual(fromHelmet)
      expect(DOCUMENT_HEADERS).toEqual(fromHelmet)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('sends the same security headers on answers, problems and unknown routes', async () => {
    rig = await startRig()
    const expected = API_HEADERS
    for (const url of [`/books/${DUNE}`, '/books/not-an-isbn', '/no/such/route', '/healthz']) {
      const res = await rig.app.inject({ method: 'GET', url })
      for (const [name, value] of Object.entries(expected)) expect(res.headers[name], `${url} ${name}`).toBe(value)
    }
  })

  it('refuses a body over the global limit with a problem+json 413', async () => {
    rig = await startRig()
    const res = await rig.app.inject({
      method: 'POST', url: '/books/batch', headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ isbns: ['x'.repeat(70 * 1024)] })
    })
    expect(res.statusCode).toBe(413)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  })
})
