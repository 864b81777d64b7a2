import { interleaved, median } from './interleave.js'
import type { InterleavedFigures, Scenario } from './scenario-types.js'
import type { ServiceMode, TargetName } from './target-specs.js'

export interface InterleaveSettings {
  /**
   * Rounds per comparison, each with fresh processes; 0 skips the comparisons. Unset: each
   * scenario's own (`interleavedRounds`), else DEFAULT_INTERLEAVE_ROUNDS.
   */
  readonly rounds?: number
  /** Seconds per slice (four slices per round, ABBA or BAAB). */
  readonly sliceS: number
  /**
   * Seconds of load on each side before a round's slices, over every scenario's own
   * (`interleavedWarmupS`, else 5: after 2 s a first slice still paid for the JIT).
   */
  readonly warmupS?: number
}

export const DEFAULT_INTERLEAVE_ROUNDS = 5
export const DEFAULT_INTERLEAVE: InterleaveSettings = { sliceS: 3 }
export const DEFAULT_INTERLEAVE_WARMUP_S = 5

export interface ComparisonRun {
  readonly scenario: Scenario
  readonly settings: InterleaveSettings
  readonly serviceMode: ServiceMode
  /** Our service's environment (the run's --env), over the scenario's. */
  readonly serviceEnv?: Readonly<Record<string, string>>
  readonly serviceRoot?: string
  readonly serviceNodePath?: string
  /** With --target: only comparisons against these targets (or ours with other settings). */
  readonly targets?: readonly TargetName[]
  readonly log: (line: string) => void
}

/** Runs the scenario's interleaved comparisons, ours as the head side of each, keyed by name. */
export async function runComparisons(run: ComparisonRun): Promise<Record<string, InterleavedFigures> | undefined> {
  const { scenario, settings } = run
  const wanted = (scenario.interleaved ?? []).filter((c) => c.base === 'ours' || run.targets === undefined || run.targets.includes(c.base))
  const rounds = settings.rounds ?? scenario.interleavedRounds ?? DEFAULT_INTERLEAVE_ROUNDS
  if (rounds <= 0 || wanted.length === 0) return undefined
  const figures: Record<string, InterleavedFigures> = {}
  for (const comparison of wanted) {
    const baseEnv = comparison.baseEnv ?? {}
    run.log(`  interleaved: ours against ${comparison.name}, ${rounds} rounds of 4 × ${settings.sliceS} s …`)
    const ours = {
      target: 'ours' as const,
      ...(run.serviceRoot === undefined ? {} : { serviceRoot: run.serviceRoot }),
      ...(run.serviceNodePath === undefined ? {} : { nodePath: run.serviceNodePath })
    }
    const result = await interleaved({
      scenario,
      sides: [comparison.base === 'ours' ? { ...ours, env: baseEnv } : { target: comparison.base }, ours],
      serviceMode: run.serviceMode,
      rounds,
      sliceS: settings.sliceS,
      warmupS: settings.warmupS ?? scenario.interleavedWarmupS ?? DEFAULT_INTERLEAVE_WARMUP_S,
      ...(run.serviceEnv === undefined ? {} : { serviceEnv: run.serviceEnv }),
      log: (line) => run.log(`    ${line.replace(/^base\b/, comparison.name).replace(/^head\b/, 'ours')}`)
    })
    const figure: InterleavedFigures = {
      base: comparison.base,
      baseEnv,
      rounds,
      sliceS: settings.sliceS,
      oursMicros: result.headMicros,
      baseMicros: result.baseMicros,
      cpu: round3(median(result.roundRatios)),
      rps: round3(median(result.roundRpsRatios)),
      p99Speedup: round3(median(result.roundP99Speedups)),
      roundCpu: result.roundRatios.map(round3)
    }
    run.log(`    ours ${figure.oursMicros} µs, ${comparison.name} ${figure.baseMicros} µs of CPU per response; medians: CPU ${figure.cpu}×, 2xx/s ${figure.rps}×, p99 ${figure.p99Speedup}× as fast`)
    figures[comparison.name] = figure
  }
  return figures
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000
