import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { problemOf, sendProblem } from '../http/problem.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Shutdown step 1: readiness turns 503 so load balancers stop sending new work. */
    beginDrain(): void
    /** True from `beginDrain()` on. */
    readonly draining: boolean
  }
}

/**
 * Shutdown states. While draining, everything is still served (requests already routed to
 * us keep coming for a moment) except readiness; once `close()` has begun, a request that
 * still arrives on a kept-alive connection gets a problem+json 503 and that connection closes.
 */
async function lifecycle(app: FastifyInstance): Promise<void> {
  let draining = false
  let closing = false
  app.decorate('beginDrain', () => { draining = true })
  app.decorate('draining', { getter: () => draining })
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done()
    reply.header('connection', 'close').header('retry-after', '1')
    sendProblem(reply, problemOf('service-unavailable', 503, 'The service is shutting down; retry against another instance.'))
  })
}

export default fp(lifecycle, { name: 'lifecycle' })
