import { readFileSync } from 'node:fs'
import os from 'node:os'

// What the figures were measured on: without it a results file cannot be compared to another.

export interface MachineInfo {
  readonly cpuModel: string
  readonly cores: number
  readonly memoryGb: number
  readonly node: string
  readonly os: string
  readonly date: string
}

function cpuModel(): string {
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]
    if (model !== undefined) return model.trim()
  } catch {
    // not Linux: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? 'unknown'
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpuModel(),
    cores: os.availableParallelism(),
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString()
  }
}
