import type { Registry } from 'prom-client'

/** One label combination of a histogram: resolved once, then observed with no label hashing. */
export interface HistogramSeries {
  observe(value: number): void
}

interface Series extends HistogramSeries {
  readonly labels: Readonly<Record<string, string>>
  readonly counts: Float64Array
  sum: number
  count: number
}

type SeriesNode = Map<string, SeriesNode | Series>

interface MetricValue {
  readonly labels: Record<string, string | number>
  readonly value: number
  readonly metricName: string
}

/**
 * A Prometheus histogram whose label combinations are resolved ahead of time. prom-client's
 * Histogram hashes the label object on every observe, four times per book request here; a
 * series is a typed array of bucket counts, found once and kept by the caller. Registered
 * in a prom-client Registry like any metric: the text format is prom-client's.
 */
export class SeriesHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  // A tree of maps, one level per label, keyed by the values themselves: joining the values
  // into one key built (and hashed) a new string on every observation, four per answer.
  private readonly root: SeriesNode = new Map()
  private readonly all: Series[] = []

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registry: Registry
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0])
  }

  /** The series of these label values (in `labelNames` order), made on first use. */
  seriesOf(...values: readonly string[]): HistogramSeries {
    const last = this.labelNames.length - 1
    let node = this.root
    for (let i = 0; i < last; i++) {
      const value = values[i] ?? ''
      let next = node.get(value) as SeriesNode | undefined
      if (next === undefined) {
        next = new Map()
        node.set(value, next)
      }
      node = next
    }
    const leaf = values[last] ?? ''
    let found = node.get(leaf) as Series | undefined
    if (found === undefined) {
      const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? '']))
      found = newSeries(labels, this.buckets)
      node.set(leaf, found)
      this.all.push(found)
    }
    return found
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.values() })
  }

  getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    return this.get()
  }

  reset(): void {
    this.root.clear()
    this.all.length = 0
  }

  private values(): MetricValue[] {
    const out: MetricValue[] = []
    for (const s of this.all) {
      let cumulative = 0
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i] as number
        out.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      out.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` })
      out.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` })
      out.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` })
    }
    return out
  }
}

function newSeries(labels: Record<string, string>, buckets: readonly number[]): Series {
  const counts = new Float64Array(buckets.length)
  const series: Series = {
    labels,
    counts,
    sum: 0,
    count: 0,
    observe(value) {
      series.sum += value
      series.count++
      // Buckets are few (11): a scan beats a binary search at this size.
      for (let i = 0; i < buckets.length; i++) {
        if (value <= (buckets[i] as number)) {
          counts[i] = (counts[i] as number) + 1
          return
        }
      }
    }
  }
  return series
}
