// The baselines read the same variables as the service, so the harness starts every target
// the same way.

export function portFromEnv(): number {
  return Number(process.env.PORT ?? 0)
}

export function upstreamBase(variable: 'PUBLISHER_API_URL' | 'REVIEWS_API_URL' | 'RECOMMENDATIONS_API_URL'): string {
  const value = process.env[variable]
  if (value === undefined || value === '') throw new Error(`${variable} is not set`)
  return value.replace(/\/+$/, '')
}

/** Exits cleanly on the harness's SIGTERM, like the service does. */
export function closeOnSignal(close: () => Promise<unknown>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      void close().finally(() => process.exit(0))
    })
  }
}
