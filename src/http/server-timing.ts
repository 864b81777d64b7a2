import type { SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'

/**
 * `Server-Timing` (W3C): one entry per called source with its duration and status, plus the
 * total, so a frontend sees the aggregation's waterfall in its browser's devtools.
 */
export function serverTimingOf(outcomes: SourceOutcomes, totalMs: number): string {
  const entries = SOURCE_NAMES
    .filter((name) => outcomes[name].status !== 'skipped')
    .map((name) => {
      const { status, durationMs, cache } = outcomes[name]
      return `${name};dur=${durationMs};desc="${cache === undefined ? status : `${status} (cache ${cache})`}"`
    })
  entries.push(`total;dur=${Math.round(totalMs)}`)
  return entries.join(', ')
}
