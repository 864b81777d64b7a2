import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { fixture } from './provider-samples.js'
import type { OpenLibraryData } from './fake-openlibrary.js'

export const FANTASTIC_MR_FOX = '9780140328721'

/** What the recorded Open Library answers lack for Fantastic Mr Fox: its work's ratings and first subject. */
export const FOX_EXTRAS: Partial<OpenLibraryData> = {
  ratings: { OL45804W: fixture('openlibrary/ratings-OL45804W.json') },
  subjects: { animals: fixture('openlibrary/subjects-animals.json') }
}

export interface ProviderApp {
  readonly app: FastifyInstance
  /** Every log line the app wrote, as text. */
  readonly logs: string[]
  close(): Promise<void>
}

/** The real app in provider mode, its log lines kept (at `info` unless `LOG_LEVEL` says otherwise). */
export async function startProviderApp(env: Record<string, string>): Promise<ProviderApp> {
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'))
      callback()
    }
  })
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'info', OPENLIBRARY_CONTACT: 'tests@example.org', ...env }), { logStream })
  return { app, logs, close: () => app.close() }
}

/** `sources.<name>` of a BookView, as the provider tests read it. */
export interface SourceReportBody {
  readonly status: string
  readonly durationMs: number
  readonly provider?: string
  readonly detail?: string
  readonly httpStatus?: number
  readonly cache?: string
  readonly filledFrom?: Readonly<Record<string, string>>
  readonly batched?: number
}

/** A BookView (or a problem with `sources`), as the provider tests read it. */
export interface BookBody {
  readonly publisher: { readonly title: string; readonly description?: string; readonly [field: string]: unknown }
  readonly reviews: unknown
  readonly recommendations: { readonly items: unknown[] }
  readonly sources: Readonly<Record<string, SourceReportBody>>
  readonly complete: boolean
}
