/**
 * A host's outbound rate budget: at most `perWindow` requests start in any window of
 * `windowMs`. It is a token bucket in which every token taken comes back exactly one window
 * after its use. A bucket refilled continuously would let `perWindow` go at once and as many
 * again within the same second (twice what the provider allows, measured over any second),
 * or, with a bucket of one, space out even the few sequential requests one book needs.
 *
 * Synchronous and reservation-based, like the other policies: `reserve()` books the earliest
 * slot and says how long to wait for it, so concurrent callers queue in order instead of
 * waking together to fight for a token; a caller that leaves gives its slot back (`refund`).
 * `pause()` honours a provider's Retry-After for every caller of the host at once.
 */
const HEADROOM = 0.1

export class RateBudget {
  /** Start times of the requests of the last window and of reserved ones, ascending. */
  private readonly starts: number[] = []
  private paused = 0

  constructor(
    readonly perWindow: number,
    readonly windowMs = 1000,
    private readonly now: () => number = performance.now.bind(performance)
  ) {
    if (!(perWindow >= 1) || !Number.isInteger(perWindow)) throw new RangeError(`perWindow must be an integer ≥ 1, not ${perWindow}`)
  }

  /**
   * A budget of `ratePerSecond` (which may be fractional, e.g. 0.5 = one request every 2 s).
   * The provider counts arrivals, not our sends: a request on a fresh connection arrives tens
   * of ms later than one on a warm socket sent after it, so the window keeps a tenth of
   * headroom, and the rate is a ceiling the provider never sees exceeded.
   */
  static perSecond(ratePerSecond: number, now?: () => number): RateBudget {
    const withHeadroom = (windowMs: number): number => Math.ceil(windowMs * (1 + HEADROOM))
    if (ratePerSecond >= 1) return new RateBudget(Math.floor(ratePerSecond), withHeadroom(1000), now)
    return new RateBudget(1, withHeadroom(1000 / ratePerSecond), now)
  }

  /** Until when the provider asked us to send nothing (a `performance.now()` time; 0 = never paused). */
  get pausedUntil(): number {
    return this.paused
  }

  /**
   * Books the earliest slot that starts no later than `latestStartAt` and answers its start
   * (a `performance.now()` time, maybe now), or `undefined` when there is none that early
   * (nothing is booked then).
   */
  reserve(latestStartAt: number): number | undefined {
    const now = this.now()
    this.prune(now)
    const n = this.starts.length
    // Any window holding the new start then holds only requests later than the n-th latest.
    const freedAt = n < this.perWindow ? now : (this.starts[n - this.perWindow] as number) + this.windowMs
    const at = Math.max(now, this.paused, freedAt)
    if (at > latestStartAt) return undefined
    this.insert(at)
    return at
  }

  /** Whether a request could start right now (nothing is booked). */
  available(): boolean {
    const now = this.now()
    this.prune(now)
    const n = this.starts.length
    return now >= this.paused && (n < this.perWindow || (this.starts[n - this.perWindow] as number) + this.windowMs <= now)
  }

  /** A slot now or never: for hedges, which are only worth sending at once. */
  takeNow(): boolean {
    return this.reserve(this.now()) !== undefined
  }

  /** A caller left before its reserved slot `at`: the slot goes to whoever asks next. */
  refund(at: number): void {
    const index = this.starts.lastIndexOf(at)
    if (index !== -1) this.starts.splice(index, 1)
  }

  /** The provider said "wait": nobody starts before `ms` from now. */
  pause(ms: number): void {
    this.paused = Math.max(this.paused, this.now() + ms)
  }

  private prune(now: number): void {
    let old = 0
    while (old < this.starts.length && (this.starts[old] as number) <= now - this.windowMs) old++
    if (old > 0) this.starts.splice(0, old)
  }

  /** Refunds can free a slot earlier than ones already booked: keep the list sorted. */
  private insert(at: number): void {
    let i = this.starts.length
    while (i > 0 && (this.starts[i - 1] as number) > at) i--
    this.starts.splice(i, 0, at)
  }
}
