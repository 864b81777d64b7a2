import type { LatencyTracker } from './latency-tracker.js'
import { EVENT_LOOP, type LoopGauge } from './loop-utilization.js'
import { SharedTimer } from './shared-timer.js'

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

// Counters are halved now and then so the budget follows recent traffic, not all of history.
const BUDGET_HALF_LIFE_CALLS = 10_000
// Whether hedges pay is judged once this many were sent (before that the budget is whole).
const HEDGES_FOR_A_VERDICT = 20
// Hedges that answer first at least this often get the whole budget; fewer wins, a smaller one...
const PAYING_WIN_RATE = 0.5
// ...down to this share of it, so hedging never stops and can find out when it pays again.
const MIN_BUDGET_SHARE = 0.1

/**
 * Hedged requests ("The Tail at Scale"): when a call has not answered by the upstream's
 * rolling p95, one duplicate is sent; the first real answer wins and the other is aborted.
 * This object only decides (synchronously, so a call it does not hedge costs no timer), and
 * keeps the one timer all of the host's armed hedges wait on; the upstream flight runs the
 * race. Hedging presumes spare capacity: while our own loop is saturated it stands aside
 * entirely. And it follows its own payoff: the budget shrinks with the share of hedges that
 * answer first. A hedge that loses cost a request and (on HTTP/1.1) the socket its loser was
 * aborted on; when calls are "slow" only by our own queueing, just past a tight p95, the
 * primary nearly always wins, and hedging at the full budget would only add load.
 */
export class Hedger {
  private calls = 0
  private hedges = 0
  private wins = 0
  /** The host's armed hedges, due at about the same delay after their calls went out. */
  readonly timer = new SharedTimer()

  constructor(
    private readonly tracker: LatencyTracker,
    private readonly options: HedgeOptions,
    private readonly events: HedgeEvents = NO_EVENTS,
    private readonly loop: LoopGauge = EVENT_LOOP
  ) {}

  /**
   * A new call: counts it, and says after how many ms a hedge would be due, or `undefined`
   * when none could be sent anyway (disabled, no p95 yet, no budget, loop saturated).
   */
  arm(): number | undefined {
    this.countCall()
    const p95 = this.tracker.p95()
    if (!this.options.enabled || p95 === undefined || !this.budgetAllows() || this.loopBusy()) return undefined
    return Math.max(this.options.minDelayMs, p95)
  }

  /**
   * The armed delay is over, `lateByMs` after it was due: whether to send the hedge now.
   * `hasCapacity` says whether a slot is free (a hedge never queues behind other calls).
   */
  fire(lateByMs: number, hasCapacity: boolean): boolean {
    if (!this.budgetAllows() || !hasCapacity) return false
    if (lateByMs > this.options.maxLoopLagMs || this.loopBusy()) {
      this.events.skippedBusy()
      return false
    }
    this.hedges++
    this.events.sent()
    return true
  }

  /** The hedge's answer was the one used. */
  won(): void {
    this.wins++
    this.events.won()
  }

  private countCall(): void {
    this.calls++
    if (this.calls >= BUDGET_HALF_LIFE_CALLS) {
      this.calls /= 2
      this.hedges /= 2
      this.wins /= 2
    }
  }

  /** The share of the budget hedging has earned: whole until enough hedges were sent to judge. */
  private budgetShare(): number {
    if (this.hedges < HEDGES_FOR_A_VERDICT) return 1
    return Math.min(1, Math.max(MIN_BUDGET_SHARE, this.wins / this.hedges / PAYING_WIN_RATE))
  }

  private loopBusy(): boolean {
    return this.loop.utilization() > this.options.maxLoopUtilization
  }

  private budgetAllows(): boolean {
    return this.hedges + 1 <= this.options.maxRatio * this.budgetShare() * this.calls
  }
}
