// Where a CPU profile's time goes by layer of the stack, self and inclusive: self is time spent
// in the layer's own code (what changing it can save directly), inclusive is time with the layer
// anywhere on the stack (what it costs, callees included). A sample counts once per layer.

/** The parts of a V8 .cpuprofile (`node --cpu-prof`) the summaries read. */
export interface CallFrame { functionName: string; url: string; lineNumber: number }
export interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

export interface LayerTime {
  readonly layer: string
  readonly selfPercent: number
  readonly inclusivePercent: number
}

// First match wins; the order goes from the specific to the general.
const LAYERS: ReadonlyArray<readonly [string, (frame: CallFrame) => boolean]> = [
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['socket writes (syscalls)', (f) => f.url === '' && /^write(Utf8|Latin1|Buffer|v)String$|^writev$|^writeBuffer$/.test(f.functionName)],
  ['JSON parse / stringify', (f) => f.url === '' && /^(parse|stringify)$/.test(f.functionName)],
  ['microtasks (promise machinery)', (f) => f.functionName === 'runMicrotasks' || f.url === 'node:internal/process/task_queues'],
  ['start-up (module loading, compiling)', (f) => /^node:internal\/(modules|bootstrap)/.test(f.url) || f.functionName === 'readFileUtf8'],
  ['abort signals and timers', (f) => /^node:internal\/(event_target|abort_controller|timers)/.test(f.url) || f.url === 'node:timers'],
  ['policies (flight, breaker, bulkhead, hedge, retry)', (f) => /dist\/upstream\/(upstream-flight|resilient-source|policies\/)|node_modules\/cockatiel\//.test(f.url)],
  ['upstream client and JSON exchange', (f) => /dist\/upstream\/(upstream-client|json-exchange)/.test(f.url)],
  ['validation (ajv)', (f) => /node_modules\/ajv\/|dist\/upstream\/book-schemas/.test(f.url) || f.url.startsWith('ajv')],
  // llhttp, undici's HTTP parser, runs as WebAssembly.
  ['undici', (f) => /node_modules\/undici\//.test(f.url) || f.url.startsWith('wasm://')],
  ['metrics (prom-client)', (f) => /node_modules\/prom-client\/|dist\/metrics\//.test(f.url)],
  ['logging (pino)', (f) => /node_modules\/(pino|sonic-boom)/.test(f.url) || /dist\/logging\//.test(f.url)],
  ['our plugins and third-party Fastify plugins', (f) => /dist\/plugins\/|node_modules\/@fastify\/|node_modules\/helmet\//.test(f.url)],
  ['routes, aggregation, cache, http helpers (ours)', (f) => /dist\/(routes|aggregate|http|cache|domain|tracing)\//.test(f.url)],
  ['Fastify core', (f) => /node_modules\/(fastify|find-my-way|avvio|fast-json-stringify|light-my-request)\//.test(f.url)],
  ["Node's HTTP, net, streams and buffers", (f) => /^node:(_http|http|net|buffer|events|internal\/(streams|http|net|stream_base|buffer))/.test(f.url)],
  ['V8 (program, unattributed)', (f) => f.functionName === '(program)' || (f.url === '' && f.functionName === '')],
  ['crypto (digests, ETags)', (f) => /^node:internal\/crypto/.test(f.url)]
]

const layerOf = (frame: CallFrame): string | undefined => LAYERS.find(([, matches]) => matches(frame))?.[0]

export function layerTimes(profile: CpuProfile): LayerTime[] {
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let busyMs = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000
    const leaf = byId.get(profile.samples[i] as number)
    if (leaf === undefined || leaf.callFrame.functionName === '(idle)') continue
    busyMs += ms
    const leafLayer = layerOf(leaf.callFrame) ?? 'other'
    self.set(leafLayer, (self.get(leafLayer) ?? 0) + ms)
    const seen = new Set<string>()
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const layer = layerOf((byId.get(id) as ProfileNode).callFrame)
      if (layer !== undefined) seen.add(layer)
    }
    seen.add(leafLayer)
    for (const layer of seen) inclusive.set(layer, (inclusive.get(layer) ?? 0) + ms)
  }
  const percent = (ms: number | undefined): number => Math.round((1000 * (ms ?? 0)) / Math.max(busyMs, 1)) / 10
  return [...LAYERS.map(([layer]) => layer), 'other']
    .map((layer) => ({ layer, selfPercent: percent(self.get(layer)), inclusivePercent: percent(inclusive.get(layer)) }))
    .sort((a, b) => b.selfPercent - a.selfPercent)
}

export function renderLayers(layers: readonly LayerTime[]): string {
  return [
    '| layer | self % | inclusive % |',
    '| --- | --- | --- |',
    ...layers.map((l) => `| ${l.layer} | ${l.selfPercent} | ${l.inclusivePercent} |`)
  ].join('\n')
}
