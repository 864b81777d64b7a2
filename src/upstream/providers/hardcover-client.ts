import type { FetchResult } from '../../domain/outcome.js'
import type { ProviderClientOptions, StatusAnswer } from '../provider-client.js'

export interface HardcoverClientSettings {
  readonly baseUrl: URL
  /** A user's bearer token (they expire after a year). Backend only: never logged, never echoed. */
  readonly token: string
  readonly maxBodyBytes: number
  readonly connections: number
}

/** Hardcover's client settings: GraphQL over POST with the bearer token; a refused token is an `error` naming no token. */
export function hardcoverClientOptions(settings: HardcoverClientSettings): ProviderClientOptions {
  return {
    name: 'hardcover',
    baseUrl: settings.baseUrl,
    maxBodyBytes: settings.maxBodyBytes,
    connections: settings.connections,
    headers: { authorization: `Bearer ${settings.token}` },
    classify(answer: StatusAnswer): FetchResult | undefined {
      if (answer.statusCode !== 401 && answer.statusCode !== 403) return undefined
      return { status: 'error', httpStatus: answer.statusCode, detail: `hardcover refused the token (HTTP ${answer.statusCode}): check HARDCOVER_TOKEN` }
    }
  }
}
