import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, RouteShorthandOptions } from 'fastify'
import fp from 'fastify-plugin'
import { DOCUMENT_HEADERS } from '../http/security-headers.js'

/** `public/` at the project root: the same relative path from `src/plugins` and `dist/plugins`. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url))

/** Assets may be a few minutes out of date after a deploy; the page itself always revalidates. */
const ASSET_MAX_AGE_MS = 300_000

// The page renders upstream text, so it gets a strict policy: only our own script and styles, no
// inline script, images from anywhere over http(s) (book covers), fetch/EventSource to ourselves.
// On top of helmet's set for documents, which it refines (framing is refused outright).
const PAGE_HEADERS = {
  ...DOCUMENT_HEADERS,
  'x-frame-options': 'DENY',
  'cache-control': 'no-cache',
  'content-security-policy': "default-src 'self'; img-src 'self' https: http: data:; script-src 'self'; " +
    "style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
} as const

/**
 * The demo page at `GET /` and its assets, served from `public/` (no build step).
 *
 * @fastify/static has no option for route `config`, and @fastify/rate-limit decides per route when
 * the route is added (its `onRoute` hook runs before any hook of ours could set the flag). So the
 * plugin serves nothing by itself (`serve: false`) and we declare one route per file in `public/`,
 * each with `config: { rateLimit: false }`, using its `reply.sendFile` (ETag, Last-Modified, 304,
 * ranges). Explicit routes also mean no wildcard: unknown paths stay the service's problem+json 404.
 * Everything lives in an encapsulated child so `reply.sendFile` does not leak to the rest of the app.
 */
async function demoPage(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: PUBLIC_DIR,
      serve: false,
      maxAge: ASSET_MAX_AGE_MS
    })
    const routeOptions: RouteShorthandOptions = { config: { rateLimit: false } }

    const sendPage = (reply: FastifyReply): FastifyReply =>
      reply.headers(PAGE_HEADERS).sendFile('index.html', { cacheControl: false })
    scope.get('/', routeOptions, (_request, reply) => sendPage(reply))

    for (const file of readdirSync(PUBLIC_DIR, { withFileTypes: true })) {
      if (!file.isFile() || file.name.startsWith('.')) continue
      const name = file.name
      scope.get(`/${name}`, routeOptions, (_request, reply) =>
        name === 'index.html' ? sendPage(reply) : reply.header('x-content-type-options', 'nosniff').sendFile(name))
    }
  })
}

export default fp(demoPage, { name: 'demo-page' })
