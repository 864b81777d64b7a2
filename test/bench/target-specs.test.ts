import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startFlags, TARGETS } from '../../bench/target-specs.js'

// The bench runs our service with the flags its `npm start` ships with, read from the measured
// checkout: bench:ab then compares a change of heap sizing like any other change.

const checkouts: string[] = []
afterAll(() => {
  for (const dir of checkouts) rmSync(dir, { recursive: true, force: true })
})

function checkoutWithStart(start: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'book-aggregator-start-'))
  checkouts.push(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ scripts: { start } }))
  return dir
}

describe('startFlags', () => {
  it('takes the node flags of npm start, without the script', () => {
    expect(startFlags(checkoutWithStart('node --max-semi-space-size=8 --min-semi-space-size=8 dist/server.js')))
      .toEqual(['--max-semi-space-size=8', '--min-semi-space-size=8'])
    expect(startFlags(checkoutWithStart('node dist/server.js'))).toEqual([])
  })

  it('refuses a start script that does not run node (the flags would mean nothing)', () => {
    expect(() => startFlags(checkoutWithStart('tsx src/server.ts'))).toThrow(/should run node/)
  })

  it('starts ours with this checkout\'s npm start flags, before the service file', () => {
    const flags = startFlags(undefined)
    expect(flags.length).toBeGreaterThan(0)
    const args = TARGETS.ours.nodeArgs({ serviceMode: 'dist' })
    expect(args.slice(0, flags.length)).toEqual(flags)
    expect(args.at(-1)).toMatch(/dist\/server\.js$/)
  })

  it('are the flags the Docker image runs with (the two places that start the service agree)', () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8')
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
    expect(cmd).toBeDefined()
    const words = JSON.parse(cmd as string) as string[]
    expect(words.filter((word) => word.startsWith('--'))).toEqual(startFlags(undefined))
  })
})
