import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { CpuProfile } from '../../bench/profile-layers.js'
import { lastPart, summarizeProfile } from '../../bench/profile.js'

// Two functions: `warmUp` runs for the first 3 s, `steady` for the last 2 (one sample per 0.5 s).
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 3] },
    { id: 2, callFrame: { functionName: 'warmUp', url: 'file:///x/dist/a.js', lineNumber: 0 } },
    { id: 3, callFrame: { functionName: 'steady', url: 'file:///x/dist/b.js', lineNumber: 0 } }
  ],
  samples: [2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3],
  timeDeltas: [0, 500_000, 500_000, 500_000, 500_000, 500_000, 500_000, 500_000, 500_000, 500_000, 500_000]
}

const dir = mkdtempSync(join(tmpdir(), 'profile-last-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the profile of a steady state (--profile-last)', () => {
  it('keeps only the samples of the last seconds', () => {
    const part = lastPart(PROFILE, 2_000)
    expect(part.samples).toEqual([3, 3, 3, 3, 3])
    expect(part.timeDeltas).toEqual([0, 500_000, 500_000, 500_000, 500_000])
    expect(lastPart(PROFILE, 60_000).samples).toEqual(PROFILE.samples)
  })

  it('ranks what ran in that window only', async () => {
    const file = join(dir, 'p.cpuprofile')
    writeFileSync(file, JSON.stringify(PROFILE))
    const whole = await summarizeProfile(file)
    expect(whole.functions.map((f) => f.name.split(' ')[0])).toEqual(['warmUp', 'steady'])
    const steady = await summarizeProfile(file, 15, 2_000)
    expect(steady.functions.map((f) => f.name.split(' ')[0])).toEqual(['steady'])
    expect(steady.totalMs).toBe(2_000)
  })
})
