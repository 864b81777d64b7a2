import { describe, expect, it } from 'vitest'
import { expectMatchesContract } from './contract.js'

// The contract check guards every other test; it must be able to fail.
describe('expectMatchesContract', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' }

  it('rejects a BookView that breaks the schema', () => {
    const body = JSON.stringify({ isbn: '123', sources: {}, complete: 'yes' })
    expect(() => expectMatchesContract('/books/{isbn}', 'GET', { statusCode: 200, headers: json, body })).toThrow()
  })

  it('rejects a status the route does not declare', () => {
    expect(() => expectMatchesContract('/healthz', 'GET', { statusCode: 302, headers: json, body: '{}' })).toThrow()
  })

  it('falls back to a declared status range (4XX), and holds the body to it', () => {
    const problem = { 'content-type': 'application/problem+json' }
    const body = JSON.stringify({ type: 'about:blank', title: "I'm a Teapot", status: 418, detail: 'No coffee.' })
    expectMatchesContract('/healthz', 'GET', { statusCode: 418, headers: problem, body })
    expect(() => expectMatchesContract('/healthz', 'GET', { statusCode: 418, headers: json, body: '{}' })).toThrow()
    expect(() => expectMatchesContract('/healthz', 'GET', { statusCode: 418, headers: problem, body: '{"status":418}' })).toThrow()
  })

  it('rejects an undeclared media type', () => {
    const headers = { 'content-type': 'text/html' }
    expect(() => expectMatchesContract('/healthz', 'GET', { statusCode: 200, headers, body: '<p>ok</p>' })).toThrow()
  })

  it('accepts a valid health answer', () => {
    expectMatchesContract('/healthz', 'GET', { statusCode: 200, headers: json, body: '{"status":"ok"}' })
  })
})
