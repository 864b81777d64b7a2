import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { parseEnvPairs, runCli } from './cli.js'
import type { BenchReport } from './harness.js'
import { interleaved, median, type InterleaveSide } from './interleave.js'
import { cpuMsPerResponse } from './report.js'
import { scenarioByName } from './scenarios.js'
import type { ServiceMode } from './target-specs.js'

// `npm run bench:ab -- --base REF`: our service at REF against the working tree, in alternating
// runs of one scenario. On a shared VM the machine's own speed drifts by up to 2× within minutes,
// so figures from an earlier run say little about a change; runs taken in turn (ABBA order) do.
// The working tree's harness drives both builds (`--service-root`): the same mock, load and
// settings, and commits from before bench/ existed can be measured too.

const HELP = `usage: npm run bench:ab -- --base REF [options]
  --base REF        the commit to compare the working tree with (built in a temporary git worktree)
  --scenario NAME   the scenario to run (default fanout-cpu)
  --pairs N         how many runs of each build, in ABBA order (default 3)
  --duration S      seconds per measurement (default 8)
  --env KEY=VALUE   extra service environment for both builds (repeatable)
  --service MODE    dist (default: both builds compiled first) or tsx (src/ through tsx, no build;
                    slower, for checking the tool itself)
  --interleave      --pairs rounds, each with a fresh process of both builds running at once and
                    the load switching between them every --slice seconds (ABBA, then BAAB): the machine
                    drifts less within a round, and rounds sample each process's own luck
  --slice S         seconds per slice with --interleave (default 3)
  --base-env K=V    extra service environment for the base build only (repeatable; with --interleave)
  --head-env K=V    likewise for the working tree: \`--base HEAD --head-env CACHE_ENABLED=true\`
                    prices a setting with the code unchanged
  --base-node PATH  run the base build on this Node.js executable (default: the pinned runtime);
  --head-node PATH  likewise for the working tree: \`--base HEAD --base-node /usr/bin/node\`
                    prices a runtime change with the code unchanged
  REF only needs \`npm run build\` to give dist/server.js (or src/server.ts for --service tsx).`

const exec = promisify(execFile)
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

interface Run {
  readonly build: 'base' | 'head'
  readonly rps: number
  readonly p99: number
  readonly cpuMsPerResponse: number
}

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    scenario: { type: 'string', default: 'fanout-cpu' },
    pairs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    env: { type: 'string', multiple: true },
    service: { type: 'string', default: 'dist' },
    interleave: { type: 'boolean', default: false },
    slice: { type: 'string', default: '3' },
    'base-node': { type: 'string' },
    'base-env': { type: 'string', multiple: true },
    'head-env': { type: 'string', multiple: true },
    'head-node': { type: 'string' },
    help: { type: 'boolean', default: false }
  }
})

