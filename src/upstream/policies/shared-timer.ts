/** What a shared timer calls when its time has come. */
export interface DueTarget {
  due(lateByMs: number): void
}

/** One thing waiting on a shared timer; `cancel` it through the timer that made it. */
export interface DueEntry {
  readonly dueAt: number
  target: DueTarget | undefined
}

// A Node timer may fire up to a millisecond before performance.now() says it is due (its clock
// counts whole milliseconds): entries due within this are treated as due, not waited for again.
const EARLY_FIRE_MS = 1

/**
 * Many short waits of nearly the same length on one Node timer: a host's hedges, each due the
 * upstream's p95 after its call went out. Calls arrive in order and their delays change only
 * when the p95 does, so entries are kept sorted by appending (an entry due earlier than the last
 * is inserted from the back, which is rare). Most are cancelled, because most calls answer before
 * their p95; a cancelled entry is only marked, and dropped when the timer passes it. The timer is
 * armed for the earliest live entry, so under load one setTimeout serves many calls, and it is
 * cleared as soon as no entry is live: nothing waits on it once every call has settled.
 */
export class SharedTimer {
  private readonly queue: DueEntry[] = []
  private head = 0
  private live = 0
  private timer: NodeJS.Timeout | undefined
  private timerAt = Infinity
  private readonly fire = (): void => this.fireDue()

  /** `target.due` is called once at `dueAt` (a `performance.now()` time), unless cancelled first. */
  add(target: DueTarget, dueAt: number): DueEntry {
    const entry: DueEntry = { dueAt, target }
    let at = this.queue.length
    while (at > this.head && (this.queue[at - 1] as DueEntry).dueAt > dueAt) at--
    if (at === this.queue.length) this.queue.push(entry)
    else this.queue.splice(at, 0, entry)
    this.live++
    if (dueAt < this.timerAt) this.arm(dueAt)
    return entry
  }

  cancel(entry: DueEntry): void {
    if (entry.target === undefined) return
    entry.target = undefined
    if (--this.live === 0) this.reset()
  }

  /** Entries waiting and not cancelled (for tests and gauges). */
  get pending(): number {
    return this.live
  }

  private fireDue(): void {
    this.timer = undefined
    this.timerAt = Infinity
    const now = performance.now()
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head] as DueEntry
      const { target } = entry
      if (target !== undefined && entry.dueAt > now + EARLY_FIRE_MS) break
      this.head++
      if (target === undefined) continue
      entry.target = undefined
      this.live--
      target.due(now - entry.dueAt)
    }
    // `due` may have added or cancelled entries; what is left decides the next wake-up.
    if (this.live === 0) {
      this.reset()
      return
    }
    this.compact()
    const next = this.firstLive()
    if (next !== undefined && next.dueAt < this.timerAt) this.arm(next.dueAt)
  }

  private firstLive(): DueEntry | undefined {
    while (this.head < this.queue.length && (this.queue[this.head] as DueEntry).target === undefined) this.head++
    return this.queue[this.head]
  }

  private arm(dueAt: number): void {
    clearTimeout(this.timer)
    this.timerAt = dueAt
    this.timer = setTimeout(this.fire, Math.max(0, dueAt - performance.now()))
  }

  // The passed part of the queue is dropped now and then, not on every entry: a shift per
  // entry would move the whole array each time.
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head)
      this.head = 0
    }
  }

  private reset(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
    this.queue.length = 0
    this.head = 0
  }
}
