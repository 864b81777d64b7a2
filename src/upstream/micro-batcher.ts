import type { UpstreamObserver } from '../domain/observer.js'
import type { FetchResult } from '../domain/outcome.js'
import type { TraceContext } from '../tracing/trace-context.js'
import type { ExchangeHandle } from './json-exchange.js'
import type { UpstreamHost } from './upstream-host.js'

export interface MicroBatchOptions {
  /** The most keys (ISBNs) one upstream call may carry. */
  readonly maxSize: number
  /** How long the first lookup of a batch waits for others to join it. */
  readonly windowMs: number
  /** ...but never more than this share of the time a lookup has left (0–1). */
  readonly windowShare: number
}

/** One endpoint that answers many keys at once: how to ask it, and how to cut its answer up. */
export interface BatchEndpoint {
  /** Names the endpoint in the batch-size histogram, beside the host's name (`books`, `editions`…). */
  readonly name: string
  /** Sends one request for all `keys`; the answer's `ok` data is whatever `split` reads. */
  send(keys: readonly string[], trace: TraceContext | undefined, done: (result: FetchResult) => void): ExchangeHandle
  /** One key's part of a whole `ok` answer: its section, `not_found` when absent, `invalid_response` when malformed. */
  split(data: unknown, key: string): FetchResult
}

interface Waiter {
  readonly signal: AbortSignal
  readonly resolve: (result: FetchResult) => void
  readonly reject: (reason: unknown) => void
  readonly leave: () => void
}

interface Batch {
  readonly id: number
  /** Key → its callers. A key whose callers all left before the send is dropped from the call. */
  readonly entries: Map<string, Waiter[]>
  /** Fixed at the first send (a retry or hedge asks for the same keys). */
  keys: readonly string[] | undefined
  /** Aborted once no caller waits any more: the upstream call then stops, as in a coalesced flight. */
  readonly controller: AbortController
  deadlineAt: number
  dispatchAt: number
  timer: NodeJS.Timeout | undefined
  dispatched: boolean
  trace: TraceContext | undefined
}

/**
 * The DataLoader pattern across requests: lookups of different keys that arrive within a
 * short window share one upstream call, which goes out when the window closes or the batch is
 * full. Until the request is actually sent (it may wait for a bulkhead or rate slot) the batch
 * keeps taking keys, so a rate-limited host sends fuller batches, not more of them. The call
 * is one flight of the host: one bulkhead slot, one rate slot, one breaker verdict, at most one
 * retry. Every caller keeps its own signal; the call is aborted only when all have left.
 */
export class MicroBatcher {
  private open: Batch | undefined
  /** Keys waiting in a batch not yet answered: a second lookup of one joins the first. */
  private readonly pending = new Map<string, Batch>()
  private nextId = 0

  constructor(
    private readonly host: UpstreamHost,
    private readonly endpoint: BatchEndpoint,
    private readonly options: MicroBatchOptions,
    private readonly observer: Pick<UpstreamObserver, 'batchSent' | 'coalesced'>
  ) {}

  load(key: string, signal: AbortSignal, deadlineAt: number, trace?: TraceContext): Promise<FetchResult> {
    if (signal.aborted) return Promise.reject(signal.reason as Error)
    const joined = this.pending.get(key)
    if (joined !== undefined) {
      this.observer.coalesced(this.host.name)
      const answer = this.wait(joined, key, signal)
      // A second caller of a key counts like any other: less time left brings the send forward.
      this.admit(joined, deadlineAt)
      return answer
    }
    const batch = this.open ?? this.startBatch(trace)
    const answer = this.wait(batch, key, signal)
    this.pending.set(key, batch)
    if (batch.entries.size >= this.options.maxSize) {
      batch.deadlineAt = Math.max(batch.deadlineAt, deadlineAt)
      this.open = undefined
      this.dispatch(batch)
      return answer
    }
    this.admit(batch, deadlineAt)
    return answer
  }

  /** A caller with `deadlineAt` waits in `batch`: until it is dispatched, its time left bounds the window. */
  private admit(batch: Batch, deadlineAt: number): void {
    if (batch.dispatched) return
    batch.deadlineAt = Math.max(batch.deadlineAt, deadlineAt)
    const now = performance.now()
    this.scheduleDispatch(batch, now + Math.min(this.options.windowMs, this.options.windowShare * Math.max(0, deadlineAt - now)))
  }

