import { performance, type EventLoopUtilization } from 'node:perf_hooks'

/** How busy our own event loop has been lately: 0 = idle, 1 = never waiting for I/O. */
export interface LoopGauge {
  utilization(): number
}

/**
 * Event loop utilization over the last completed window of `windowMs`. Sampled lazily when
 * asked, so there is no timer to keep the process alive and an idle service pays nothing;
 * after a quiet spell the window is simply longer (and rightly says the loop was idle).
 */
export class EventLoopGauge implements LoopGauge {
  private mark: EventLoopUtilization = performance.eventLoopUtilization()
  private markAt = performance.now()
  private last = 0

  constructor(private readonly windowMs = 500) {}

  utilization(): number {
    const now = performance.now()
    if (now - this.markAt >= this.windowMs) {
      const next = performance.eventLoopUtilization()
      this.last = performance.eventLoopUtilization(next, this.mark).utilization
      this.mark = next
      this.markAt = now
    }
    return this.last
  }
}

/** The process has one event loop, so every policy that asks shares one gauge. */
export const EVENT_LOOP: LoopGauge = new EventLoopGauge()
