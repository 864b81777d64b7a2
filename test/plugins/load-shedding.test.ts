import { afterEach, describe, expect, it } from 'vitest'
import { expectMatchesContract } from '../helpers/contract.js'
import { DUNE, startRig, type TestRig } from '../helpers/test-app.js'

let rig: TestRig | undefined

afterEach(async () => {
  await rig?.close()
  rig = undefined
})

describe('load shedding', () => {
  it('answers 503 problem+json with Retry-After while the heap is over its threshold, and calls no upstream', async () => {
    // Any real heap is above 0.01% of the limit: the service is "under pressure" from the start.
    rig = await startRig({}, { SHED_MAX_HEAP_USED_RATIO: '0.0001' })
    let res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    for (let i = 0; i < 40 && res.statusCode !== 503; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      res = await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    }
    expectMatchesContract('/books/{isbn}', 'GET', res)
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ type: 'https://book-aggregator.dev/problems/service-unavailable', status: 503 })
    expect(res.headers['retry-after']).toBe('5')
    const calls = rig.upstreams.publisher.requests.length
    await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })
    expect(rig.upstreams.publisher.requests).toHaveLength(calls)

    const health = await rig.app.inject({ method: 'GET', url: '/healthz' })
    expect(health.statusCode).toBe(200)
  })

  it('serves normally under the default thresholds', async () => {
    rig = await startRig()
    expect((await rig.app.inject({ method: 'GET', url: `/books/${DUNE}` })).statusCode).toBe(200)
  })
})
