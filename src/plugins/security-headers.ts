import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * helmet, set for a JSON API read cross-origin by library frontends: no CSP here (the demo
 * page sets its own), resources may be embedded cross-origin (CORS decides who reads them),
 * and no HSTS (TLS ends at the load balancer, which owns that header).
 */
async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: false
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
