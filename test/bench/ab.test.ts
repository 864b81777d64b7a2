import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

// Keeps `npm run bench:ab` from rotting: one pair of 1 s runs, HEAD against the working tree,
// through tsx so nothing is built. It checks out a git worktree, so it needs a git checkout
// (CI runs on a fresh clone).

const exec = promisify(execFile)
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url))

async function worktrees(): Promise<string[]> {
  const { stdout } = await exec('git', ['worktree', 'list', '--porcelain'], { cwd: REPO_ROOT })
  return stdout.split('\n').filter((line) => line.startsWith('worktree '))
}

describe('bench:ab smoke test', () => {
  it('runs a commit and the working tree in turn, reports both, and removes its worktree', async () => {
    const before = await worktrees()
    const { stdout } = await exec(TSX, [
      'bench/ab.ts', '--base', 'HEAD', '--scenario', 'fanout-cpu', '--pairs', '1', '--duration', '1', '--service', 'tsx'
    ], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 })

    const runs = stdout.split('\n').filter((line) => /^(base|head) /.test(line))
    expect(runs.map((line) => line.split(' ')[0])).toEqual(['base', 'head'])
    for (const line of runs) {
      const [, rps, cpu] = /(\d+) req\/s .* (\d+) µs of CPU per response/.exec(line) ?? []
      expect(Number(rps), line).toBeGreaterThan(0)
      expect(Number(cpu), line).toBeGreaterThan(0)
    }
    expect(stdout).toMatch(/fanout-cpu, medians of 1: base \d+ µs, working tree \d+ µs of CPU per response \([+-]\d+%\)/)
    expect(stdout).toMatch(/working tree ÷ base, pair by pair: [\d.]+ \(median [+-]\d+%\)/)
    expect(await worktrees()).toEqual(before)
  }, 90_000)

  it('interleaves the two builds, running side by side, slice by slice (ABBA)', async () => {
    const before = await worktrees()
    const { stdout } = await exec(TSX, [
      'bench/ab.ts', '--base', 'HEAD', '--scenario', 'cache-hit', '--pairs', '1', '--interleave', '--slice', '1', '--service', 'tsx'
    ], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 })

    const runs = stdout.split('\n').filter((line) => /^(base|head) /.test(line))
    expect(runs.map((line) => line.split(' ')[0])).toEqual(['base', 'head', 'head', 'base'])
    for (const line of runs) {
      const [, rps, cpu] = /(\d+) req\/s .* (\d+) µs of CPU per response/.exec(line) ?? []
      expect(Number(rps), line).toBeGreaterThan(0)
      expect(Number(cpu), line).toBeGreaterThan(0)
    }
    expect(stdout).toMatch(/cache-hit, interleaved, 1 rounds of 4 × 1 s: base \d+ µs, working tree \d+ µs of CPU per response \([+-]\d+%\)/)
    expect(stdout).toMatch(/round by round: [\d.]+ \(median [+-]\d+%\)/)
    expect(await worktrees()).toEqual(before)
  }, 90_000)
})
