import { STATUS_CODES } from 'node:http'
import type { FastifyReply } from 'fastify'
import type { SourceReports } from '../domain/book-view.js'

/** Problem types of this API (RFC 9457); each is documented in openapi.yaml. */
export const PROBLEM_TYPES = {
  'invalid-isbn': 'Invalid ISBN',
  'invalid-parameter': 'Invalid parameter',
  'book-not-found': 'Book not found',
  'upstreams-failed': 'Upstream sources failed',
  'upstreams-timeout': 'Upstream sources timed out',
  'rate-limited': 'Too many requests',
  'service-unavailable': 'Service unavailable',
  'not-found': 'Not found',
  unauthorized: 'Unauthorized',
  internal: 'Internal server error'
} as const
export type ProblemSlug = keyof typeof PROBLEM_TYPES

const PROBLEM_BASE = 'https://book-aggregator.dev/problems/'

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  sources?: SourceReports
}

export function problemOf(slug: ProblemSlug, status: number, detail: string, sources?: SourceReports): Problem {
  const problem: Problem = { type: PROBLEM_BASE + slug, title: PROBLEM_TYPES[slug], status, detail }
  if (sources !== undefined) problem.sources = sources
  return problem
}

/** For plain HTTP errors (413, 415…) that need no type of their own. */
export function genericProblem(status: number, detail: string): Problem {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail }
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem)
}
