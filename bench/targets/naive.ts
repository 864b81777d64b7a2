import Fastify from 'fastify'
import { closeOnSignal, getJson, portFromEnv, upstreamBases } from './upstream-env.js'

// Baseline (b), the naive version: await the three upstreams one after another with undici's
// global dispatcher, no timeouts, no validation. Its latency is the sum of the three, which is
// what concurrent fan-out is meant to beat.

const bases = upstreamBases()

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get<{ Params: { isbn: string } }>('/books/:isbn', async (req) => {
  const isbn = req.params.isbn
  const publisher = await getJson(`${bases.publisher}/books/${isbn}`)
  const reviews = await getJson(`${bases.reviews}/books/${isbn}`)
  const recommendations = await getJson(`${bases.recommendations}/books/${isbn}`)
  return { isbn, publisher, reviews, recommendations, complete: true }
})

closeOnSignal(() => app.close())
await app.listen({ host: '127.0.0.1', port: portFromEnv() })
