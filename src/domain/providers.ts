import type { SourceName } from './sources.js'

/**
 * Where a section's data can come from: `native` is the company's own three upstreams (today's
 * contract, api-contract.md); the others are public book APIs with adapters of their own
 * (src/upstream/providers/, facts in providers.md).
 */
export const PROVIDER_NAMES = ['native', 'openlibrary', 'googlebooks', 'hardcover'] as const
export type ProviderName = (typeof PROVIDER_NAMES)[number]

/**
 * The sections each provider can serve. Google Books has no usable recommendations
 * (`volumes/{id}/associated` is undocumented); everything else serves all three.
 */
export const PROVIDER_SECTIONS: Readonly<Record<ProviderName, readonly SourceName[]>> = {
  native: ['publisher', 'reviews', 'recommendations'],
  openlibrary: ['publisher', 'reviews', 'recommendations'],
  googlebooks: ['publisher', 'reviews'],
  hardcover: ['publisher', 'reviews', 'recommendations']
}

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value)
}
