import Fastify from 'fastify'
import { closeOnSignal, getJson, portFromEnv, upstreamBases } from './upstream-env.js'

// Baseline (e), the floor of this design: the three upstreams awaited together with
// Promise.all over undici's global dispatcher; no timeouts, no validation, no policies, no
// headers of ours. What a concurrent fan-out costs before any feature is added.

const bases = upstreamBases()

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get<{ Params: { isbn: string } }>('/books/:isbn', async (req) => {
  const isbn = req.params.isbn
  const [publisher, reviews, recommendations] = await Promise.all([
    getJson(`${bases.publisher}/books/${isbn}`),
    getJson(`${bases.reviews}/books/${isbn}`),
    getJson(`${bases.recommendations}/books/${isbn}`)
  ])
  return { isbn, publisher, reviews, recommendations, complete: true }
})

closeOnSignal(() => app.close())
await app.listen({ host: '127.0.0.1', port: portFromEnv() })
