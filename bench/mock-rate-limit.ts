// A provider's rate limit as the mock enforces it per upstream port (MOCK_MAX_RPS): a request
// beyond `max` admitted within any sliding window of `windowMs` is refused. A refused request
// does not use up the quota, so a client that keeps knocking is served again as soon as the
// oldest admitted request leaves the window, as with the providers whose 429 says Retry-After: 1.

export class SlidingWindowLimit {
  /** The last `max` admission times, a ring: `next` is the oldest, and the slot the next one takes. */
  private readonly admitted: number[]
  private next = 0

  constructor(readonly max: number, readonly windowMs = 1000, private readonly now: () => number = performance.now.bind(performance)) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be an integer ≥ 1, not ${max}`)
    this.admitted = new Array<number>(max).fill(-Infinity)
  }

  /**
   * At most `ratePerSecond` requests per second over any window: whole rates as N per 1 s, one
   * below 1 as one per 1/rate s (0.5 = one every 2 s), the way providers state them.
   */
  static perSecond(ratePerSecond: number, now?: () => number): SlidingWindowLimit {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`rate must be a number > 0, not ${ratePerSecond}`)
    return ratePerSecond >= 1
      ? new SlidingWindowLimit(Math.floor(ratePerSecond), 1000, now)
      : new SlidingWindowLimit(1, Math.round(1000 / ratePerSecond), now)
  }

  /** Admits a request now (and counts it), or refuses it when `max` were admitted within the window. */
  tryAdmit(): boolean {
    const now = this.now()
    if (now - (this.admitted[this.next] as number) < this.windowMs) return false
    this.admitted[this.next] = now
    this.next = (this.next + 1) % this.max
    return true
  }
}

/** MOCK_MAX_RPS: unset or blank = no limit. */
export function parseMaxRps(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  const rate = Number(raw)
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`MOCK_MAX_RPS must be a number > 0, got "${raw}"`)
  return rate
}
