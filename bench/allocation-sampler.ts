import { askChild, type Child } from './processes.js'

// What a request allocates, not only what it leaves alive: V8's sampling heap profiler, told to
// keep the samples of objects that minor and major GCs collected, gives every allocation's
// stack. Preloaded into the target like the memory probe (`--import data:…`): on one IPC
// message it starts sampling, on the next it stops and writes the profile where it was told.

const SAMPLER_SOURCE = `
import { Session } from 'node:inspector'
import { writeFileSync } from 'node:fs'
const session = new Session()
session.connect()
process.on('message', (message) => {
  if (message === 'bench:alloc-start' || message === 'bench:alloc-start-survivors') {
    session.post('HeapProfiler.enable', () => session.post('HeapProfiler.startSampling',
      { samplingInterval: 4096, includeObjectsCollectedByMinorGC: message === 'bench:alloc-start', includeObjectsCollectedByMajorGC: true },
      () => process.send?.({ benchAllocStarted: true })))
  } else if (typeof message === 'object' && message !== null && typeof message.benchAllocStop === 'string') {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error === null) writeFileSync(message.benchAllocStop, JSON.stringify(result.profile))
      process.send?.({ benchAllocWritten: error === null })
    })
  }
})
// As the memory probe does: the channel must not keep the process alive.
process.channel?.unref()
`

/** Node flags that install the sampler; the process must be spawned with `ipc: true`. */
export const SAMPLER_NODE_ARGS: readonly string[] = ['--import', `data:text/javascript,${encodeURIComponent(SAMPLER_SOURCE)}`]

/**
 * `survivors`: keep only the samples of objects that outlived a scavenge (promoted to the old
 * generation, or still alive when sampling stopped): what makes scavenges copy and promote.
 */
export async function startSampling(child: Child, survivors = false): Promise<void> {
  await askChild(child, survivors ? 'bench:alloc-start-survivors' : 'bench:alloc-start', 'benchAllocStarted')
}

/** Stops sampling and has the profile written to `path`. */
export async function stopSampling(child: Child, path: string): Promise<void> {
  const answer = await askChild(child, { benchAllocStop: path }, 'benchAllocWritten')
  if (answer.benchAllocWritten !== true) throw new Error('the target could not write its allocation profile')
}
