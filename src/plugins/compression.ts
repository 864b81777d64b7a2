import { constants } from 'node:zlib'
import compress from '@fastify/compress'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * br or gzip above 1 KB. Brotli runs at quality 4: close to its best ratio for JSON of this
 * size at a fraction of the CPU of the default (11), which would cost more than it saves.
 */
async function compression(app: FastifyInstance): Promise<void> {
  // A request without a body has nothing to decompress: no preParsing hook on such routes (added
  // before the plugin's own onRoute hook, which reads it). Bodies are only ever POSTed here.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.every((method) => method === 'GET' || method === 'HEAD')) route.decompress ??= false
  })
  await app.register(compress, {
    global: true,
    threshold: 1024,
    encodings: ['br', 'gzip'],
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }
  })
}

export default fp(compression, { name: 'compression' })
