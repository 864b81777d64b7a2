import { describe, it, expect } from 'vitest'
import { ConfigError, loadConfig, withUpstreamUrls } from '../src/config.js'

const URLS = {
  PUBLISHER_API_URL: 'http://publisher.internal:8081',
  REVIEWS_API_URL: 'https://reviews.internal/api/',
  RECOMMENDATIONS_API_URL: 'http://127.0.0.1:8083'
}

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env)
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error('expected loadConfig to throw a ConfigError')
}

describe('loadConfig defaults', () => {
  it('uses the documented defaults for an empty environment (demo mode)', () => {
    const config = loadConfig({})
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 3000,
      logLevel: 'info',
      upstreamUrls: undefined,
      sectionProviders: undefined,
      providers: {
        openLibrary: { url: new URL('https://openlibrary.org'), contact: undefined, maxRps: 3, batchMax: 25 },
        googleBooks: { url: new URL('https://www.googleapis.com/books/v1'), apiKey: undefined, maxRps: 2 },
        hardcover: { url: new URL('https://api.hardcover.app/v1/graphql'), token: undefined, maxRps: 1, batchMax: 25 }
      },
      upstreamTimeoutMs: { publisher: 1500, reviews: 1500, recommendations: 1500 },
      requestDeadlineMs: 3000,
      upstreamMaxBodyBytes: 1_048_576,
      resilience: {
        maxConcurrency: 64,
        maxQueue: 256,
        breaker: { consecutiveFailures: 5, failureRate: 0.5, windowMs: 10_000, minCalls: 20, halfOpenAfterMs: 5000 },
        retry: { enabled: true, baseDelayMs: 50 },
        hedge: { enabled: true, minDelayMs: 20, maxRatio: 0.05, maxLoopLagMs: 20, maxLoopUtilization: 0.9 }
      },
      nativeMaxRps: undefined,
      rateLimit: { max: 600, windowMs: 60_000 },
      trustProxy: false,
      loadShedding: { maxEventLoopDelayMs: 1000, maxHeapUsedRatio: 0.9 },
      cache: {
        enabled: true,
        ttlMs: { publisher: 86_400_000, reviews: 300_000, recommendations: 3_600_000 },
        notFoundTtlMs: 60_000,
        staleWhileRevalidateMs: 60_000,
        maxStaleMs: 86_400_000,
        maxBytes: 64 * 1_048_576
      },
      redis: { url: undefined, timeoutMs: 100 },
      batchConcurrency: 8,
      // The demo upstreams serve the batch endpoint: demo mode batches.
      batching: { windowMs: 3, windowShare: 0.1, nativeMax: 25 },
      sseHeartbeatMs: 15_000,
      searchCacheTtlMs: 60_000,
      corsOrigins: ['*'],
      metricsToken: undefined,
      otel: { endpoint: undefined, serviceName: 'book-aggregator' },
      shutdownGraceMs: 5000,
      clientTimeouts: { headersMs: 10_000, requestMs: 30_000, idleMs: 60_000 },
      webConcurrency: 1
    })
  })

  it('reads the resilience, rate limit and shedding variables', () => {
    const config = loadConfig({
      UPSTREAM_MAX_CONCURRENCY: '8', UPSTREAM_MAX_QUEUE: '0', BREAKER_FAILURE_RATE: '0.25',
      HEDGE_ENABLED: 'false', RETRY_ENABLED: '0', RATE_LIMIT_MAX: '0', TRUST_PROXY: '2',
      SHED_MAX_HEAP_USED_RATIO: '0'
    })
    expect(config.resilience.maxConcurrency).toBe(8)
    expect(config.resilience.maxQueue).toBe(0)
    expect(config.resilience.breaker.failureRate).toBe(0.25)
    expect(config.resilience.hedge.enabled).toBe(false)
    expect(config.resilience.retry.enabled).toBe(false)
    expect(config.rateLimit.max).toBe(0)
    expect(config.trustProxy).toBe(2)
    expect(config.loadShedding.maxHeapUsedRatio).toBe(0)
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8, 127.0.0.1')
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true)
  })

  it('names every bad resilience variable at once', () => {
    try {
      loadConfig({ HEDGE_ENABLED: 'maybe', BREAKER_FAILURE_RATE: '2', TRUST_PROXY: 'evil.example', HEDGE_MAX_RATIO: '-1', HEDGE_MAX_LOOP_UTILIZATION: '1.5' })
      expect.unreachable()
    } catch (error) {
      const message = String(error)
      for (const name of ['HEDGE_ENABLED', 'BREAKER_FAILURE_RATE', 'TRUST_PROXY', 'HEDGE_MAX_RATIO', 'HEDGE_MAX_LOOP_UTILIZATION']) expect(message).toContain(name)
    }
  })

  it('treats empty strings as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '', LOG_LEVEL: '', PUBLISHER_API_URL: '', REVIEWS_API_URL: '', RECOMMENDATIONS_API_URL: '' })
    expect(config.port).toBe(3000)
    expect(config.host).toBe('0.0.0.0')
    expect(config.logLevel).toBe('info')
    expect(config.upstreamUrls).toBeUndefined()
  })

  it('reads PORT, HOST, LOG_LEVEL, REQUEST_DEADLINE_MS and UPSTREAM_MAX_BODY_BYTES', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      REQUEST_DEADLINE_MS: '5000',
      UPSTREAM_MAX_BODY_BYTES: '2048'
    })
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', logLevel: 'debug', requestDeadlineMs: 5000, upstreamMaxBodyBytes: 2048 })
  })

  it('trims surrounding whitespace from values', () => {
    expect(loadConfig({ PORT: ' 8080 ', LOG_LEVEL: ' warn ' })).toMatchObject({ port: 8080, logLevel: 'warn' })
  })

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level)
  })
})

