import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { EventLoopGauge } from '../../../src/upstream/policies/loop-utilization.js'

function spin(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) { /* our own CPU-bound stretch */ }
}

describe('EventLoopGauge', () => {
  it('reads a loop that never waited as busy, and one that only waited as idle', async () => {
    const gauge = new EventLoopGauge(50)
    spin(80)
    expect(gauge.utilization()).toBeGreaterThan(0.8)

    await sleep(80)
    expect(gauge.utilization()).toBeLessThan(0.5)
  })

  it('keeps its last reading until a whole window has passed', () => {
    const gauge = new EventLoopGauge(60_000)
    spin(30)
    expect(gauge.utilization()).toBe(0) // the first window is not over yet
  })
})
