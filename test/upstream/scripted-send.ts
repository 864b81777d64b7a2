import type { FetchResult } from '../../src/domain/outcome.js'
import type { ExchangeHandle } from '../../src/upstream/json-exchange.js'
import type { Send } from '../../src/upstream/upstream-flight.js'

/** How one request to the scripted upstream goes: an answer after some ms, or none at all. */
export type Step = { readonly answer: FetchResult; readonly afterMs: number } | 'never'

export const answerAfter = (afterMs: number, answer: FetchResult): Step => ({ answer, afterMs })
export const NEVER: Step = 'never'

/** What the scripted upstream saw of one request. */
export interface SentRequest {
  /** `performance.now()` when it was sent. */
  readonly sentAt: number
  /** The reason it was aborted with, if it was. */
  abortReason: Error | undefined
  answered: boolean
}

export interface ScriptedSend {
  readonly send: Send
  readonly requests: readonly SentRequest[]
  /** When each request was sent, relative to the first. */
  offsets(): number[]
}

/**
 * A fake `Send` whose n-th request goes as `plan[n]` (the last step repeats). It keeps the
 * ExchangeHandle contract as the real client does: an abort clears the answer's timer, so
 * `done` is never called after it and no timer is left behind. It also holds the flight to
 * its side of that contract: aborting a request that already answered, or aborting twice,
 * throws (the real client would end its span twice).
 */
export function scriptedSend(...plan: Step[]): ScriptedSend {
  const requests: SentRequest[] = []
  const send: Send = (done) => {
    const step = plan[Math.min(requests.length, plan.length - 1)] ?? NEVER
    const request: SentRequest = { sentAt: performance.now(), abortReason: undefined, answered: false }
    requests.push(request)
    return answerLater(request, step === 'never' ? 'never' : { afterMs: step.afterMs, answer: () => step.answer }, done)
  }
  return {
    send,
    requests,
    offsets: () => requests.map((r) => r.sentAt - (requests[0]?.sentAt ?? 0))
  }
}

/**
 * Answers `request` with `step.answer()` after `step.afterMs` (or never), through a handle that
 * keeps the ExchangeHandle contract as the real client does: an abort clears the answer's timer;
 * aborting an answered request, or twice, throws.
 */
export function answerLater(
  request: SentRequest, step: { readonly afterMs: number; readonly answer: () => FetchResult } | 'never', done: (result: FetchResult) => void
): ExchangeHandle {
  const timer = step === 'never'
    ? undefined
    : setTimeout(() => {
      request.answered = true
      done(step.answer())
    }, step.afterMs)
  return {
    abort(reason) {
      if (request.answered) throw new Error('aborted a request that had already answered')
      if (request.abortReason !== undefined) throw new Error('aborted the same request twice')
      request.abortReason = reason
      clearTimeout(timer)
    }
  }
}
