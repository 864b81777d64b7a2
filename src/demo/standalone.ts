import { parseArgs } from 'node:util'
import { SOURCE_NAMES, isSourceName, type SourceName } from '../domain/sources.js'
import { startDemoUpstreams, type DemoSourceBehaviour } from './demo-upstreams.js'

// `npm run demo:upstreams -- --latency reviews=800 --failure-rate recommendations=0.3`
const USAGE = `usage: demo:upstreams [--host H] [--port-base N] [--latency SOURCE=MS]... [--failure-rate SOURCE=0..1]...
  sources: ${SOURCE_NAMES.join(', ')}; ports: port-base, +1, +2 (default 4001-4003)`

function perSource(values: string[] | undefined, max: number): Partial<Record<SourceName, number>> {
  const out: Partial<Record<SourceName, number>> = {}
  for (const value of values ?? []) {
    const [source = '', raw = ''] = value.split('=')
    const number = Number(raw)
    if (!isSourceName(source) || raw === '' || !Number.isFinite(number) || number < 0 || number > max) {
      throw new Error(`bad value "${value}"\n${USAGE}`)
    }
    out[source] = number
  }
  return out
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      'port-base': { type: 'string', default: '4001' },
      latency: { type: 'string', multiple: true },
      'failure-rate': { type: 'string', multiple: true },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help) return console.log(USAGE)
  const portBase = Number(values['port-base'])
  if (!Number.isInteger(portBase) || portBase < 1 || portBase > 65_533) throw new Error(`bad --port-base\n${USAGE}`)
  const latency = perSource(values.latency, 600_000)
  const failureRate = perSource(values['failure-rate'], 1)
  const behaviour: Partial<Record<SourceName, DemoSourceBehaviour>> = {}
  for (const source of SOURCE_NAMES) {
    behaviour[source] = { latencyMs: latency[source] ?? 0, failureRate: failureRate[source] ?? 0 }
  }
  const ports = { publisher: portBase, reviews: portBase + 1, recommendations: portBase + 2 }
  const demo = await startDemoUpstreams({ host: values.host, ports, behaviour })

  console.log('demo upstreams running; start the service against them with:')
  console.log(SOURCE_NAMES.map((s) => `${s.toUpperCase()}_API_URL=${demo.urls[s].href}`).join(' ') + ' npm start')
  for (const source of SOURCE_NAMES) console.log(`  ${source.padEnd(16)} ${demo.urls[source].href}  ${JSON.stringify(behaviour[source])}`)
  console.log(`try: curl ${demo.urls.publisher.href}books/${demo.sampleIsbns[0]}`)

  const stop = (): void => void demo.close().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
})