  private startBatch(trace: TraceContext | undefined): Batch {
    const batch: Batch = {
      id: this.nextId++, entries: new Map(), keys: undefined, controller: new AbortController(),
      deadlineAt: 0, dispatchAt: Infinity, timer: undefined, dispatched: false, trace
    }
    this.open = batch
    return batch
  }

  private wait(batch: Batch, key: string, signal: AbortSignal): Promise<FetchResult> {
    return new Promise<FetchResult>((resolve, reject) => {
      const waiter: Waiter = { signal, resolve, reject, leave: () => this.leave(batch, key, waiter) }
      const waiters = batch.entries.get(key)
      if (waiters === undefined) batch.entries.set(key, [waiter])
      else waiters.push(waiter)
      signal.addEventListener('abort', waiter.leave, { once: true })
    })
  }

  /** A later caller with less time left brings the send forward; nobody pushes it back. */
  private scheduleDispatch(batch: Batch, at: number): void {
    if (at >= batch.dispatchAt) return
    batch.dispatchAt = at
    clearTimeout(batch.timer)
    batch.timer = setTimeout(() => this.dispatch(batch), Math.max(0, at - performance.now()))
  }

  private dispatch(batch: Batch): void {
    clearTimeout(batch.timer)
    batch.timer = undefined
    if (batch.dispatched) return
    batch.dispatched = true
    // The batch stays open until the request goes out (or it is full): the send reads the keys then.
    this.host.call(`batch:${this.endpoint.name}:${batch.id}`, batch.controller.signal, batch.deadlineAt, (done) => {
      if (this.open === batch) this.open = undefined
      if (batch.keys === undefined) {
        batch.keys = [...batch.entries.keys()]
        this.observer.batchSent(this.host.name, this.endpoint.name, batch.keys.length)
      }
      return this.endpoint.send(batch.keys, batch.trace, done)
    }).then((result) => this.settle(batch, result), () => {
      // Every caller has left already (the only way the flight rejects): nothing to answer.
      this.forget(batch)
    })
  }

  private settle(batch: Batch, result: FetchResult): void {
    this.forget(batch)
    const size = batch.keys?.length ?? 0
    for (const [key, waiters] of batch.entries) {
      if (waiters.length === 0) continue
      const own = result.status === 'ok' ? this.endpoint.split(result.data, key) : result
      const marked: FetchResult = {
        ...own,
        ...marksOf(result),
        ...(waiters.length > 1 ? { coalesced: true } : {}),
        ...(size > 1 ? { batched: size } : {})
      }
      for (const waiter of waiters) {
        waiter.signal.removeEventListener('abort', waiter.leave)
        waiter.resolve(marked)
      }
    }
    batch.entries.clear()
  }

  private forget(batch: Batch): void {
    if (this.open === batch) this.open = undefined
    for (const key of batch.entries.keys()) if (this.pending.get(key) === batch) this.pending.delete(key)
  }

  private leave(batch: Batch, key: string, waiter: Waiter): void {
    const waiters = batch.entries.get(key) as Waiter[]
    waiters.splice(waiters.indexOf(waiter), 1)
    waiter.reject(waiter.signal.reason)
    // Not sent yet: the key leaves the call, so nobody's budget pays for it.
    if (waiters.length === 0 && batch.keys === undefined) {
      batch.entries.delete(key)
      if (this.pending.get(key) === batch) this.pending.delete(key)
    }
    for (const others of batch.entries.values()) if (others.length > 0) return
    // Nobody waits any more: the flight aborts its request (a timeout counts against the host).
    clearTimeout(batch.timer)
    this.forget(batch)
    batch.controller.abort(waiter.signal.reason)
  }
}

/** The flight's marks (retried, hedged) belong to every part of the answer. */
function marksOf(result: FetchResult): { retried?: true; hedged?: true } {
  return {
    ...(result.retried === true ? { retried: true } : {}),
    ...(result.hedged === true ? { hedged: true } : {})
  }
}
