/** The three upstreams, in the order a BookView lists them. */
export const SOURCE_NAMES = ['publisher', 'reviews', 'recommendations'] as const
export type SourceName = (typeof SOURCE_NAMES)[number]

export function isSourceName(value: string): value is SourceName {
  return (SOURCE_NAMES as readonly string[]).includes(value)
}
