import type { FastifyReply } from 'fastify'

/** Adds to `Vary` instead of replacing it (CORS may already have put `Origin` there). */
export function addVary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary')
  if (current === undefined) {
    reply.header('vary', field)
    return
  }
  const fields = typeof current === 'string' ? current.split(',').map((f) => f.trim()).filter((f) => f !== '') : []
  if (!fields.some((f) => f.toLowerCase() === field.toLowerCase() || f === '*')) fields.push(field)
  reply.header('vary', fields.join(', '))
}
