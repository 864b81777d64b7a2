import { describe, it, expect } from 'vitest'
import { summarizeAllocations } from '../../bench/allocation-profile.js'

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber })

describe('bench:allocations-profile', () => {
  it('sums what each function and module allocated itself, per response, largest first', () => {
    const head = {
      callFrame: frame('(root)', ''), selfSize: 0, children: [
        { callFrame: frame('onResponseEnd', 'file:///x/node_modules/undici/lib/a.js', 9), selfSize: 4000, children: [] },
        {
          callFrame: frame('gather', 'file:///x/dist/aggregate/gather-sources.js', 38), selfSize: 1000, children: [
            { callFrame: frame('', 'file:///x/node_modules/undici/lib/b.js', 1), selfSize: 2000, children: [] }
          ]
        }
      ]
    }
    const summary = summarizeAllocations(head, 10)
    expect(summary.bytesPerResponse).toBe(700)
    expect(summary.modules[0]).toEqual({ name: 'undici', bytesPerResponse: 600 })
    expect(summary.functions.map((f) => f.bytesPerResponse)).toEqual([400, 200, 100])
    expect(summary.functions[1]?.name).toMatch(/^\(anonymous\) .*b\.js:2$/)
  })
})
