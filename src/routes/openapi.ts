import { readFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'

// The same file from src/routes/ and dist/routes/: the contract is served, never copied.
const OPENAPI_FILE = new URL('../../openapi.yaml', import.meta.url)

export default async function openapiRoutes(app: FastifyInstance): Promise<void> {
  const document = await readFile(OPENAPI_FILE, 'utf8')
  app.get('/openapi.yaml', async (_request, reply) => reply.type('application/yaml').send(document))
}
