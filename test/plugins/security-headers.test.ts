import { afterEach, describe, expect, it } from 'vitest'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('security headers', () => {
  it('sets helmet headers fit for a cross-origin JSON API', async () => {
    rig = await startRig()
    const res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin')
    expect(res.headers['x-powered-by']).toBeUndefined()
    // The API sets no CSP of its own (the demo page has its own).
    expect(res.headers['content-security-policy']).toBeUndefined()
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
