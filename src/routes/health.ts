import type { FastifyInstance } from 'fastify'

/** Liveness only: answers as long as the event loop does. Readiness is a separate concern. */
export default async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { config: { rateLimit: false, shed: false } }, async () => ({ status: 'ok' }))
}
