import helmet, { type HelmetOptions } from 'helmet'

/**
 * helmet, set for a JSON API read cross-origin by library frontends: no CSP here (the demo
 * page sets its own), resources may be embedded cross-origin (CORS decides who reads them),
 * and no HSTS (TLS ends at the load balancer, which owns that header).
 */
export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  crossOriginEmbedderPolicy: false,
  strictTransportSecurity: false
}

/**
 * The headers helmet sets with these options, computed once. They depend on nothing in the
 * request, and @fastify/helmet rebuilds the whole helmet middleware on every request, which
 * cost a quarter of the CPU of a cached answer; helmet still decides every header and value.
 */
export function helmetHeaders(options: Readonly<HelmetOptions> = HELMET_OPTIONS): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string) {
      headers[name.toLowerCase()] = value
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    }
  }
  let failure: unknown
  // helmet's middleware only sets and removes response headers, synchronously.
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    failure = error
  })
  if (failure !== undefined) throw failure
  return Object.freeze(headers)
}

/**
 * What every response carries: the set the OWASP REST Security Cheat Sheet asks of API
 * responses (HSTS belongs to the load balancer). helmet's other headers act only on HTML
 * documents (referrer, popups, DNS prefetch, IE downloads, Flash policies); on each JSON answer
 * they were 7 of its 24 headers and 8% of a cached answer's CPU (interleaved A/B, 8 rounds).
 * Framing a JSON answer has no use, so DENY rather than helmet's SAMEORIGIN.
 */
export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'cross-origin'
})

/** helmet's full set, for the routes that serve HTML (the demo page, /docs); they set it themselves. */
export const DOCUMENT_HEADERS = helmetHeaders()
