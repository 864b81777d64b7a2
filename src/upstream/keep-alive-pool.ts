import { Pool } from 'undici'

/**
 * The keep-alive pool of one upstream host, as both clients (our own contract and the public
 * providers) open it.
 *
 * undici's own headers and body timeouts (300 s each) are off. Every request here belongs to an
 * upstream flight, and a flight aborts its requests once its last caller has left: each caller
 * waits under a section timeout, the request deadline, a search or refresh timeout, never
 * unbounded. So undici's timers never fired first, but they cost a timer object per request
 * that lives on in undici's timer list for up to a second after it is cleared, long enough to
 * be copied out of the young generation (`bench:allocations-profile -- --survivors`).
 */
export function keepAlivePool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 })
}
