import type { LevelWithSilent } from 'pino'
import { readProvidersConfig, readSectionProviders, type ProvidersConfig, type SectionProviders } from './config-providers.js'
import { SOURCE_NAMES, type SourceName } from './domain/sources.js'
import type { ResiliencePolicies } from './upstream/resilient-source.js'

export interface Config {
  readonly host: string
  readonly port: number
  readonly logLevel: LevelWithSilent
  /** Base URL per upstream; `undefined` = demo mode: the server starts the demo upstreams and fills these in. */
  readonly upstreamUrls: Readonly<Record<SourceName, URL>> | undefined
  /**
   * Provider mode: which providers serve each section, in order (BOOK_PROVIDERS & co.).
   * `undefined` = none set: every section is `native`, on the URLs above or the demo upstreams.
   * A `native` section in provider mode uses those URLs too (the demo ones when unset).
   */
  readonly sectionProviders: SectionProviders | undefined
  readonly providers: ProvidersConfig
  readonly upstreamTimeoutMs: Readonly<Record<SourceName, number>>
  readonly requestDeadlineMs: number
  readonly upstreamMaxBodyBytes: number
  /** Per-upstream policies; every upstream gets its own instance of each. */
  readonly resilience: ResiliencePolicies
  /** Outbound requests per second to each native upstream (a company's service may be limited too); undefined = no budget. */
  readonly nativeMaxRps: number | undefined
  readonly rateLimit: { readonly max: number; readonly windowMs: number }
  /** Fastify's `trustProxy`: false, true, a hop count, or a list of trusted addresses. */
  readonly trustProxy: boolean | number | string
  readonly loadShedding: { readonly maxEventLoopDelayMs: number; readonly maxHeapUsedRatio: number }
  readonly cache: CacheConfig
  readonly batchConcurrency: number
  /** Lookups of different books sharing one upstream call (upstream/micro-batcher.ts). */
  readonly batching: BatchingConfig
  readonly sseHeartbeatMs: number
  readonly searchCacheTtlMs: number
  readonly corsOrigins: readonly string[]
  /** Slow or idle clients: how long we wait for headers, for a whole request, and on an idle socket. */
  readonly clientTimeouts: { readonly headersMs: number; readonly requestMs: number; readonly idleMs: number }
  /** Time between "not ready" and closing the listener, for load balancers to notice. */
  readonly shutdownGraceMs: number
  /** Worker processes (node:cluster); 1 runs the app in this process. */
  readonly webConcurrency: number
  /** Bearer token `/metrics` requires; open when unset. */
  readonly metricsToken: string | undefined
  /** `url` undefined: no Redis, the cache is in memory only and rate limits are per replica. */
  readonly redis: { readonly url: string | undefined; readonly timeoutMs: number }
  /** `endpoint` undefined: no span is exported and OpenTelemetry is not loaded. */
  readonly otel: { readonly endpoint: URL | undefined; readonly serviceName: string }
}

export interface BatchingConfig {
  /** How long a batch's first lookup waits for others. */
  readonly windowMs: number
  /** ...at most this share of the time the lookup has left. */
  readonly windowShare: number
  /** The native upstreams' batch endpoint (`GET /books?isbn=…`): the most ISBNs per call; 0 = not served. */
  readonly nativeMax: number
}

export interface CacheConfig {
  readonly enabled: boolean
  readonly ttlMs: Readonly<Record<SourceName, number>>
  readonly notFoundTtlMs: number
  readonly staleWhileRevalidateMs: number
  readonly maxStaleMs: number
  readonly maxBytes: number
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'ConfigError'
  }
}

const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const URL_VARIABLES: Readonly<Record<SourceName, string>> = {
  publisher: 'PUBLISHER_API_URL',
  reviews: 'REVIEWS_API_URL',
  recommendations: 'RECOMMENDATIONS_API_URL'
}
const CACHE_TTL_VARIABLES: Readonly<Record<SourceName, [string, number]>> = {
  publisher: ['CACHE_TTL_PUBLISHER_S', 86_400],
  reviews: ['CACHE_TTL_REVIEWS_S', 300],
  recommendations: ['CACHE_TTL_RECOMMENDATIONS_S', 3600]
}
const DAY_S = 86_400
const TIMEOUT_VARIABLES: Readonly<Record<SourceName, string>> = {
  publisher: 'PUBLISHER_TIMEOUT_MS',
  reviews: 'REVIEWS_TIMEOUT_MS',
  recommendations: 'RECOMMENDATIONS_TIMEOUT_MS'
}

type Env = Readonly<Record<string, string | undefined>>

