// What V8's `--trace-gc-nvp` says about scavenges, summed over part of a run. One line per
// collection; a scavenge's line has `gc=s`, its main-thread pause (ms), what survived it in the
// young generation and what it promoted to the old one (bytes).

export interface ScavengeSummary {
  readonly scavenges: number
  /** Main-thread pause, milliseconds: mean and sum. */
  readonly meanPauseMs: number
  readonly totalPauseMs: number
  /** Bytes left in the young generation after a scavenge, and bytes it promoted (means). */
  readonly survivedBytes: number
  readonly promotedBytes: number
  /**
   * Of what survived one scavenge, the share the next one promoted. Objects that die with
   * their request keep it low; near 1, nearly everything live at one scavenge is still live
   * at the next.
   */
  readonly promotionRate: number
}

interface Scavenge { readonly pauseMs: number; readonly survived: number; readonly promoted: number }

const field = (line: string, name: string): number => {
  const match = new RegExp(`(?:^|\\s)${name}=([\\d.]+)`).exec(line)
  return match === null ? Number.NaN : Number(match[1])
}

function scavengesOf(trace: string): Scavenge[] {
  const scavenges: Scavenge[] = []
  for (const line of trace.split('\n')) {
    if (!/\sgc=s(\s|$)/.test(line)) continue
    const scavenge = { pauseMs: field(line, 'pause'), survived: field(line, 'new_space_survived'), promoted: field(line, 'promoted') }
    if (Object.values(scavenge).every((value) => !Number.isNaN(value))) scavenges.push(scavenge)
  }
  return scavenges
}

const mean = (xs: readonly number[]): number => xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length

export function summarizeScavenges(trace: string): ScavengeSummary {
  const scavenges = scavengesOf(trace)
  const totalPauseMs = scavenges.reduce((sum, s) => sum + s.pauseMs, 0)
  // The first one's survivors came from before the part summed: rates start at the second.
  let promotedOfPrevious = 0
  let previousSurvived = 0
  for (let i = 1; i < scavenges.length; i++) {
    promotedOfPrevious += (scavenges[i] as Scavenge).promoted
    previousSurvived += (scavenges[i - 1] as Scavenge).survived
  }
  return {
    scavenges: scavenges.length,
    meanPauseMs: scavenges.length === 0 ? 0 : totalPauseMs / scavenges.length,
    totalPauseMs,
    survivedBytes: mean(scavenges.map((s) => s.survived)),
    promotedBytes: mean(scavenges.map((s) => s.promoted)),
    promotionRate: previousSurvived === 0 ? 0 : promotedOfPrevious / previousSurvived
  }
}