/** Dependencies for the worktree: linked when its lockfile is ours, else installed; then a build. */
async function prepareBase(dir: string): Promise<void> {
  const sameLock = (await readFile(join(dir, 'package-lock.json'), 'utf8')) === (await readFile(join(REPO_ROOT, 'package-lock.json'), 'utf8'))
  if (sameLock) await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  else await exec('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, maxBuffer: 64 * 1024 * 1024 })
  if (values.service === 'dist') await exec('npm', ['run', 'build'], { cwd: dir })
}

async function measure(build: Run['build'], tree: string, outDir: string): Promise<Run> {
  const args = ['bench/run.ts', '--scenario', values.scenario, '--target', 'ours', '--duration', values.duration,
    '--service', values.service, '--service-root', tree, '--out', outDir, '--interleave-rounds', '0']
  const nodePath = values[build === 'base' ? 'base-node' : 'head-node']
  if (nodePath !== undefined) args.push('--service-node', nodePath)
  for (const pair of values.env ?? []) args.push('--env', pair)
  await exec(join(REPO_ROOT, 'node_modules/.bin/tsx'), args, { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 })
  const report = JSON.parse(await readFile(join(outDir, 'partial', `${values.scenario}.json`), 'utf8')) as BenchReport
  const ours = report.scenarios[0]?.cases[0]?.measurements.find((m) => m.target === 'ours')
  if (ours === undefined) throw new Error(`no measurement of ours in ${values.scenario}`)
  return { build, rps: ours.load.rps, p99: ours.load.latencyMs.p99, cpuMsPerResponse: cpuMsPerResponse(ours) ?? NaN }
}

const micros = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`
const percent = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(0)}%`

async function compareInterleaved(baseTree: string, pairs: number): Promise<number> {
  const sliceS = Number(values.slice)
  if (!(sliceS > 0)) throw new Error(`--slice must be a positive number of seconds, got "${values.slice}"`)
  const side = (serviceRoot: string, nodePath: string | undefined, env: Record<string, string>): InterleaveSide =>
    ({ target: 'ours', serviceRoot, ...(nodePath === undefined ? {} : { nodePath }), env })
  const scenario = scenarioByName(values.scenario)
  const result = await interleaved({
    scenario,
    sides: [side(baseTree, values['base-node'], parseEnvPairs(values['base-env'])), side(REPO_ROOT, values['head-node'], parseEnvPairs(values['head-env']))],
    serviceMode: values.service as ServiceMode,
    rounds: pairs,
    sliceS,
    // As the full run warms this scenario up: fanout-cpu-cache measures a full cache, say.
    warmupS: scenario.interleavedWarmupS ?? 2,
    serviceEnv: parseEnvPairs(values.env),
    log: (line) => console.log(line)
  })
  const { baseMicros, headMicros, roundRatios } = result
  console.log(`\n${values.scenario}, interleaved, ${pairs} rounds of 4 × ${sliceS} s: base ${baseMicros} µs, working tree ${headMicros} µs of CPU per response (${percent(headMicros / baseMicros)})`)
  console.log(`working tree ÷ base, round by round: ${roundRatios.map((r) => r.toFixed(2)).join(', ')} (median ${percent(median(roundRatios))})`)
  return 0
}

async function main(): Promise<number> {
  if (values.help || values.base === undefined) {
    console.log(HELP)
    return values.help ? 0 : 2
  }
  const pairs = Number(values.pairs)
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs must be a positive integer, got "${values.pairs}"`)
  if (values.service !== 'dist' && values.service !== 'tsx') throw new Error('--service must be dist or tsx')
  if (!values.interleave && (values['base-env'] !== undefined || values['head-env'] !== undefined)) {
    throw new Error('--base-env and --head-env need --interleave')
  }

  console.log(`checking out ${values.base} in a worktree${values.service === 'dist' ? ', building it and the working tree' : ''}…`)
  const baseTree = await mkdtemp(join(tmpdir(), 'book-aggregator-ab-'))
  const outDir = await mkdtemp(join(tmpdir(), 'book-aggregator-ab-results-'))
  try {
    await exec('git', ['worktree', 'add', '--detach', baseTree, values.base], { cwd: REPO_ROOT })
    await prepareBase(baseTree)
    if (values.service === 'dist') await exec('npm', ['run', 'build'], { cwd: REPO_ROOT })
    if (values.interleave) return await compareInterleaved(baseTree, pairs)
    const runs: Run[] = []
    for (let i = 0; i < pairs; i++) {
      const order: Array<[Run['build'], string]> = [['base', baseTree], ['head', REPO_ROOT]]
      for (const [build, tree] of i % 2 === 0 ? order : order.reverse()) {
        const run = await measure(build, tree, outDir)
        runs.push(run)
        console.log(`${build}  ${run.rps.toFixed(0)} req/s  p99 ${run.p99} ms  ${micros(run.cpuMsPerResponse)} of CPU per response`)
      }
    }
    const baseRuns = runs.filter((r) => r.build === 'base')
    const headRuns = runs.filter((r) => r.build === 'head')
    const base = median(baseRuns.map((r) => r.cpuMsPerResponse))
    const head = median(headRuns.map((r) => r.cpuMsPerResponse))
    // Each pair ran back to back, so its ratio is the least touched by the machine's drift.
    const ratios = headRuns.map((h, i) => h.cpuMsPerResponse / (baseRuns[i] as Run).cpuMsPerResponse)
    console.log(`\n${values.scenario}, medians of ${pairs}: base ${micros(base)}, working tree ${micros(head)} of CPU per response (${percent(head / base)})`)
    console.log(`working tree ÷ base, pair by pair: ${ratios.map((r) => r.toFixed(2)).join(', ')} (median ${percent(median(ratios))})`)
    return 0
  } finally {
    await rm(outDir, { recursive: true, force: true })
    if (existsSync(join(baseTree, '.git'))) await exec('git', ['worktree', 'remove', '--force', baseTree], { cwd: REPO_ROOT })
    await rm(baseTree, { recursive: true, force: true })
  }
}

runCli(main, 'bench:ab: ')
