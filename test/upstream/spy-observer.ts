import { vi } from 'vitest'
import type { UpstreamObserver } from '../../src/domain/observer.js'

/** An UpstreamObserver that records every report, for tests that check what the policies told it. */
export const spyObserver = () => ({
  upstreamRequest: vi.fn(),
  retried: vi.fn(),
  hedgeSent: vi.fn(),
  hedgeWon: vi.fn(),
  hedgeSkippedBusy: vi.fn(),
  coalesced: vi.fn(),
  batchSent: vi.fn(),
  cache: vi.fn()
}) satisfies UpstreamObserver
