// Loopback fakes of the three public book providers, serving the recorded answers in
// /work/shared/provider-samples (and our edge cases in test/fixtures/providers). Each is a real
// `node:http` server on 127.0.0.1, port 0; `close()` ends its sockets and pending timers.
import { startFakeGoogleBooks, type FakeGoogleBooksOptions, type GoogleBooksCallKind } from './fake-googlebooks.js'
import { startFakeHardcover, type FakeHardcoverOptions, type HardcoverCallKind } from './fake-hardcover.js'
import { startFakeOpenLibrary, type FakeOpenLibraryOptions, type OpenLibraryCallKind } from './fake-openlibrary.js'
import type { FakeProvider } from './fake-provider-server.js'

export { startFakeGoogleBooks, recordedGoogleVolumes, type FakeGoogleBooksOptions, type GoogleBooksCallKind } from './fake-googlebooks.js'
export { startFakeHardcover, recordedHardcoverData, type FakeHardcoverOptions, type HardcoverCallKind, type HardcoverData } from './fake-hardcover.js'
export { startFakeOpenLibrary, recordedOpenLibraryData, type FakeOpenLibraryOptions, type OpenLibraryCallKind, type OpenLibraryData } from './fake-openlibrary.js'
export type { FakeProvider, ProviderRequest, RateLimit } from './fake-provider-server.js'

/** A User-Agent Open Library accepts (it names a contact). */
export const CONTACT_USER_AGENT = 'book-aggregator-tests/1.0 (https://example.org/book-aggregator; tests@example.org)'

export interface FakeProviders {
  readonly openLibrary: FakeProvider<OpenLibraryCallKind>
  readonly googleBooks: FakeProvider<GoogleBooksCallKind>
  readonly hardcover: FakeProvider<HardcoverCallKind>
  close(): Promise<void>
}

export interface FakeProvidersOptions {
  readonly openLibrary?: FakeOpenLibraryOptions
  readonly googleBooks?: FakeGoogleBooksOptions
  readonly hardcover?: FakeHardcoverOptions
}

/** All three at once, for tests of code that talks to every provider. */
export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const [openLibrary, googleBooks, hardcover] = await Promise.all([
    startFakeOpenLibrary(options.openLibrary),
    startFakeGoogleBooks(options.googleBooks),
    startFakeHardcover(options.hardcover ?? { token: 'test-token' })
  ])
  return {
    openLibrary,
    googleBooks,
    hardcover,
    async close() {
      await Promise.all([openLibrary.close(), googleBooks.close(), hardcover.close()])
    }
  }
}
