import type { BookSources } from './aggregate/gather-sources.js'
import { MergedSection, type SectionProvider } from './aggregate/merged-section.js'
import type { SearchSource } from './aggregate/search-books.js'
import type { CacheWrap } from './book-sources.js'
import type { SectionProviders } from './config-providers.js'
import type { Config } from './config.js'
import type { UpstreamObserver } from './domain/observer.js'
import type { ProviderName } from './domain/providers.js'
import { SOURCE_NAMES, type SourceName } from './domain/sources.js'
import type { BreakerState } from './upstream/policies/circuit-breaker.js'
import type { ProviderLogger } from './upstream/providers/openlibrary-client.js'
import { createPublicProvider, type PublicProvider } from './upstream/providers/provider-hosts.js'
import type { ResilientSource } from './upstream/resilient-source.js'
import { closeUpstreamClients, createResilientSources, createUpstreamClients } from './upstream/upstream-clients.js'
import type { HostHealth, PolicyLogger } from './upstream/upstream-host.js'
import { nativeBatchOptions, nativeHostPolicies } from './upstream-options.js'

const CONNECTIONS_PER_UPSTREAM = 128

export interface ProviderSectionStack {
  readonly sources: BookSources
  readonly resilient: Readonly<Record<SourceName, HostHealth>>
  readonly search: SearchSource
  close(): Promise<void>
}

/**
 * Provider mode: each provider once (one host, one pool, one adapter, whatever number of
 * sections it serves), each section a MergedSection over its providers in the configured
 * order, each provider's part of a section cached under its own key (`openlibrary:reviews:…`).
 */
export function createProviderSections(
  config: Config, sectionProviders: SectionProviders, urls: Readonly<Record<SourceName, URL>> | undefined,
  log: PolicyLogger & ProviderLogger, observer: UpstreamObserver, cache: CacheWrap
): ProviderSectionStack {
  const used = new Set(SOURCE_NAMES.flatMap((section) => sectionProviders[section]))
  const closers: Array<() => Promise<void>> = []
  let native: Readonly<Record<SourceName, ResilientSource>> | undefined
  if (used.has('native')) {
    if (urls === undefined) throw new TypeError('native upstreams need their URLs (or the demo upstreams)')
    const clients = createUpstreamClients({
      urls, maxBodyBytes: config.upstreamMaxBodyBytes, connectionsPerUpstream: Math.max(CONNECTIONS_PER_UPSTREAM, config.resilience.maxConcurrency)
    })
    native = createResilientSources(clients, nativeHostPolicies(config), log, observer, nativeBatchOptions(config))
    closers.push(() => closeUpstreamClients(clients))
  }
  const publicProviders = new Map<ProviderName, PublicProvider>()
  for (const name of used) {
    if (name === 'native') continue
    const provider = createPublicProvider(name, {
      providers: config.providers, resilience: config.resilience, maxBodyBytes: config.upstreamMaxBodyBytes, log, observer
    })
    publicProviders.set(name, provider)
    closers.push(() => provider.sections.close())
  }

  const sectionOf = (section: SourceName): MergedSection => new MergedSection(section, sectionProviders[section].map((provider): SectionProvider => {
    if (provider === 'native') return { provider, source: cache(section, (native as Record<SourceName, ResilientSource>)[section]) }
    const source = publicProviders.get(provider)?.sections[section]
    if (source === undefined) throw new TypeError(`${provider} cannot serve ${section}`)
    return { provider, source: cache(section, source, `${provider}:${section}`) }
  }))
  const healthOf = (section: SourceName): HostHealth => sectionHealth(sectionProviders[section].map((provider) =>
    provider === 'native' ? (native as Record<SourceName, ResilientSource>)[section] : (publicProviders.get(provider) as PublicProvider).host))

  return {
    sources: { publisher: sectionOf('publisher'), reviews: sectionOf('reviews'), recommendations: sectionOf('recommendations') },
    resilient: { publisher: healthOf('publisher'), reviews: healthOf('reviews'), recommendations: healthOf('recommendations') },
    search: searchOf(sectionProviders.publisher, native, publicProviders),
    async close() {
      await Promise.all(closers.map((close) => close()))
    }
  }
}

/** Search goes to the first publisher provider that has a search (Google Books' is not adapted). */
function searchOf(
  providers: readonly ProviderName[], native: Readonly<Record<SourceName, ResilientSource>> | undefined, publicProviders: ReadonlyMap<ProviderName, PublicProvider>
): SearchSource {
  for (const provider of providers) {
    if (provider === 'native' && native !== undefined) return native.publisher
    const search = publicProviders.get(provider)?.sections.search
    if (search !== undefined) return search
  }
  return {
    search: () => Promise.resolve({ status: 'error', detail: `none of the publisher providers (${providers.join(', ')}) can search` })
  }
}

const SEVERITY: readonly BreakerState[] = ['closed', 'half_open', 'open']

/** A section's hosts as one: the worst circuit, and their requests together. */
function sectionHealth(hosts: readonly HostHealth[]): HostHealth {
  return {
    get circuitState() {
      return hosts.map((h) => h.circuitState).reduce((a, b) => (SEVERITY.indexOf(b) > SEVERITY.indexOf(a) ? b : a), 'closed' as BreakerState)
    },
    get inFlight() {
      return hosts.reduce((n, h) => n + h.inFlight, 0)
    },
    get queued() {
      return hosts.reduce((n, h) => n + h.queued, 0)
    }
  }
}