describe('loadConfig timeouts', () => {
  it('applies UPSTREAM_TIMEOUT_MS to every source', () => {
    expect(loadConfig({ UPSTREAM_TIMEOUT_MS: '900' }).upstreamTimeoutMs).toEqual({ publisher: 900, reviews: 900, recommendations: 900 })
  })

  it('lets a per-source variable override the shared timeout', () => {
    const config = loadConfig({ UPSTREAM_TIMEOUT_MS: '900', REVIEWS_TIMEOUT_MS: '250' })
    expect(config.upstreamTimeoutMs).toEqual({ publisher: 900, reviews: 250, recommendations: 900 })
  })

  it('reads each per-source override independently of the default', () => {
    const config = loadConfig({ PUBLISHER_TIMEOUT_MS: '100', REVIEWS_TIMEOUT_MS: '200', RECOMMENDATIONS_TIMEOUT_MS: '300' })
    expect(config.upstreamTimeoutMs).toEqual({ publisher: 100, reviews: 200, recommendations: 300 })
  })

  it.each(['0', '-5', '1.5', '1e3', 'abc', '600001', '0x10'])('rejects UPSTREAM_TIMEOUT_MS=%j', (value) => {
    const error = configErrorOf({ UPSTREAM_TIMEOUT_MS: value })
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toContain('UPSTREAM_TIMEOUT_MS')
  })

  it('rejects a bad per-source override, naming it', () => {
    const error = configErrorOf({ RECOMMENDATIONS_TIMEOUT_MS: 'soon' })
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toContain('RECOMMENDATIONS_TIMEOUT_MS')
    expect(error.problems[0]).toContain('"soon"')
  })
})

