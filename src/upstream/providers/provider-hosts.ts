import type { UpstreamObserver } from '../../domain/observer.js'
import type { ProviderName } from '../../domain/providers.js'
import type { ProvidersConfig } from '../../config-providers.js'
import { ProviderClient } from '../provider-client.js'
import type { MicroBatchOptions } from '../micro-batcher.js'
import { UpstreamHost, type PolicyLogger, type ResiliencePolicies } from '../upstream-host.js'
import { googleBooksClientOptions } from './googlebooks-client.js'
import { googleBooksSections } from './googlebooks-source.js'
import { hardcoverClientOptions } from './hardcover-client.js'
import { hardcoverSections } from './hardcover-source.js'
import { openLibraryClientOptions, type ProviderLogger } from './openlibrary-client.js'
import { openLibrarySections } from './openlibrary-source.js'
import type { ProviderSections } from './provider-sections.js'

// Public providers allow a few requests a second: a few sockets are plenty.
const CONNECTIONS_PER_PROVIDER = 16

export interface PublicProvider {
  readonly host: UpstreamHost
  readonly sections: ProviderSections
}

export interface PublicProviderOptions {
  readonly providers: ProvidersConfig
  readonly resilience: ResiliencePolicies
  readonly maxBodyBytes: number
  readonly log: PolicyLogger & ProviderLogger
  readonly observer: UpstreamObserver
  /** Batching of the endpoints that take many ISBNs (given each provider's maximum; undefined = off). */
  readonly batchOptions: (maxSize: number) => MicroBatchOptions | undefined
}

/**
 * One public provider: its host (policies and rate budget, shared by every section it serves),
 * its JSON client over one pool, and its adapter. The config has checked that what the
 * provider needs (contact, key, token) is there.
 */
export function createPublicProvider(name: Exclude<ProviderName, 'native'>, options: PublicProviderOptions): PublicProvider {
  const { providers, resilience, maxBodyBytes, log, observer } = options
  const base = { maxBodyBytes, connections: CONNECTIONS_PER_PROVIDER }
  switch (name) {
    case 'openlibrary': {
      const host = new UpstreamHost(name, { ...resilience, maxRps: providers.openLibrary.maxRps }, log, observer)
      const client = new ProviderClient(openLibraryClientOptions({ ...base, baseUrl: providers.openLibrary.url, contact: providers.openLibrary.contact ?? '' }, log), host)
      return { host, sections: openLibrarySections(client, options.batchOptions(providers.openLibrary.batchMax)) }
    }
    case 'googlebooks': {
      const host = new UpstreamHost(name, { ...resilience, maxRps: providers.googleBooks.maxRps }, log, observer)
      const client = new ProviderClient(googleBooksClientOptions({ ...base, baseUrl: providers.googleBooks.url, apiKey: providers.googleBooks.apiKey ?? '' }), host)
      return { host, sections: googleBooksSections(client) }
    }
    case 'hardcover': {
      const host = new UpstreamHost(name, { ...resilience, maxRps: providers.hardcover.maxRps }, log, observer)
      const client = new ProviderClient(hardcoverClientOptions({ ...base, baseUrl: providers.hardcover.url, token: providers.hardcover.token ?? '' }), host)
      return { host, sections: hardcoverSections(client, options.batchOptions(providers.hardcover.batchMax)) }
    }
  }
}
