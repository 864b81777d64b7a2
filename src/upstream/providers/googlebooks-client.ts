import type { FetchResult } from '../../domain/outcome.js'
import type { ProviderClientOptions, StatusAnswer } from '../provider-client.js'
import { parseRetryAfter } from '../retry-after.js'

export interface GoogleBooksClientSettings {
  readonly baseUrl: URL
  readonly apiKey: string
  readonly maxBodyBytes: number
  readonly connections: number
}

// Google's reasons for a spent quota; it sends them with 429, and sometimes with 400 or 403.
const QUOTA_REASONS = /"(?:rateLimitExceeded|userRateLimitExceeded|dailyLimitExceeded|quotaExceeded|RATE_LIMIT_EXCEEDED|RESOURCE_EXHAUSTED)"/
// Daily quotas reset at midnight Pacific time; without a Retry-After, try again in a minute.
const QUOTA_PAUSE_MS = 60_000

/**
 * Google Books' client settings: the API key rides in the query (never in a detail or a log).
 * A spent quota is `rate_limited` whatever its status (429, or 400/403 with a quota reason in
 * the body), and pauses the host; a bad key (400 without such a reason) is an `error`.
 */
export function googleBooksClientOptions(settings: GoogleBooksClientSettings): ProviderClientOptions {
  return {
    name: 'googlebooks',
    baseUrl: settings.baseUrl,
    maxBodyBytes: settings.maxBodyBytes,
    connections: settings.connections,
    headers: {},
    query: { key: settings.apiKey },
    classify(answer: StatusAnswer): FetchResult | undefined {
      const quota = answer.statusCode === 429 || ((answer.statusCode === 400 || answer.statusCode === 403) && QUOTA_REASONS.test(answer.bodyText ?? ''))
      if (!quota) return undefined
      const retryAfterMs = parseRetryAfter(answer.headers['retry-after']) ?? QUOTA_PAUSE_MS
      return {
        status: 'rate_limited',
        httpStatus: answer.statusCode,
        detail: `googlebooks quota exhausted (HTTP ${answer.statusCode}); pausing it for ${Math.ceil(retryAfterMs / 1000)} s`,
        retryAfterMs
      }
    }
  }
}
