import cluster, { type Worker } from 'node:cluster'
import pino, { type LevelWithSilent } from 'pino'

// A worker that dies this soon after starting is crash-looping: restart it more slowly.
const QUICK_DEATH_MS = 2000
const RESTART_BACKOFF_MS = 1000

/**
 * The event loop is one core: with WEB_CONCURRENCY=N the primary runs N workers (each a full
 * app on the shared port), restarts any that dies, and on SIGTERM drains them all (each
 * worker runs its own graceful shutdown) before exiting 0. A second signal exits at once.
 */
export function runPrimary(workers: number, logLevel: LevelWithSilent): void {
  const log = pino({ name: 'primary', level: logLevel })
  const startedAt = new Map<number, number>()
  let stopping = false

  const fork = (): void => {
    const worker = cluster.fork()
    startedAt.set(worker.id, Date.now())
  }
  cluster.on('exit', (worker: Worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0)
    startedAt.delete(worker.id)
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        log.info('all workers stopped')
        process.exit(0)
      }
      return
    }
    log.error({ worker: worker.process.pid, code, signal }, 'worker died; starting a new one')
    setTimeout(fork, lived < QUICK_DEATH_MS ? RESTART_BACKOFF_MS : 0)
  })

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now')
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL')
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'stopping workers')
    const running = Object.values(cluster.workers ?? {})
    if (running.length === 0) process.exit(0)
    for (const worker of running) worker?.process.kill('SIGTERM')
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))

  log.info({ workers }, 'starting workers')
  for (let i = 0; i < workers; i++) fork()
}
