import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { DOCUMENT_HEADERS } from '../http/security-headers.js'

// The contract itself, not a copy and not generated from routes: what /docs shows is what
// the tests validate responses against.
const OPENAPI_FILE = new URL('../../openapi.yaml', import.meta.url).pathname

/** Swagger UI at /docs over openapi.yaml. */
async function apiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, { mode: 'static', specification: { path: OPENAPI_FILE, baseDir: '' } })
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // An HTML page: the browser-side protections the JSON answers go without.
    uiHooks: {
      onRequest: (_request, reply, done) => {
        reply.headers(DOCUMENT_HEADERS)
        done()
      }
    }
  })
}

export default fp(apiDocs, { name: 'api-docs' })
