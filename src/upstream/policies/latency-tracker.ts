/**
 * Rolling latency percentiles of one upstream: the last `size` durations in a ring buffer.
 * Sorting is amortized: a percentile is recomputed only after `recomputeEvery` new samples,
 * so asking for it on every call stays cheap.
 */
export class LatencyTracker {
  private readonly samples: Float64Array
  private count = 0
  private next = 0
  private sinceRecompute = 0
  private cachedP95: number | undefined

  constructor(private readonly size = 512, private readonly recomputeEvery = 32) {
    this.samples = new Float64Array(size)
  }

  record(durationMs: number): void {
    this.samples[this.next] = durationMs
    this.next = (this.next + 1) % this.size
    this.count = Math.min(this.count + 1, this.size)
    this.sinceRecompute++
  }

  /** `undefined` until enough samples make the figure meaningful. */
  p95(): number | undefined {
    if (this.count < 20) return undefined
    if (this.cachedP95 === undefined || this.sinceRecompute >= this.recomputeEvery) {
      const sorted = this.samples.slice(0, this.count).sort()
      this.cachedP95 = sorted[Math.min(this.count - 1, Math.ceil(this.count * 0.95) - 1)]
      this.sinceRecompute = 0
    }
    return this.cachedP95
  }
}
