import type { SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'

/**
 * `Server-Timing` (W3C): one entry per called source with its duration and status, plus the
 * total (and whether the cache or a batch call served it), so a frontend sees the aggregation's waterfall in its browser's devtools.
 */
export function serverTimingOf(outcomes: SourceOutcomes, totalMs: number): string {
  const entries = SOURCE_NAMES
    .filter((name) => outcomes[name].status !== 'skipped')
    .map((name) => {
      const { status, durationMs, cache, batched } = outcomes[name]
      const notes = [cache === undefined ? '' : `cache ${cache}`, batched === undefined ? '' : `batch of ${batched}`].filter((n) => n !== '')
      return `${name};dur=${durationMs};desc="${notes.length === 0 ? status : `${status} (${notes.join(', ')})`}"`
    })
  entries.push(`total;dur=${Math.round(totalMs)}`)
  return entries.join(', ')
}