describe('loadConfig upstream URLs', () => {
  it('turns all three URLs into URL objects', () => {
    const { upstreamUrls } = loadConfig(URLS)
    expect(upstreamUrls).toBeDefined()
    expect(upstreamUrls?.publisher).toBeInstanceOf(URL)
    expect(upstreamUrls?.reviews).toBeInstanceOf(URL)
    expect(upstreamUrls?.recommendations).toBeInstanceOf(URL)
    expect(upstreamUrls?.publisher.href).toBe('http://publisher.internal:8081/')
    expect(upstreamUrls?.reviews.href).toBe('https://reviews.internal/api/')
    expect(upstreamUrls?.recommendations.href).toBe('http://127.0.0.1:8083/')
  })

  it.each([
    [['PUBLISHER_API_URL'], ['REVIEWS_API_URL', 'RECOMMENDATIONS_API_URL']],
    [['REVIEWS_API_URL'], ['PUBLISHER_API_URL', 'RECOMMENDATIONS_API_URL']],
    [['PUBLISHER_API_URL', 'RECOMMENDATIONS_API_URL'], ['REVIEWS_API_URL']],
    [['REVIEWS_API_URL', 'RECOMMENDATIONS_API_URL'], ['PUBLISHER_API_URL']]
  ] as const)('with only %j set, names the missing %j', (set, missing) => {
    const env: Record<string, string> = {}
    for (const name of set) env[name] = URLS[name]
    const error = configErrorOf(env)
    expect(error.problems).toHaveLength(1)
    for (const name of missing) expect(error.problems[0]).toContain(name)
    for (const name of set) expect(error.problems[0]).not.toContain(name)
  })

  it('counts an empty URL variable as unset when the others are set', () => {
    const error = configErrorOf({ ...URLS, REVIEWS_API_URL: '' })
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toContain('REVIEWS_API_URL')
  })

  it('counts a whitespace-only URL variable as unset: all three blank is demo mode', () => {
    // Bug: setCount counts "  " as set while the reader trims it to unset, so upstreamUrls
    // becomes { publisher: undefined, ... } instead of undefined (demo mode).
    const config = loadConfig({ PUBLISHER_API_URL: ' ', REVIEWS_API_URL: ' ', RECOMMENDATIONS_API_URL: ' ' })
    expect(config.upstreamUrls).toBeUndefined()
  })

  it('counts a whitespace-only URL variable as unset: a startup error names it when the others are set', () => {
    // Bug: today this returns a config whose upstreamUrls.reviews is undefined, with no error.
    const error = configErrorOf({ ...URLS, REVIEWS_API_URL: '   ' })
    expect(error.problems.join('\n')).toContain('REVIEWS_API_URL')
  })

  it.each([
    ['ftp scheme', 'ftp://publisher.internal/'],
    ['file scheme', 'file:///etc/passwd'],
    ['garbage', 'not a url'],
    ['no scheme', 'publisher.internal:8081'],
    ['javascript scheme', 'javascript:alert(1)']
  ])('rejects a non-http(s) URL (%s), naming that variable', (_label, value) => {
    const error = configErrorOf({ ...URLS, PUBLISHER_API_URL: value })
    expect(error.problems).toHaveLength(1)
    expect(error.problems[0]).toContain('PUBLISHER_API_URL')
    expect(error.problems[0]).toMatch(/http\(s\)/)
  })

  it('rejects a URL with a query or fragment', () => {
    const error = configErrorOf({ ...URLS, REVIEWS_API_URL: 'http://reviews.internal/?key=1', RECOMMENDATIONS_API_URL: 'http://r.internal/#x' })
    expect(error.problems).toHaveLength(2)
    expect(error.problems.join('\n')).toContain('REVIEWS_API_URL')
    expect(error.problems.join('\n')).toContain('RECOMMENDATIONS_API_URL')
  })

  it('reports a bad URL even when it is the only one set', () => {
    const error = configErrorOf({ REVIEWS_API_URL: 'ftp://x' })
    const all = error.problems.join('\n')
    expect(all).toContain('REVIEWS_API_URL must be an http(s) URL')
    expect(all).toContain('PUBLISHER_API_URL')
    expect(all).toContain('RECOMMENDATIONS_API_URL')
  })
})

describe('loadConfig errors', () => {
  it('collects every bad variable into one ConfigError', () => {
    const error = configErrorOf({ PORT: 'abc', UPSTREAM_TIMEOUT_MS: '-5', LOG_LEVEL: 'loud' })
    expect(error.name).toBe('ConfigError')
    expect(error).toBeInstanceOf(Error)
    expect(error.problems).toHaveLength(3)
    const all = error.problems.join('\n')
    expect(all).toContain('PORT')
    expect(all).toContain('"abc"')
    expect(all).toContain('UPSTREAM_TIMEOUT_MS')
    expect(all).toContain('"-5"')
    expect(all).toContain('LOG_LEVEL')
    expect(all).toContain('"loud"')
    for (const problem of error.problems) expect(error.message).toContain(problem)
  })

  it('collects URL problems together with number problems', () => {
    const error = configErrorOf({ ...URLS, PUBLISHER_API_URL: 'ftp://x', REQUEST_DEADLINE_MS: 'later', PORT: '70000' })
    const all = error.problems.join('\n')
    expect(error.problems).toHaveLength(3)
    expect(all).toContain('PUBLISHER_API_URL')
    expect(all).toContain('REQUEST_DEADLINE_MS')
    expect(all).toContain('PORT')
  })

  it('rejects PORT outside 0..65535 and accepts its bounds', () => {
    expect(configErrorOf({ PORT: '65536' }).problems[0]).toContain('PORT')
    expect(loadConfig({ PORT: '0' }).port).toBe(0)
    expect(loadConfig({ PORT: '65535' }).port).toBe(65_535)
  })

  it('rejects UPSTREAM_MAX_BODY_BYTES below 1024', () => {
    expect(configErrorOf({ UPSTREAM_MAX_BODY_BYTES: '1023' }).problems[0]).toContain('UPSTREAM_MAX_BODY_BYTES')
  })
})

