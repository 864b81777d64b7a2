import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { latencyVsLoadSvg } from './chart.js'
import { runBench } from './harness.js'
import { parseEnvPairs, runCli } from './cli.js'
import { newestProfile, renderProfile, summarizeProfile } from './profile.js'
import { renderMarkdown, writeResults } from './report.js'
import { DEFAULT_INTERLEAVE, DEFAULT_INTERLEAVE_ROUNDS, DEFAULT_INTERLEAVE_WARMUP_S } from './interleaved-comparisons.js'
import { scenarioByName, SCENARIOS } from './scenarios.js'
import { TARGET_NAMES, type ServiceMode, type TargetName } from './target-specs.js'

// `npm run bench [-- options]`: runs the scenarios, prints the tables, writes bench/results/.
// `--profile` instead runs our service (or the first --target) alone under --cpu-prof (fanout unless --scenario says
// otherwise) and prints its hottest functions; distorted figures are then not written.

const HELP = `usage: npm run bench -- [options]
  --scenario NAME   run only this scenario (repeatable; default: all of ${SCENARIOS.map((s) => s.name).join(', ')})
  --duration S      seconds per measurement, overriding every scenario's own (soak: 60)
  --repeat N        measure each target N times (in rounds) and report the median run (default 1)
  --warmup S        seconds of discarded load before each measurement (default 2)
  --target NAME     measure these targets instead of each scenario's own (repeatable: ${TARGET_NAMES.join(', ')});
                    e.g. --scenario scaling --target ours --target ceiling for the ceiling's scaling too
  --interleave-rounds N  rounds of each scenario's interleaved comparisons (ours and a baseline up
                    at once, the load switching every slice, after ${DEFAULT_INTERLEAVE_WARMUP_S} s of warm-up each (or the scenario's own);
                    default: the scenario's own, else ${DEFAULT_INTERLEAVE_ROUNDS}; 0: none)
  --interleave-slice S  seconds per slice of those comparisons (default ${DEFAULT_INTERLEAVE.sliceS})
  --service MODE    dist (default: node dist/server.js, run \`npm run build\` first) or tsx (src/ through tsx)
  --env KEY=VALUE   extra service environment, over the scenario's own (repeatable; makes the run partial)
  --service-root DIR  measure the build in another checkout as ours (bench:ab uses it; makes the run partial)
  --service-node PATH  run our service on this Node.js executable instead of the pinned one (makes the run partial)
  --profile         profile our service (or the first --target) with --cpu-prof and print the top
                    self-time functions and the layers
  --profile-dir DIR where --cpu-prof writes (default /tmp/prof); never inside the repository
  --profile-last S  summarize only the profile's last S seconds (the measurement after a long --warmup)
  --out DIR         results directory (default bench/results): a full run with default settings
                    writes latest.{json,md} and latency-vs-load.svg, anything else partial/<scenarios>.*
  --strict          exit with status 1 when a target of the issue fails`

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', multiple: true },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    repeat: { type: 'string' },
    'interleave-rounds': { type: 'string' },
    'interleave-slice': { type: 'string' },
    target: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    service: { type: 'string', default: 'dist' },
    'service-root': { type: 'string' },
    'service-node': { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string', default: '/tmp/prof' },
    'profile-last': { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('./results', import.meta.url)) },
    strict: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false }
  }
})

function seconds(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number of seconds, got "${raw}"`)
  return value
}

async function main(): Promise<number> {
  if (values.help) {
    console.log(HELP)
    return 0
  }
  if (values.service !== 'dist' && values.service !== 'tsx') throw new Error('--service must be dist or tsx')
  const targets = values.target?.map((t) => {
    if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new Error(`unknown target "${t}"`)
    return t as TargetName
  })
  const names = values.scenario ?? (values.profile ? ['fanout'] : SCENARIOS.map((s) => s.name))
  const profileDir = values.profile ? values['profile-dir'] : undefined
  if (profileDir !== undefined) await mkdir(profileDir, { recursive: true })
  const durationS = seconds(values.duration, 'duration')
  const warmupS = seconds(values.warmup, 'warmup')

  const serviceEnv = parseEnvPairs(values.env)
  const repeat = Number(values.repeat ?? '1')
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, got "${values.repeat}"`)
  const rounds = values['interleave-rounds'] === undefined ? undefined : Number(values['interleave-rounds'])
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 0)) throw new Error(`--interleave-rounds must be a whole number, got "${values['interleave-rounds']}"`)
  const sliceS = seconds(values['interleave-slice'], 'interleave-slice') ?? DEFAULT_INTERLEAVE.sliceS
  const report = await runBench({
    scenarios: names.map(scenarioByName),
    serviceMode: values.service as ServiceMode,
    ...(values['service-root'] === undefined ? {} : { serviceRoot: resolve(values['service-root']) }),
    ...(values['service-node'] === undefined ? {} : { serviceNodePath: values['service-node'] }),
    serviceEnv,
    repeat,
    interleave: { ...(rounds === undefined ? {} : { rounds }), sliceS },
    ...(durationS === undefined ? {} : { durationS }),
    ...(warmupS === undefined ? {} : { warmupS }),
    // A profile is of one target, ours unless --target names another: more would only add noise and time.
    ...(profileDir === undefined ? (targets === undefined ? {} : { targets }) : { targets: [targets?.[0] ?? 'ours'], profileDir }),
    log: (line) => console.error(line)
  })

  console.log(renderMarkdown(report))
  if (profileDir !== undefined) {
    const lastS = seconds(values['profile-last'], 'profile-last')
    console.log(renderProfile(await summarizeProfile(await newestProfile(profileDir), 15, lastS === undefined ? undefined : lastS * 1000)))
    return 0
  }
  const svg = latencyVsLoadSvg(report.scenarios.find((s) => s.name === 'scaling'),
    `${report.machine.cpuModel}, ${report.machine.cores} cores, Node ${report.machine.node}, ${report.machine.date.slice(0, 10)}`)
  const partial = names.length < SCENARIOS.length || targets !== undefined || values.env !== undefined || values['service-root'] !== undefined || values['service-node'] !== undefined || durationS !== undefined || warmupS !== undefined ||
    values['interleave-rounds'] !== undefined || values['interleave-slice'] !== undefined
  const files = await writeResults(report, values.out, svg, partial)
  console.log(`wrote ${files.join(', ')}`)
  const failed = report.scenarios.flatMap((s) => s.checks).filter((c) => !c.pass)
  return values.strict && failed.length > 0 ? 1 : 0
}

runCli(main)
