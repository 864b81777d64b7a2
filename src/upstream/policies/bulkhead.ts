/** A call waiting for a slot; `start` runs once one is free. */
export interface BulkheadTicket {
  readonly start: () => void
}

/**
 * At most `capacity` calls at once, and at most `maxQueue` more waiting in FIFO order. All
 * synchronous: admission is a counter, a queued call is a callback, so a call that gets a
 * slot at once costs no promise, timer or signal.
 */
export class Bulkhead {
  private active = 0
  private readonly queue: BulkheadTicket[] = []

  constructor(readonly capacity: number, readonly maxQueue: number) {}

  get inFlight(): number {
    return this.active
  }

  get queued(): number {
    return this.queue.length
  }

  get hasFreeSlot(): boolean {
    return this.active < this.capacity
  }

  /** Takes a slot if one is free (then nobody is queued: `release` hands slots to the queue first). */
  tryAcquire(): boolean {
    if (this.active >= this.capacity) return false
    this.active++
    return true
  }

  /**
   * Runs `start` now if a slot is free, else queues it. Returns the ticket (to `leave` the
   * queue early), `'started'`, or `'full'` when the queue is full too.
   */
  enter(start: () => void): BulkheadTicket | 'started' | 'full' {
    if (this.tryAcquire()) {
      start()
      return 'started'
    }
    if (this.queue.length >= this.maxQueue) return 'full'
    const ticket = { start }
    this.queue.push(ticket)
    return ticket
  }

  /** A queued call that no longer wants its slot. */
  leave(ticket: BulkheadTicket): void {
    const at = this.queue.indexOf(ticket)
    if (at !== -1) this.queue.splice(at, 1)
  }

  /** A started call is over: its slot goes to the longest-waiting call, if any. */
  release(): void {
    const next = this.queue.shift()
    if (next === undefined) this.active--
    else next.start()
  }
}
