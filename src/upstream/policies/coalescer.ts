interface InFlight<T> {
  readonly promise: Promise<T>
  readonly controller: AbortController
  waiters: number
  /** More than one caller joined: each of them gets a shared answer. */
  joined: boolean
}

export interface Coalesced<T> {
  readonly value: T
  /** The call served more than one caller. */
  readonly shared: boolean
  /** This caller joined a call already in flight (rather than starting it). */
  readonly joined: boolean
}

/**
 * Concurrent calls for the same key share one in-flight piece of work. A caller that leaves
 * (its signal aborts) stops waiting without cancelling the work for the others; the work is
 * aborted only when its last waiter has left.
 */
export class Coalescer<K, T> {
  private readonly inFlight = new Map<K, InFlight<T>>()

  get size(): number {
    return this.inFlight.size
  }

  run(key: K, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<Coalesced<T>> {
    if (signal.aborted) return Promise.reject(signal.reason)
    let entry = this.inFlight.get(key)
    const joined = entry !== undefined
    if (entry === undefined) {
      entry = this.start(key, work)
    } else {
      entry.joined = true
    }
    const flight = entry
    flight.waiters++

    return new Promise<Coalesced<T>>((resolve, reject) => {
      const leave = (): void => {
        flight.waiters--
        if (flight.waiters === 0) {
          // Nobody waits any more: stop the upstream call, and let newcomers start afresh.
          if (this.inFlight.get(key) === flight) this.inFlight.delete(key)
          flight.controller.abort(signal.reason)
        }
        reject(signal.reason)
      }
      signal.addEventListener('abort', leave, { once: true })
      flight.promise.then(
        (value) => {
          signal.removeEventListener('abort', leave)
          resolve({ value, shared: flight.joined, joined })
        },
        (error: unknown) => {
          signal.removeEventListener('abort', leave)
          reject(error)
        }
      )
    })
  }

  private start(key: K, work: (signal: AbortSignal) => Promise<T>): InFlight<T> {
    const controller = new AbortController()
    let promise: Promise<T>
    try {
      promise = work(controller.signal)
    } catch (error) {
      promise = Promise.reject(error)
    }
    const entry: InFlight<T> = { promise, controller, waiters: 0, joined: false }
    this.inFlight.set(key, entry)
    const done = (): void => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key)
    }
    // Settles the bookkeeping even when every waiter has left and nobody observes the result.
    promise.then(done, done)
    return entry
  }
}
