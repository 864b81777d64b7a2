import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseEnvPairs, runCli } from './cli.js'
import { renderSoak, writeSoakResults } from './soak-report.js'
import { runSoak } from './soak-run.js'

// `npm run soak [-- options]`: the service at saturation against faulty mock upstreams (issue 8),
// prints the tables, writes bench/results/soak-latest.{json,md}, exits 1 when a check fails.

const HELP = `usage: npm run soak -- [options]
  --duration S      seconds of measured load (default 60)
  --connections N   concurrent connections (default 100)
  --warmup S        seconds of the same load before the start figures (default 20: RSS levels off once V8 has sized its heap spaces, ~16 s)
  --service MODE    dist (default: node dist/server.js, built by npm run soak) or tsx (src/ through tsx)
  --env KEY=VALUE   extra service environment, over the soak's own (repeatable)
  --out DIR         results directory (default bench/results): a run with default settings writes
                    soak-latest.{json,md}, anything else partial/soak.{json,md}`

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '100' },
    warmup: { type: 'string', default: '20' },
    service: { type: 'string', default: 'dist' },
    env: { type: 'string', multiple: true },
    out: { type: 'string', default: fileURLToPath(new URL('./results', import.meta.url)) },
    help: { type: 'boolean', default: false }
  }
})

function positive(raw: string, name: string, integer = false): number {
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${raw}"`)
  }
  return value
}

async function main(): Promise<number> {
  if (values.help) {
    console.log(HELP)
    return 0
  }
  if (values.service !== 'dist' && values.service !== 'tsx') throw new Error('--service must be dist or tsx')
  const serviceEnv = parseEnvPairs(values.env)
  const durationS = positive(values.duration, 'duration')
  const connections = positive(values.connections, 'connections', true)
  const warmupS = positive(values.warmup, 'warmup')

  const result = await runSoak({
    durationS,
    connections,
    warmupS,
    serviceMode: values.service,
    serviceEnv,
    log: (line) => console.error(line)
  })
  console.log(renderSoak(result))
  const partial = durationS !== 60 || connections !== 100 || warmupS !== 20 || values.service !== 'dist' || Object.keys(serviceEnv).length > 0
  const files = await writeSoakResults(result, values.out, partial)
  console.log(`wrote ${files.join(', ')}`)
  if (!result.pass) {
    const failed = result.checks.filter((c) => !c.pass)
    console.error(`soak FAILED: ${failed.map((c) => `${c.name}: wanted ${c.wanted}, measured ${c.measured}`).join('; ')}`)
    return 1
  }
  console.error('soak passed')
  return 0
}

runCli(main, 'soak FAILED: ')
