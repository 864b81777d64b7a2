import { Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { SeriesHistogram } from '../../src/metrics/series-histogram.js'

const BUCKETS = [0.01, 0.1, 1]
const OBSERVATIONS: Array<[string, string, number]> = [
  ['publisher', 'ok', 0.004], ['publisher', 'ok', 0.05], ['publisher', 'ok', 0.1], ['reviews', 'timeout', 1.5], ['publisher', 'ok', 2]
]

describe('SeriesHistogram', () => {
  it("exposes exactly what prom-client's Histogram exposes for the same observations", async () => {
    const ours = new Registry()
    const theirs = new Registry()
    const fast = new SeriesHistogram('calls_seconds', 'calls', ['source', 'outcome'], BUCKETS, ours)
    const reference = new Histogram({ name: 'calls_seconds', help: 'calls', labelNames: ['source', 'outcome'], buckets: BUCKETS, registers: [theirs] })
    for (const [source, outcome, seconds] of OBSERVATIONS) {
      fast.seriesOf(source, outcome).observe(seconds)
      reference.observe({ source, outcome }, seconds)
    }
    expect(await ours.metrics()).toBe(await theirs.metrics())
  })

  it('counts into cumulative buckets, with +Inf, sum and count per series', async () => {
    const registry = new Registry()
    const histogram = new SeriesHistogram('d_seconds', 'd', ['route'], BUCKETS, registry)
    const series = histogram.seriesOf('/books/:isbn')
    for (const seconds of [0.0078125, 0.5, 3]) series.observe(seconds)
    const text = await registry.metrics()
    expect(text).toContain('d_seconds_bucket{le="0.01",route="/books/:isbn"} 1')
    expect(text).toContain('d_seconds_bucket{le="0.1",route="/books/:isbn"} 1')
    expect(text).toContain('d_seconds_bucket{le="1",route="/books/:isbn"} 2')
    expect(text).toContain('d_seconds_bucket{le="+Inf",route="/books/:isbn"} 3')
    expect(text).toContain('d_seconds_sum{route="/books/:isbn"} 3.5078125')
    expect(text).toContain('d_seconds_count{route="/books/:isbn"} 3')
  })

  it('hands out the same series for the same labels, so callers may keep it', () => {
    const histogram = new SeriesHistogram('x_seconds', 'x', ['a', 'b'], BUCKETS, new Registry())
    expect(histogram.seriesOf('1', '2')).toBe(histogram.seriesOf('1', '2'))
    expect(histogram.seriesOf('1', '2')).not.toBe(histogram.seriesOf('12', ''))
  })
})