describe('withUpstreamUrls', () => {
  it('fills the URLs of a demo-mode config and keeps everything else', () => {
    const config = loadConfig({ PORT: '4000', REVIEWS_TIMEOUT_MS: '300' })
    const urls = {
      publisher: new URL('http://127.0.0.1:40001'),
      reviews: new URL('http://127.0.0.1:40002'),
      recommendations: new URL('http://127.0.0.1:40003')
    }
    const filled = withUpstreamUrls(config, urls)
    expect(filled.upstreamUrls).toEqual(urls)
    expect(filled).toEqual({ ...config, upstreamUrls: urls })
    expect(config.upstreamUrls).toBeUndefined()
  })
})

describe('loadConfig OpenTelemetry', () => {
  it('reads OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_SERVICE_NAME', () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'books-eu' })
    expect(config.otel.endpoint?.href).toBe('http://collector:4318/')
    expect(config.otel.serviceName).toBe('books-eu')
  })

  it('rejects an endpoint that is not an http(s) URL', () => {
    expect(configErrorOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }).message).toContain('OTEL_EXPORTER_OTLP_ENDPOINT')
  })
})

describe('loadConfig providers', () => {
  it('has no section providers when none of the *_PROVIDERS is set: native on the URLs, or the demo', () => {
    expect(loadConfig(URLS).sectionProviders).toBeUndefined()
    expect(loadConfig({}).sectionProviders).toBeUndefined()
  })

  it('BOOK_PROVIDERS=openlibrary serves every section from Open Library, with its defaults', () => {
    const config = loadConfig({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_CONTACT: 'ops@library.example' })
    expect(config.sectionProviders).toEqual({ publisher: ['openlibrary'], reviews: ['openlibrary'], recommendations: ['openlibrary'] })
    expect(config.providers.openLibrary).toEqual({ url: new URL('https://openlibrary.org'), contact: 'ops@library.example', maxRps: 3, batchMax: 25 })
  })

  it('per-section lists override BOOK_PROVIDERS, in their order; a section without one falls back to it', () => {
    const config = loadConfig({
      BOOK_PROVIDERS: 'openlibrary,googlebooks', REVIEWS_PROVIDERS: 'hardcover, openlibrary',
      OPENLIBRARY_CONTACT: 'https://library.example/contact', GOOGLEBOOKS_API_KEY: 'k', HARDCOVER_TOKEN: 't',
      HARDCOVER_MAX_RPS: '0.5', OPENLIBRARY_URL: 'http://127.0.0.1:9000'
    })
    expect(config.sectionProviders).toEqual({
      publisher: ['openlibrary', 'googlebooks'],
      reviews: ['hardcover', 'openlibrary'],
      // Google Books has no recommendations: BOOK_PROVIDERS' other names serve it.
      recommendations: ['openlibrary']
    })
    expect(config.providers.hardcover.maxRps).toBe(0.5)
    expect(config.providers.openLibrary.url.href).toBe('http://127.0.0.1:9000/')
  })

  it('a section nobody lists is native (the demo upstreams when no *_API_URL is set)', () => {
    const config = loadConfig({ REVIEWS_PROVIDERS: 'hardcover', HARDCOVER_TOKEN: 't' })
    expect(config.sectionProviders).toEqual({ publisher: ['native'], reviews: ['hardcover'], recommendations: ['native'] })
    expect(config.upstreamUrls).toBeUndefined()
  })

  it('names every provider problem at once: unknown names, sections they cannot serve, missing contact, key and token', () => {
    const error = configErrorOf({
      PUBLISHER_PROVIDERS: 'openlibrary,isbndb',
      RECOMMENDATIONS_PROVIDERS: 'googlebooks',
      REVIEWS_PROVIDERS: 'hardcover,hardcover',
      OPENLIBRARY_MAX_RPS: 'fast'
    })
    expect(error.problems).toEqual([
      'OPENLIBRARY_MAX_RPS must be a number from 0.01 to 1000, got "fast"',
      'PUBLISHER_PROVIDERS names unknown provider "isbndb" (known: native, openlibrary, googlebooks, hardcover)',
      'REVIEWS_PROVIDERS lists hardcover more than once',
      'RECOMMENDATIONS_PROVIDERS: googlebooks cannot serve recommendations (googlebooks serves publisher, reviews)',
      'OPENLIBRARY_CONTACT must be set to use Open Library: an e-mail address or URL for the User-Agent it requires',
      'GOOGLEBOOKS_API_KEY must be set to use Google Books (keyless calls share a quota that is nearly always spent)',
      'HARDCOVER_TOKEN must be set to use Hardcover (a bearer token from hardcover.app/account/api)'
    ])
  })

  it('refuses a BOOK_PROVIDERS that leaves a section with nobody, an empty list, and a contact that is neither mail nor URL', () => {
    expect(configErrorOf({ BOOK_PROVIDERS: 'googlebooks', GOOGLEBOOKS_API_KEY: 'k' }).problems)
      .toEqual(['BOOK_PROVIDERS: none of googlebooks can serve recommendations; set RECOMMENDATIONS_PROVIDERS too'])
    expect(configErrorOf({ BOOK_PROVIDERS: ' , ' }).problems[0]).toContain('BOOK_PROVIDERS must name at least one provider')
    expect(configErrorOf({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_CONTACT: 'me' }).problems)
      .toEqual(['OPENLIBRARY_CONTACT must be an e-mail address or an http(s) URL, got "me"'])
  })

  it('never puts a key or token into a message', () => {
    const error = configErrorOf({ BOOK_PROVIDERS: 'hardcover', HARDCOVER_TOKEN: 'secret-token', HARDCOVER_URL: 'ftp://x' })
    expect(error.message).not.toContain('secret-token')
  })
})

