import { request } from 'undici'

// The baselines read the same variables as the service, so the harness starts every target
// the same way, and fetch the upstreams the same plain way (undici's global dispatcher, no
// timeouts, no validation), so that they differ only in how they fan out.

export function portFromEnv(): number {
  return Number(process.env.PORT ?? 0)
}

export function upstreamBase(variable: 'PUBLISHER_API_URL' | 'REVIEWS_API_URL' | 'RECOMMENDATIONS_API_URL'): string {
  const value = process.env[variable]
  if (value === undefined || value === '') throw new Error(`${variable} is not set`)
  return value.replace(/\/+$/, '')
}

/** The three upstream base URLs, from the service's own variables. */
export function upstreamBases(): Record<'publisher' | 'reviews' | 'recommendations', string> {
  return {
    publisher: upstreamBase('PUBLISHER_API_URL'),
    reviews: upstreamBase('REVIEWS_API_URL'),
    recommendations: upstreamBase('RECOMMENDATIONS_API_URL')
  }
}

export async function getJson(url: string): Promise<Record<string, unknown>> {
  const { body } = await request(url)
  return (await body.json()) as Record<string, unknown>
}

/** Exits cleanly on the harness's SIGTERM, like the service does. */
export function closeOnSignal(close: () => Promise<unknown>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void close().finally(() => process.exit(0))
    })
  }
}
