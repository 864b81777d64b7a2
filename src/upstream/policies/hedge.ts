import type { FetchResult } from '../../domain/outcome.js'
import type { LatencyTracker } from './latency-tracker.js'
import { EVENT_LOOP, type LoopGauge } from './loop-utilization.js'

export interface HedgeOptions {
  readonly enabled: boolean
  /** Never hedge sooner than this, whatever the p95 says. */
  readonly minDelayMs: number
  /** At most this share of calls may send a hedge (e.g. 0.05). */
  readonly maxRatio: number
  /**
   * A hedge timer that fires later than this means our own event loop is the bottleneck:
   * the primary is slow because we are, and a duplicate would only add load.
   */
  readonly maxLoopLagMs: number
  /**
   * No hedging while our event loop is busier than this (0–1; 1 = never hold back): a
   * saturated service makes every call slow by itself, and duplicates only add load.
   */
  readonly maxLoopUtilization: number
}

export interface HedgeEvents {
  sent(): void
  won(): void
  /** A hedge was due but our event loop was too late or too busy for it to help. */
  skippedBusy(): void
}

const NO_EVENTS: HedgeEvents = { sent: () => undefined, won: () => undefined, skippedBusy: () => undefined }

// One reason for every aborted loser: building an Error (and its stack) per call is not free.
const HEDGE_LOST = new DOMException('another attempt answered first', 'AbortError')

// Counters are halved now and then so the budget follows recent traffic, not all of history.
const BUDGET_HALF_LIFE_CALLS = 10_000

/**
 * Hedged requests ("The Tail at Scale"): when a call has not answered by the upstream's
 * rolling p95, one duplicate is sent; the first real answer wins and the other is aborted.
 * Hedging presumes spare capacity: while our own loop is saturated it stands aside entirely,
 * sparing every call its timer and controllers too.
 */
export class Hedger {
  private calls = 0
  private hedges = 0

  constructor(
    private readonly tracker: LatencyTracker,
    private readonly options: HedgeOptions,
    private readonly events: HedgeEvents = NO_EVENTS,
    private readonly loop: LoopGauge = EVENT_LOOP
  ) {}

  /**
   * `send` makes one upstream request; `canHedge` says whether there is capacity for a
   * duplicate right now (a hedge never queues behind other calls).
   */
  async run(
    send: (signal: AbortSignal) => Promise<FetchResult>,
    signal: AbortSignal,
    canHedge: () => boolean
  ): Promise<FetchResult> {
    this.countCall()
    const p95 = this.tracker.p95()
    // No timer, no extra controllers when no hedge could be sent anyway.
    if (!this.options.enabled || p95 === undefined || !this.budgetAllows() || this.loopBusy()) return send(signal)

    const attempts: Array<{ controller: AbortController; settled: boolean }> = []
    const launch = (): Promise<FetchResult> => {
      const attempt = { controller: new AbortController(), settled: false }
      const abort = (): void => attempt.controller.abort(signal.reason)
      if (signal.aborted) abort()
      else signal.addEventListener('abort', abort, { once: true })
      attempts.push(attempt)
      return send(attempt.controller.signal).finally(() => {
        attempt.settled = true
        signal.removeEventListener('abort', abort)
      })
    }

    const primary = launch()
    let timer: NodeJS.Timeout | undefined
    const delayMs = Math.max(this.options.minDelayMs, p95)
    const dueAt = performance.now() + delayMs
    const hedged = new Promise<FetchResult>((resolve, reject) => {
      timer = setTimeout(() => {
        if (signal.aborted || !this.budgetAllows() || !canHedge()) return
        if (performance.now() - dueAt > this.options.maxLoopLagMs || this.loopBusy()) {
          this.events.skippedBusy()
          return
        }
        this.hedges++
        this.events.sent()
        launch().then(resolve, reject)
      }, delayMs)
    })
    try {
      const first = await Promise.race([primary.then((r) => ({ r, hedge: false })), hedged.then((r) => ({ r, hedge: true }))])
      const waitForOther = first.r.status === 'error' && attempts.length > 1
      const winner = waitForOther ? await (first.hedge ? primary : hedged) : first.r // an error waits for the other answer
      if (first.hedge !== waitForOther) this.events.won()
      return attempts.length > 1 ? { ...winner, hedged: true } : winner
    } finally {
      clearTimeout(timer)
      // The loser (if any) is aborted: its answer is no longer wanted.
      for (const attempt of attempts) if (!attempt.settled) attempt.controller.abort(HEDGE_LOST)
    }
  }

  private countCall(): void {
    this.calls++
    if (this.calls >= BUDGET_HALF_LIFE_CALLS) {
      this.calls /= 2
      this.hedges /= 2
    }
  }

  private loopBusy(): boolean {
    return this.loop.utilization() > this.options.maxLoopUtilization
  }

  private budgetAllows(): boolean {
    return this.hedges + 1 <= this.options.maxRatio * this.calls
  }
}
