/**
 * What a provider mapping made of a body. Mappings never throw: `not_found` is the provider
 * saying it has nothing for the book, `invalid_response` a body we cannot use (wrong shape,
 * an error document, a field the section cannot do without). `detail` says which, for
 * `sources.<name>.detail`.
 */
export type MappingResult<T> =
  | { readonly status: 'ok'; readonly data: T }
  | { readonly status: 'not_found'; readonly detail: string }
  | { readonly status: 'invalid_response'; readonly detail: string }

export function mapped<T>(data: T): MappingResult<T> {
  return { status: 'ok', data }
}

export function notFound(detail: string): MappingResult<never> {
  return { status: 'not_found', detail }
}

export function invalidResponse(detail: string): MappingResult<never> {
  return { status: 'invalid_response', detail }
}
