import type { Config } from './config.js'
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
