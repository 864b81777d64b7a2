import { toIsbn13 } from '../../src/upstream/providers/normalize.js'
import { json, startProviderServer, type FakeProvider, type ProviderAnswer, type ProviderRequest, type RoutedRequest } from './fake-provider-server.js'
import { fixture, recorded, recordedFiles } from './provider-samples.js'

export type GoogleBooksCallKind = 'volumes' | 'unknown'

export interface FakeGoogleBooksOptions {
  /** `/volumes` answers by requested ISBN-13, added to (and overriding) the recorded ones. */
  readonly volumes?: Readonly<Record<string, unknown>>
  /** When set, calls must carry `key=<apiKey>`: none → 403, another → 400, as Google answers. */
  readonly apiKey?: string
  /** Calls answered before the quota is exhausted; later ones get Google's 429 body. */
  readonly quota?: number
  readonly latencyMs?: number
}

/** The recorded `/volumes?q=isbn:…` answers by the requested ISBN-13 (including the mismatched one). */
export function recordedGoogleVolumes(): Record<string, unknown> {
  const volumes: Record<string, unknown> = {}
  for (const file of recordedFiles('googlebooks', 'volumes-isbn-')) {
    volumes[file.slice('volumes-isbn-'.length, -'.json'.length)] = recorded(`googlebooks/${file}`)
  }
  // node-isbn's README recorded only `items[0].volumeInfo`: the envelope around it is ours.
  const codeComplete = recorded('googlebooks/volumeinfo-isbn-0735619670.json')
  volumes['9780735619678'] = { kind: 'books#volumes', totalItems: 1, items: [{ kind: 'books#volume', id: 'QnghAQAAIAAJ', volumeInfo: codeComplete }] }
  return volumes
}

/** A fake `https://www.googleapis.com/books/v1`: `GET /volumes?q=isbn:{isbn}` (also under `/books/v1`). */
export function startFakeGoogleBooks(options: FakeGoogleBooksOptions = {}): Promise<FakeProvider<GoogleBooksCallKind>> {
  const volumes = { ...recordedGoogleVolumes(), ...options.volumes }
  const quotaExhausted = recorded('googlebooks/error-429.json')
  let answered = 0
  return startProviderServer({
    kinds: ['volumes', 'unknown'],
    route: (request): RoutedRequest<GoogleBooksCallKind> => {
      if (!/^(?:\/books\/v1)?\/volumes$/.test(request.url.pathname)) return { kind: 'unknown', answer: googleError(404, 'Not Found', 'NOT_FOUND') }
      const refused = checkKey(request, options.apiKey)
      if (refused !== undefined) return { kind: 'volumes', answer: refused }
      if (options.quota !== undefined && answered >= options.quota) return { kind: 'volumes', answer: json(429, quotaExhausted) }
      answered++
      return { kind: 'volumes', answer: volumesAnswer(volumes, request.url.searchParams.get('q') ?? '') }
    },
    tooManyRequests: () => json(429, quotaExhausted)
  }, options)
}

function checkKey(request: ProviderRequest, apiKey: string | undefined): ProviderAnswer | undefined {
  if (apiKey === undefined) return undefined
  const key = request.url.searchParams.get('key')
  if (key === null) return json(403, fixture('googlebooks/error-403-unregistered.json'))
  return key === apiKey ? undefined : json(400, fixture('googlebooks/error-400-key-invalid.json'))
}

function volumesAnswer(volumes: Readonly<Record<string, unknown>>, q: string): ProviderAnswer {
  const match = /^isbn:([\dXx-]+)$/.exec(q.trim())
  if (match === null) return googleError(400, 'Invalid query: this fake answers only q=isbn:{isbn}', 'INVALID_ARGUMENT')
  const isbn13 = toIsbn13(match[1])
  const body = isbn13 === undefined ? undefined : volumes[isbn13]
  return json(200, body ?? { kind: 'books#volumes', totalItems: 0 })
}

function googleError(code: number, message: string, status: string): ProviderAnswer {
  return json(code, { error: { code, message, errors: [{ message, domain: 'global', reason: 'fake' }], status } })
}
