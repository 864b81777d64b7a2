import Fastify from 'fastify'
import mercurius, { type IResolvers } from 'mercurius'
import { closeOnSignal, getJson, portFromEnv, upstreamBases } from './upstream-env.js'

// Baseline (d), what a frontend team often builds instead: a GraphQL BFF on Fastify +
// Mercurius, one undici call per upstream in its own field resolver, written the way the
// Mercurius README shows (schema string + resolvers object, default options). GraphQL
// resolves sibling fields concurrently, so it fans out too; the difference is overhead.

const bases = upstreamBases()

const schema = `
  type Publisher {
    title: String!, subtitle: String, authors: [String!]!, publisher: String!, publishedDate: String!
    pageCount: Int, language: String, description: String, coverUrl: String
  }
  type Review { author: String!, rating: Float!, title: String, text: String!, date: String! }
  type Reviews { averageRating: Float!, ratingsCount: Int!, items: [Review!]! }
  type Recommendation { isbn: String!, title: String!, authors: [String!]!, score: Float }
  type Recommendations { items: [Recommendation!]! }
  type Book { isbn: String!, publisher: Publisher, reviews: Reviews, recommendations: Recommendations }
  type Query { book(isbn: String!): Book }
`

type BookParent = { isbn: string }

const resolvers: IResolvers = {
  Query: {
    book: async (_: unknown, { isbn }: { isbn: string }) => ({ isbn })
  },
  Book: {
    publisher: async ({ isbn }: BookParent) => getJson(`${bases.publisher}/books/${isbn}`),
    reviews: async ({ isbn }: BookParent) => getJson(`${bases.reviews}/books/${isbn}`),
    recommendations: async ({ isbn }: BookParent) => getJson(`${bases.recommendations}/books/${isbn}`)
  }
}

const app = Fastify({ logger: false })
app.register(mercurius, { schema, resolvers })
app.get('/healthz', async () => ({ status: 'ok' }))

closeOnSignal(() => app.close())
await app.listen({ host: '127.0.0.1', port: portFromEnv() })