describe('loadConfig timeouts with public providers', () => {
  it('defaults to longer timeouts when a public provider serves a section (a chain of rate-limited requests)', () => {
    const config = loadConfig({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_CONTACT: 'ops@library.example' })
    expect(config.upstreamTimeoutMs).toEqual({ publisher: 4000, reviews: 4000, recommendations: 4000 })
    expect(config.requestDeadlineMs).toBe(5000)
    expect(loadConfig({ BOOK_PROVIDERS: 'native', ...URLS }).requestDeadlineMs).toBe(3000)
    expect(loadConfig({ BOOK_PROVIDERS: 'openlibrary', OPENLIBRARY_CONTACT: 'a@b.c', UPSTREAM_TIMEOUT_MS: '900' }).upstreamTimeoutMs.reviews).toBe(900)
  })
})

describe('loadConfig batching', () => {
  it('keeps the native batch endpoint off for configured upstreams, which may not serve it', () => {
    expect(loadConfig(URLS).batching.nativeMax).toBe(0)
  })

  it('takes NATIVE_BATCH_MAX, the window settings and NATIVE_MAX_RPS', () => {
    const config = loadConfig({ ...URLS, NATIVE_BATCH_MAX: '50', BATCH_WINDOW_MS: '8', BATCH_WINDOW_SHARE: '0.2', NATIVE_MAX_RPS: '3' })
    expect(config.batching).toEqual({ windowMs: 8, windowShare: 0.2, nativeMax: 50 })
    expect(config.nativeMaxRps).toBe(3)
  })

  it('lets demo mode switch batching off with NATIVE_BATCH_MAX=0', () => {
    expect(loadConfig({ NATIVE_BATCH_MAX: '0' }).batching.nativeMax).toBe(0)
  })

  it.each([['NATIVE_BATCH_MAX', '-1'], ['BATCH_WINDOW_SHARE', '2'], ['NATIVE_MAX_RPS', '0'], ['OPENLIBRARY_BATCH_MAX', '51']])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ ...URLS, [name]: value })).toThrow(ConfigError)
  })
})
