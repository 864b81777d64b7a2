import type { UpstreamObserver } from '../domain/observer.js'
import { SOURCE_NAMES, type SourceName } from '../domain/sources.js'
import type { MicroBatchOptions } from './micro-batcher.js'
import { ResilientSource, type HostPolicies, type PolicyLogger } from './resilient-source.js'
import { UpstreamClient } from './upstream-client.js'

export type UpstreamClients = Readonly<Record<SourceName, UpstreamClient>>

export interface UpstreamClientsOptions {
  readonly urls: Readonly<Record<SourceName, URL>>
  readonly maxBodyBytes: number
  readonly connectionsPerUpstream: number
}

export function createUpstreamClients(options: UpstreamClientsOptions): UpstreamClients {
  const create = (source: SourceName): UpstreamClient => new UpstreamClient({
    source,
    baseUrl: options.urls[source],
    maxBodyBytes: options.maxBodyBytes,
    connections: options.connectionsPerUpstream
  })
  return { publisher: create('publisher'), reviews: create('reviews'), recommendations: create('recommendations') }
}

export async function closeUpstreamClients(clients: UpstreamClients): Promise<void> {
  await Promise.all(SOURCE_NAMES.map((source) => clients[source].close()))
}

export type ResilientSources = Readonly<Record<SourceName, ResilientSource>>

/**
 * Each upstream gets its own policy instances: one upstream's trouble never trips another's.
 * `batch`: the upstreams serve the batch endpoint, and lookups are batched with these options.
 */
export function createResilientSources(
  clients: UpstreamClients, policies: HostPolicies, log: PolicyLogger, observer?: UpstreamObserver, batch?: MicroBatchOptions
): ResilientSources {
  const wrap = (source: SourceName): ResilientSource => new ResilientSource(clients[source], policies, log, observer, batch)
  return { publisher: wrap('publisher'), reviews: wrap('reviews'), recommendations: wrap('recommendations') }
}
