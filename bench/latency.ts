// Upstream latency as a distribution, shared by the scenarios (which declare it), the mock
// upstream (which sleeps by it) and the report (which computes the latency-bound limit from it).

export const SOURCES = ['publisher', 'reviews', 'recommendations'] as const
export type Source = (typeof SOURCES)[number]

/** A fixed delay in ms, or "slowPercent % of calls take slowMs, the rest fastMs". */
export type LatencySpec = number | { readonly fastMs: number; readonly slowMs: number; readonly slowPercent: number }

export type LatencyBySource = Readonly<Record<Source, LatencySpec>>

export function sameLatency(spec: LatencySpec): LatencyBySource {
  return { publisher: spec, reviews: spec, recommendations: spec }
}

/** Draws one delay from the distribution. */
export function drawDelayMs(spec: LatencySpec): number {
  if (typeof spec === 'number') return spec
  return Math.random() * 100 < spec.slowPercent ? spec.slowMs : spec.fastMs
}

export function meanMs(spec: LatencySpec): number {
  if (typeof spec === 'number') return spec
  return (spec.slowPercent / 100) * spec.slowMs + (1 - spec.slowPercent / 100) * spec.fastMs
}

export function describeLatency(spec: LatencySpec): string {
  if (typeof spec === 'number') return `${spec} ms`
  return `${spec.slowPercent}% ${spec.slowMs} ms, else ${spec.fastMs} ms`
}

/** One label for all three sources when they agree, else one per source. */
export function describeLatencies(latency: LatencyBySource): string {
  const labels = SOURCES.map((source) => describeLatency(latency[source]))
  if (labels.every((label) => label === labels[0])) return labels[0] ?? ''
  return SOURCES.map((source, i) => `${source} ${labels[i]}`).join('; ')
}

/**
 * Baseline (c): with `connections` clients each waiting for the slowest upstream (mean delay),
 * no implementation can answer more than connections ÷ latency per second. `null` at 0 ms,
 * where the bound is CPU, not latency.
 */
export function latencyBoundRps(connections: number, latency: LatencyBySource): number | null {
  const slowest = Math.max(...SOURCES.map((source) => meanMs(latency[source])))
  return slowest > 0 ? connections / (slowest / 1000) : null
}

export function isLatencySpec(value: unknown): value is LatencySpec {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0
  if (typeof value !== 'object' || value === null) return false
  const { fastMs, slowMs, slowPercent } = value as Record<string, unknown>
  return [fastMs, slowMs, slowPercent].every((n) => typeof n === 'number' && n >= 0) && (slowPercent as number) <= 100
}
