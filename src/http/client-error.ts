import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import { genericProblem } from './problem.js'

/**
 * Requests Node refuses before Fastify sees them (malformed, headers too large, too slow)
 * still get a problem+json answer, then the connection closes. Nothing of the request is
 * echoed: it is by definition something we could not parse.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408
      : 400
  const body = JSON.stringify(genericProblem(status, `${STATUS_CODES[status] ?? 'Bad request'}: the request could not be read.`))
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    'Content-Type: application/problem+json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    'Connection: close\r\n\r\n' + body
  )
}
