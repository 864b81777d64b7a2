import type { FetchResult } from '../../domain/outcome.js'
import type { ProviderClientOptions, StatusAnswer } from '../provider-client.js'

export interface ProviderLogger {
  error(fields: object, message: string): void
}

export interface OpenLibraryClientSettings {
  readonly baseUrl: URL
  /** An e-mail address or URL where Open Library can reach whoever runs this service. */
  readonly contact: string
  readonly maxBodyBytes: number
  readonly connections: number
}

// Open Library's guidance is `AppName/1.0 (url; contact)`; the service has no URL of its own to
// name, so the operator's contact (an e-mail address or URL) is what identifies it.
const APP = 'book-aggregator/0.1.0'

/**
 * Open Library's client settings: a User-Agent naming a contact (required by Open Library; the
 * config refuses to start without one). Its 403, an nginx HTML page, means the User-Agent was
 * refused: a configuration problem, not a failing upstream. It is logged once, at `error`, and
 * settles `error` without a retry (4xx are never retried).
 */
export function openLibraryClientOptions(settings: OpenLibraryClientSettings, log: ProviderLogger): ProviderClientOptions {
  let told = false
  return {
    name: 'openlibrary',
    baseUrl: settings.baseUrl,
    maxBodyBytes: settings.maxBodyBytes,
    connections: settings.connections,
    headers: { 'user-agent': `${APP} (${settings.contact})` },
    classify(answer: StatusAnswer): FetchResult | undefined {
      if (answer.statusCode !== 403) return undefined
      if (!told) {
        told = true
        log.error({ provider: 'openlibrary', httpStatus: 403 },
          'Open Library refused our User-Agent (403): check OPENLIBRARY_CONTACT (an e-mail address or URL Open Library accepts)')
      }
      return { status: 'error', httpStatus: 403, detail: 'openlibrary refused the request (403): the User-Agent contact was not accepted' }
    }
  }
}