/**
 * Reads the environment once. Collects every problem before failing so an operator fixes
 * the whole deployment in one go instead of one variable per restart.
 */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = []
  const read = new EnvReader(env, problems)

  const providers = readProvidersConfig(read)
  const sectionProviders = readSectionProviders(read, providers, problems)
  // A public provider's section is a chain of requests under a rate budget (Open Library: ISBN →
  // edition → work, then authors, ratings, subject at 3 per second): it needs longer defaults.
  const publicProviders = sectionProviders !== undefined && SOURCE_NAMES.some((s) => sectionProviders[s].some((p) => p !== 'native'))
  const upstreamTimeoutDefault = read.integer('UPSTREAM_TIMEOUT_MS', publicProviders ? 4000 : 1500, 1, 600_000)
  const upstreamTimeoutMs = mapSources((s) =>
    read.integer(TIMEOUT_VARIABLES[s], upstreamTimeoutDefault, 1, 600_000))

  const urls = mapSources((s) => read.httpUrl(URL_VARIABLES[s]))
  const setCount = SOURCE_NAMES.filter((s) => read.isSet(URL_VARIABLES[s])).length
  if (setCount > 0 && setCount < SOURCE_NAMES.length) {
    const missing = SOURCE_NAMES.filter((s) => !read.isSet(URL_VARIABLES[s])).map((s) => URL_VARIABLES[s])
    problems.push(`${missing.join(', ')} must be set too: set all three upstream URLs, or none for demo mode`)
  }

  const logLevel = read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS) as LevelWithSilent
  const config: Config = {
    host: read.string('HOST', '0.0.0.0'),
    port: read.integer('PORT', 3000, 0, 65_535),
    logLevel,
    upstreamUrls: setCount === SOURCE_NAMES.length ? (urls as Record<SourceName, URL>) : undefined,
    sectionProviders,
    providers,
    upstreamTimeoutMs,
    requestDeadlineMs: read.integer('REQUEST_DEADLINE_MS', publicProviders ? 5000 : 3000, 1, 600_000),
    upstreamMaxBodyBytes: read.integer('UPSTREAM_MAX_BODY_BYTES', 1_048_576, 1024, 512 * 1_048_576),
    resilience: {
      maxConcurrency: read.integer('UPSTREAM_MAX_CONCURRENCY', 64, 1, 10_000),
      maxQueue: read.integer('UPSTREAM_MAX_QUEUE', 256, 0, 100_000),
      breaker: {
        consecutiveFailures: read.integer('BREAKER_CONSECUTIVE_FAILURES', 5, 1, 10_000),
        failureRate: read.number('BREAKER_FAILURE_RATE', 0.5, 0.01, 1),
        windowMs: read.integer('BREAKER_WINDOW_MS', 10_000, 1000, 600_000),
        minCalls: read.integer('BREAKER_MIN_CALLS', 20, 1, 1_000_000),
        halfOpenAfterMs: read.integer('BREAKER_HALF_OPEN_AFTER_MS', 5000, 10, 600_000)
      },
      retry: {
        enabled: read.boolean('RETRY_ENABLED', true),
        baseDelayMs: read.integer('RETRY_BASE_DELAY_MS', 50, 0, 10_000)
      },
      hedge: {
        enabled: read.boolean('HEDGE_ENABLED', true),
        minDelayMs: read.integer('HEDGE_MIN_DELAY_MS', 20, 1, 60_000),
        maxRatio: read.number('HEDGE_MAX_RATIO', 0.05, 0, 1),
        maxLoopLagMs: read.integer('HEDGE_MAX_LOOP_LAG_MS', 20, 1, 60_000),
        maxLoopUtilization: read.number('HEDGE_MAX_LOOP_UTILIZATION', 0.9, 0, 1)
      }
    },
    rateLimit: {
      max: read.integer('RATE_LIMIT_MAX', 600, 0, 100_000_000),
      windowMs: read.integer('RATE_LIMIT_WINDOW_MS', 60_000, 1000, 86_400_000)
    },
    trustProxy: read.trustProxy('TRUST_PROXY'),
    loadShedding: {
      maxEventLoopDelayMs: read.integer('SHED_MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
      maxHeapUsedRatio: read.number('SHED_MAX_HEAP_USED_RATIO', 0.9, 0, 1)
    },
    cache: {
      enabled: read.boolean('CACHE_ENABLED', true),
      ttlMs: mapSources((s) => 1000 * read.integer(CACHE_TTL_VARIABLES[s][0], CACHE_TTL_VARIABLES[s][1], 1, 30 * DAY_S)),
      notFoundTtlMs: 1000 * read.integer('CACHE_TTL_NOT_FOUND_S', 60, 0, DAY_S),
      staleWhileRevalidateMs: 1000 * read.integer('CACHE_STALE_WHILE_REVALIDATE_S', 60, 0, DAY_S),
      maxStaleMs: 1000 * read.integer('CACHE_MAX_STALE_S', DAY_S, 0, 30 * DAY_S),
      maxBytes: read.integer('CACHE_MAX_BYTES', 64 * 1_048_576, 1_048_576, 64 * 1_073_741_824)
    },
    batchConcurrency: read.integer('BATCH_CONCURRENCY', 8, 1, 100),
    batching: {
      windowMs: read.integer('BATCH_WINDOW_MS', 3, 0, 1000),
      windowShare: read.number('BATCH_WINDOW_SHARE', 0.1, 0, 1),
      // Off for configured upstreams, which may not serve the batch endpoint; the demo ones do.
      nativeMax: read.integer('NATIVE_BATCH_MAX', setCount === SOURCE_NAMES.length ? 0 : DEMO_NATIVE_BATCH_MAX, 0, 1000)
    },
    nativeMaxRps: read.isSet('NATIVE_MAX_RPS') ? read.number('NATIVE_MAX_RPS', 0, 0.01, 100_000) : undefined,
    sseHeartbeatMs: read.integer('SSE_HEARTBEAT_MS', 15_000, 100, 600_000),
    searchCacheTtlMs: 1000 * read.integer('SEARCH_CACHE_TTL_S', 60, 0, DAY_S),
    corsOrigins: read.origins('CORS_ORIGINS'),
    metricsToken: read.optionalString('METRICS_TOKEN'),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 5000, 0, 600_000),
    clientTimeouts: {
      headersMs: read.integer('CLIENT_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
      requestMs: read.integer('CLIENT_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
      idleMs: read.integer('CLIENT_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000)
    },
    webConcurrency: read.integer('WEB_CONCURRENCY', 1, 1, 64),
    redis: {
      url: read.redisUrl('REDIS_URL'),
      timeoutMs: read.integer('REDIS_TIMEOUT_MS', 100, 1, 60_000)
    },
    otel: {
      endpoint: read.httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT'),
      serviceName: read.string('OTEL_SERVICE_NAME', 'book-aggregator')
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return config
}

/** What the demo upstreams take per batch call (src/demo/demo-upstreams.ts serves the endpoint). */
const DEMO_NATIVE_BATCH_MAX = 25

/** Demo mode: the server learns the demo upstreams' ports only after starting them. */
export function withUpstreamUrls(config: Config, urls: Readonly<Record<SourceName, URL>>): Config {
  return { ...config, upstreamUrls: urls }
}

function mapSources<T>(fn: (source: SourceName) => T): Record<SourceName, T> {
  return { publisher: fn('publisher'), reviews: fn('reviews'), recommendations: fn('recommendations') }
}

class EnvReader {
  constructor(private readonly env: Env, private readonly problems: string[]) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }

  /** Blank counts as unset: `FOO=` or `FOO=" "` in a compose file means "not configured". */
  isSet(name: string): boolean {
    return this.raw(name) !== undefined
  }

  optionalString(name: string): string | undefined {
    return this.raw(name)
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name)
    if (value === undefined) return fallback
    const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${value}"`)
      return fallback
    }
    return parsed
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name)
    if (value === undefined) return fallback
    const parsed = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN
    if (!(parsed >= min && parsed <= max)) {
      this.problems.push(`${name} must be a number from ${min} to ${max}, got "${value}"`)
      return fallback
    }
    return parsed
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase()
    if (value === undefined) return fallback
    if (value === 'true' || value === '1') return true
    if (value === 'false' || value === '0') return false
    this.problems.push(`${name} must be true or false, got "${value}"`)
    return fallback
  }

  /** `*` (default) or a comma-separated list of exact origins such as https://library.example. */
  origins(name: string): readonly string[] {
    const value = this.raw(name)
    if (value === undefined || value === '*') return ['*']
    const origins = value.split(',').map((o) => o.trim()).filter((o) => o !== '')
    const bad = origins.filter((o) => !/^https?:\/\/[^/\s]+$/.test(o))
    if (origins.length === 0 || bad.length > 0) {
      this.problems.push(`${name} must be * or a comma-separated list of origins like https://library.example, got "${value}"`)
      return ['*']
    }
    return origins
  }

  redisUrl(name: string): string | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    if (!/^rediss?:\/\/\S+$/.test(value)) {
      this.problems.push(`${name} must be a redis:// or rediss:// URL`)
      return undefined
    }
    return value
  }

  /** `false` (default), `true`, a hop count, or a comma-separated list of addresses/CIDRs. */
  trustProxy(name: string): boolean | number | string {
    const value = this.raw(name)
    if (value === undefined || value.toLowerCase() === 'false') return false
    if (value.toLowerCase() === 'true') return true
    if (/^\d+$/.test(value)) return Number(value)
    if (/^[0-9a-fA-F.:/, ]+$/.test(value)) return value
    this.problems.push(`${name} must be true, false, a hop count or a list of addresses, got "${value}"`)
    return false
  }

  oneOf(name: string, fallback: string, allowed: readonly string[]): string {
    const value = this.raw(name)
    if (value === undefined) return fallback
    if (!allowed.includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`)
      return fallback
    }
    return value
  }

  httpUrl(name: string): URL | undefined {
    const value = this.raw(name)
    if (value === undefined) return undefined
    let url: URL | undefined
    try {
      url = new URL(value)
    } catch {
      url = undefined
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      this.problems.push(`${name} must be an http(s) URL, got "${value}"`)
      return undefined
    }
    if (url.search !== '' || url.hash !== '') {
      this.problems.push(`${name} must not carry a query or fragment, got "${value}"`)
      return undefined
    }
    return url
  }
}
