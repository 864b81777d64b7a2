import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

// Every process the harness starts goes through here and is remembered until it exits, so a
// failed run, a thrown assertion or Ctrl-C never leaves a server behind (stopAll, plus a
// last-resort SIGKILL when the harness process itself exits).

export interface Child {
  readonly name: string
  readonly pid: number
  readonly process: ChildProcess
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>
  /** The last lines the process wrote to stderr, for error messages. */
  stderrTail(): string
}

// Children run from the repository root, where `--import tsx` resolves.
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

const live = new Set<Child>()
process.on('exit', () => {
  for (const child of live) child.process.kill('SIGKILL')
})

export interface SpawnOptions {
  readonly env: NodeJS.ProcessEnv
  /**
   * `pipe` when the harness reads a ready line from stdout; a file descriptor to keep it (the
   * soak keeps the service's log); otherwise stdout goes to /dev/null.
   */
  readonly stdout: 'pipe' | 'ignore' | number
  /** Opens an IPC channel (for the memory probe). */
  readonly ipc?: boolean
  /** Another Node.js executable than the harness's own. */
  readonly execPath?: string | undefined
}

export function spawnNode(name: string, args: readonly string[], options: SpawnOptions): Child {
  const proc = spawn(options.execPath ?? process.execPath, args, {
    cwd: REPO_ROOT,
    env: options.env,
    stdio: ['ignore', options.stdout, 'pipe', ...(options.ipc === true ? ['ipc' as const] : [])]
  })
  if (proc.pid === undefined) throw new Error(`could not start ${name}`)
  let tail = ''
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4000)
  })
  const exited = new Promise<number | string>((resolve) => {
    proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  })
  const child: Child = { name, pid: proc.pid, process: proc, exited, stderrTail: () => tail.trim() }
  live.add(child)
  void exited.then(() => live.delete(child))
  return child
}

/** SIGTERM, then SIGKILL if the process has not exited after `graceMs`. */
export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (!live.has(child)) return
  child.process.kill('SIGTERM')
  let timer: NodeJS.Timeout | undefined
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.process.kill('SIGKILL')
      resolve()
    }, graceMs)
  })
  await Promise.race([child.exited, killed])
  clearTimeout(timer)
  await child.exited
}

/** How many started processes have not exited yet (0 after a clean run). */
export function liveChildren(): number {
  return live.size
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => stopChild(child, 3000)))
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no free port')
  return address.port
}

/** Polls `url` until it answers 200; fails early if the process dies meanwhile. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 20_000): Promise<void> {
  let exitedWith: number | string | undefined
  void child.exited.then((code) => { exitedWith = code })
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`${child.name} exited (${exitedWith}) before it was ready:\n${child.stderrTail()}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms:\n${child.stderrTail()}`)
}

/** The first line a process writes on stdout, parsed as JSON (the mock's ready line). */
export async function readyLine<T>(child: Child, timeoutMs = 20_000): Promise<T> {
  const stdout = child.process.stdout
  if (stdout === null) throw new Error(`${child.name} has no stdout pipe`)
  return new Promise<T>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`${child.name}: no ready line after ${timeoutMs} ms:\n${child.stderrTail()}`)), timeoutMs)
    void child.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${child.name} exited (${code}) before it was ready:\n${child.stderrTail()}`))
    })
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk
      const newline = buffer.indexOf('\n')
      if (newline < 0) return
      clearTimeout(timer)
      try {
        resolve(JSON.parse(buffer.slice(0, newline)) as T)
      } catch (error) {
        reject(error)
      }
    })
  })
}

/**
 * Pins a process and all its threads to one CPU (Linux `taskset`); false where that is not
 * possible (no taskset, one CPU), and the caller goes on unpinned.
 */
export function pinToCpu(pid: number, cpu: number): boolean {
  // The machine's CPUs, not availableParallelism(): once this process is pinned that is one,
  // and every later round of an interleaved run would have stayed unpinned on CPU 0.
  if (cpus().length < 2) return false
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Lets a process and its threads run on every CPU again (after `pinToCpu`). */
export function unpin(pid: number): void {
  const count = cpus().length
  if (count < 2) return
  try {
    execFileSync('taskset', ['-a', '-p', '-c', `0-${count - 1}`, String(pid)], { stdio: 'ignore' })
  } catch {
    // Never pinned (no taskset): nothing to undo.
  }
}

/**
 * Sends `message` over the child's IPC channel and resolves with the first answer that carries
 * `answerKey` (the whole answer object); rejects when none comes within `timeoutMs` or the
 * child has no channel. The preloaded probes (memory-probe, allocation-sampler) answer this way.
 */
export function askChild(child: Child, message: unknown, answerKey: string, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const proc = child.process
  if (proc.send === undefined || !proc.connected) return Promise.reject(new Error(`${child.name} has no IPC channel`))
  return new Promise((resolve, reject) => {
    const onMessage = (answer: unknown): void => {
      if (typeof answer !== 'object' || answer === null || !(answerKey in answer)) return
      clearTimeout(timer)
      proc.off('message', onMessage)
      resolve(answer as Record<string, unknown>)
    }
    const timer = setTimeout(() => {
      proc.off('message', onMessage)
      reject(new Error(`${child.name} did not answer ${answerKey} within ${timeoutMs} ms`))
    }, timeoutMs)
    proc.on('message', onMessage)
    proc.send?.(message as string)
  })
}
