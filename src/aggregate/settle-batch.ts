import { normalizeIsbn, type NormalizedIsbn } from '../domain/isbn.js'
import type { AggregatedBook } from './book-aggregator.js'

export type BatchOutcome =
  | { readonly index: number; readonly input: string; readonly kind: 'invalid'; readonly reason: string }
  | { readonly index: number; readonly input: string; readonly kind: 'book'; readonly book: AggregatedBook }

export interface BatchOptions {
  /** Books looked up at once for this batch (the per-upstream bulkheads still apply). */
  readonly concurrency: number
  /** Aborting it stops scheduling and cancels the lookups in flight. */
  readonly signal: AbortSignal
  readonly lookup: (isbn: NormalizedIsbn, signal: AbortSignal) => Promise<AggregatedBook>
}

/**
 * Looks up a batch of ISBNs through a bounded worker pool and yields each item as soon as it
 * is settled (completion order, each with its input index). Invalid ISBNs are settled first
 * and never looked up; duplicates (after normalization) are looked up once.
 */
export async function* settleBatch(inputs: readonly string[], options: BatchOptions): AsyncGenerator<BatchOutcome> {
  const ready: BatchOutcome[] = []
  let wake: (() => void) | undefined
  const push = (outcome: BatchOutcome): void => {
    ready.push(outcome)
    wake?.()
  }

  const groups = new Map<string, { isbn: NormalizedIsbn; indexes: number[] }>()
  inputs.forEach((input, index) => {
    const isbn = normalizeIsbn(input)
    if (!isbn.ok) return push({ index, input, kind: 'invalid', reason: isbn.reason })
    const group = groups.get(isbn.value.isbn13)
    if (group === undefined) groups.set(isbn.value.isbn13, { isbn: isbn.value, indexes: [index] })
    else group.indexes.push(index)
  })

  const queue = [...groups.values()]
  const work = async (): Promise<void> => {
    for (let group = queue.shift(); group !== undefined && !options.signal.aborted; group = queue.shift()) {
      const book = await options.lookup(group.isbn, options.signal)
      for (const index of group.indexes) push({ index, input: inputs[index] as string, kind: 'book', book })
    }
  }
  const workers = Array.from({ length: Math.min(options.concurrency, queue.length) }, work)
  // Lookups settle rather than reject; this only keeps a bug from becoming an unhandled rejection.
  void Promise.all(workers).catch(() => undefined)

  const onAbort = (): void => wake?.()
  options.signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (let yielded = 0; yielded < inputs.length;) {
      const next = ready.shift()
      if (next !== undefined) {
        yielded++
        yield next
      } else if (options.signal.aborted) {
        return
      } else {
        await new Promise<void>((resolve) => { wake = resolve })
        wake = undefined
      }
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort)
  }
}
