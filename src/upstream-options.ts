import type { Config } from './config.js'
import { SOURCE_NAMES } from './domain/sources.js'
import type { ProviderName } from './domain/providers.js'
import type { MicroBatchOptions } from './upstream/micro-batcher.js'
import type { HostPolicies } from './upstream/upstream-host.js'

// The policy and batching options the upstream layer is built with, derived from the config once at start.

/** The native upstreams' policies: the shared ones, plus a rate budget when NATIVE_MAX_RPS sets one. */
export function nativeHostPolicies(config: Config): HostPolicies {
  const { nativeMaxRps } = config
  return nativeMaxRps === undefined ? config.resilience : { ...config.resilience, maxRps: nativeMaxRps }
}

/** Batching for an endpoint that takes up to `maxSize` ISBNs a call; undefined when it takes one. */
export function batchOptions(config: Config, maxSize: number): MicroBatchOptions | undefined {
  if (maxSize < 2) return undefined
  return { maxSize, windowMs: config.batching.windowMs, windowShare: config.batching.windowShare }
}

export function nativeBatchOptions(config: Config): MicroBatchOptions | undefined {
  return batchOptions(config, config.batching.nativeMax)
}

/** ISBNs one call takes from each provider in use (1 where it has no batch form, or batching is off). */
function batchMaxOf(config: Config, provider: ProviderName): number {
  switch (provider) {
    case 'native': return Math.max(1, config.batching.nativeMax)
    case 'openlibrary': return Math.max(1, config.providers.openLibrary.batchMax)
    case 'hardcover': return Math.max(1, config.providers.hardcover.batchMax)
    case 'googlebooks': return 1
  }
}

/**
 * How many books `POST /books/batch` looks up at once. BATCH_CONCURRENCY bounds the upstream
 * calls a batch keeps in flight; where a provider takes many ISBNs a call, one such call is
 * worth its batch size in books, so the batch's lookups run that many times wider and 100
 * ISBNs become a few full upstream calls instead of a dozen small ones.
 */
export function batchLookupsAtOnce(config: Config): number {
  const providers = config.sectionProviders === undefined
    ? ['native' as const]
    : SOURCE_NAMES.flatMap((section) => config.sectionProviders?.[section] ?? [])
  return config.batchConcurrency * Math.max(...providers.map((provider) => batchMaxOf(config, provider)))
}
