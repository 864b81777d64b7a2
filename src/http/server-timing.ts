import type { SourceOutcomes } from '../domain/outcome.js'
import { SOURCE_NAMES } from '../domain/sources.js'

/**
 * `Server-Timing` (W3C): one entry per called source with its duration and status, plus the
 * total (and whether the cache or a batch call served it), so a frontend sees the aggregation's waterfall in its browser's devtools.
 */
export function serverTimingOf(outcomes: SourceOutcomes, totalMs: number): string {
  // A loop and one string, not arrays filtered, mapped and joined: this runs for every answer.
  let header = ''
  for (const name of SOURCE_NAMES) {
    const { status, durationMs, cache, batched } = outcomes[name]
    if (status === 'skipped') continue
    const notes = cache === undefined
      ? (batched === undefined ? '' : `batch of ${batched}`)
      : (batched === undefined ? `cache ${cache}` : `cache ${cache}, batch of ${batched}`)
    header += `${name};dur=${durationMs};desc="${notes === '' ? status : `${status} (${notes})`}", `
  }
  return `${header}total;dur=${Math.round(totalMs)}`
}
