import Fastify from 'fastify'
import { bookViewBody } from '../fixtures.js'
import { FIXED_ISBN } from '../isbn.js'
import { closeOnSignal, portFromEnv } from './upstream-env.js'

// Baseline (a), the ceiling: bare Fastify answering the same BookView with no upstream work.
// The body is an object, serialized per request like the service's, so the difference to the
// service is exactly the upstream calls, validation and merging.

const body = bookViewBody(FIXED_ISBN, '0441013597')
const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get<{ Params: { isbn: string } }>('/books/:isbn', async () => body)

closeOnSignal(() => app.close())
await app.listen({ host: '127.0.0.1', port: portFromEnv() })
