import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

// Resource use of a child process (and its workers) from /proc (Linux), so the harness needs
// no dependency and the measured process runs no extra code: CPU from utime+stime in
// /proc/<pid>/stat, memory from VmRSS in /proc/<pid>/status.

const CLOCK_TICKS = readClockTicks()

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

export interface ProcSample {
  readonly atMs: number
  /** User + system CPU time consumed so far, in ms. */
  readonly cpuMs: number
  readonly rssBytes: number
}

/** Fields of /proc/<pid>/stat after the command name, which may contain spaces. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
}

/** pid and all its descendants: with WEB_CONCURRENCY > 1 the service's work is in workers. */
export function processTree(root: number): number[] {
  const parents = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ppid = Number(statFields(Number(entry))[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)])
    } catch {
      // exited while we looked
    }
  }
  const tree = [root]
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i] as number) ?? []))
  return tree
}

function sampleOne(pid: number): { ticks: number; rssKb: number } {
  const fields = statFields(pid)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return {
    ticks: Number(fields[11]) + Number(fields[12]), // utime, stime (fields 14 and 15)
    rssKb: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0)
  }
}

/** CPU and RSS of a process and its descendants, summed; `null` once the process is gone. */
export function sampleProc(pid: number): ProcSample | null {
  try {
    let { ticks, rssKb } = sampleOne(pid)
    for (const child of processTree(pid).slice(1)) {
      try {
        const one = sampleOne(child)
        ticks += one.ticks
        rssKb += one.rssKb
      } catch {
        // a worker that exited meanwhile
      }
    }
    return { atMs: performance.now(), cpuMs: (ticks * 1000) / CLOCK_TICKS, rssBytes: rssKb * 1024 }
  } catch {
    return null // the process is gone
  }
}

/** CPU used between two samples as % of one core (200% = both cores of a 2-core machine). */
export function cpuPercent(from: ProcSample, to: ProcSample): number {
  const wallMs = to.atMs - from.atMs
  return wallMs > 0 ? (100 * (to.cpuMs - from.cpuMs)) / wallMs : 0
}

/** Samples RSS while a run goes on, to catch the peak a before/after pair would miss. */
export function watchPeakRss(pid: number, everyMs = 250): { stop(): number } {
  let peak = sampleProc(pid)?.rssBytes ?? 0
  const timer = setInterval(() => {
    peak = Math.max(peak, sampleProc(pid)?.rssBytes ?? 0)
  }, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, sampleProc(pid)?.rssBytes ?? 0)
    }
  }
}

/** Busy CPU time of the whole machine (all cores, from /proc/stat), same shape as a process sample. */
export function sampleMachine(): ProcSample | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0) // idle + iowait
    const busyTicks = cpu.slice(0, 8).reduce((sum, t) => sum + t, 0) - idle // guest time is already in user
    return { atMs: performance.now(), cpuMs: (busyTicks * 1000) / CLOCK_TICKS, rssBytes: 0 }
  } catch {
    return null
  }
}

// TCP states of /proc/net/tcp (include/net/tcp_states.h), for the socket counts.
const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING'
}

export interface SocketCount {
  readonly total: number
  /** By TCP state: CLOSE_WAIT piling up means the peer closed and the process never did. */
  readonly byState: Readonly<Record<string, number>>
}

/** Socket inodes a process holds open (its fd table): /proc/net/tcp lists the whole namespace. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`)
      if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1))
    } catch {
      // closed while we looked
    }
  }
  return inodes
}

/**
 * The TCP sockets a process (and its workers) holds open to each of `remotePorts`, from
 * /proc/<pid>/net/tcp{,6} joined with /proc/<pid>/fd; `null` once the process is gone.
 * The key of the answer is the remote port.
 */
export function tcpSocketsTo(pid: number, remotePorts: readonly number[]): Map<number, SocketCount> | null {
  try {
    const inodes = new Set<string>()
    for (const member of processTree(pid)) {
      try {
        for (const inode of socketInodes(member)) inodes.add(inode)
      } catch {
        if (member === pid) throw new Error('gone')
      }
    }
    const counts = new Map<number, { total: number; byState: Record<string, number> }>(
      remotePorts.map((port) => [port, { total: 0, byState: {} }]))
    for (const table of ['tcp', 'tcp6']) {
      let text: string
      try {
        text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8')
      } catch {
        continue // no IPv6 in this namespace
      }
      for (const line of text.split('\n').slice(1)) {
        const fields = line.trim().split(/\s+/)
        const remote = fields[2]
        const inode = fields[9]
        if (remote === undefined || inode === undefined || !inodes.has(inode)) continue
        const count = counts.get(parseInt(remote.slice(remote.lastIndexOf(':') + 1), 16))
        if (count === undefined) continue
        const state = TCP_STATES[fields[3] ?? ''] ?? fields[3] ?? '?'
        count.total++
        count.byState[state] = (count.byState[state] ?? 0) + 1
      }
    }
    return counts
  } catch {
    return null
  }
}
