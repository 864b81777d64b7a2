import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { answerFrameworkError } from '../../src/http/framework-error.js'

let app: FastifyInstance | undefined

afterEach(async () => {
  await app?.close()
  app = undefined
})

async function appWithHandler(): Promise<FastifyInstance> {
  app = Fastify({ frameworkErrors: answerFrameworkError, genReqId: () => 'req-1' })
  app.get('/books/:isbn', async () => ({ ok: true }))
  await app.ready()
  return app
}

describe('answerFrameworkError (Fastify frameworkErrors)', () => {
  it('a path that is not valid percent-encoding: problem+json 400 that echoes nothing of it', async () => {
    const res = await (await appWithHandler()).inject({ method: 'GET', url: '/books/%zz<b>' })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.headers['x-request-id']).toBe('req-1')
    expect(res.json()).toEqual({
      type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The request path is not valid percent-encoded UTF-8.'
    })
    expect(res.body).not.toContain('%zz')
  })

  it('a path parameter over maxParamLength: problem+json 414', async () => {
    const res = await (await appWithHandler()).inject({ method: 'GET', url: `/books/${'9'.repeat(101)}` })
    expect(res.statusCode).toBe(414)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toEqual({ type: 'about:blank', title: 'URI Too Long', status: 414, detail: 'A segment of the request path is too long.' })
  })

  it('a framework error without a client status is an internal problem with no details', async () => {
    app = Fastify()
    app.get('/boom', (request, reply) => {
      answerFrameworkError(Object.assign(new Error('secret internals'), { code: 'FST_ERR_ASYNC_CONSTRAINT', statusCode: 500 }), request, reply)
    })
    const res = await app.inject({ method: 'GET', url: '/boom' })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toMatchObject({ status: 500, detail: 'An unexpected error occurred.' })
    expect(res.body).not.toContain('secret')
  })
})
