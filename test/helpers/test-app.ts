import type { FastifyInstance } from 'fastify'
import { buildApp, type BuildOptions } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { SOURCE_NAMES, type SourceName } from '../../src/domain/sources.js'
import { startFakeUpstream, type Behaviour, type FakeUpstream } from './fake-upstream.js'

export const DUNE = '9780441013593'

/** Well-formed upstream bodies for one ISBN, as the real upstreams would send them. */
export function okBody(source: SourceName, isbn = DUNE): Record<string, unknown> {
  switch (source) {
    case 'publisher':
      return { isbn, title: 'Dune', authors: ['Frank Herbert'], publisher: 'Ace', publishedDate: '2005-08-02', internalId: 'x' }
    case 'reviews':
      return { isbn, averageRating: 4.5, ratingsCount: 2, items: [{ author: 'ann', rating: 5, text: 'Great', date: '2024-01-02' }] }
    case 'recommendations':
      return { isbn, items: [{ isbn: '9780441172719', title: 'Dune Messiah', authors: ['Frank Herbert'], score: 0.9 }] }
  }
}

export const ok = (source: SourceName, delayMs = 0): Behaviour => ({ kind: 'json', body: okBody(source), delayMs })

export interface TestRig {
  readonly app: FastifyInstance
  readonly upstreams: Record<SourceName, FakeUpstream>
  /** Every request any upstream saw. */
  upstreamRequestCount(): number
  close(): Promise<void>
}

/** The real app against three real loopback upstreams, with per-source behaviour. */
export async function startRig(
  behaviours: Partial<Record<SourceName, Behaviour>> = {},
  env: Record<string, string> = {},
  options: BuildOptions = {}
): Promise<TestRig> {
  const upstreams = {} as Record<SourceName, FakeUpstream>
  for (const source of SOURCE_NAMES) upstreams[source] = await startFakeUpstream(behaviours[source] ?? ok(source))
  const app = await buildApp(loadConfig({
    PUBLISHER_API_URL: upstreams.publisher.url,
    REVIEWS_API_URL: upstreams.reviews.url,
    RECOMMENDATIONS_API_URL: upstreams.recommendations.url,
    LOG_LEVEL: 'silent',
    ...env
  }), options)
  return {
    app,
    upstreams,
    upstreamRequestCount: () => SOURCE_NAMES.reduce((n, s) => n + upstreams[s].requests.length, 0),
    async close() {
      await app.close()
      await Promise.all(SOURCE_NAMES.map((s) => upstreams[s].close()))
    }
  }
}

/** For tests that count upstream calls: the cache would answer repeats before the upstreams. */
export const startRigWithoutCache: typeof startRig = (behaviours, env = {}, options = {}) =>
  startRig(behaviours, { CACHE_ENABLED: 'false', ...env }, options)
