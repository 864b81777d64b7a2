import type { CaseResult, CheckResult, Measurement, ScenarioResult } from './scenario-types.js'
import type { TargetName } from './target-specs.js'

// Small helpers so a scenario's targets read like the issue states them.

export function measurementOf(result: ScenarioResult | CaseResult, target: TargetName, caseIndex = 0): Measurement | undefined {
  const found = 'cases' in result ? result.cases[caseIndex] : result
  return found?.measurements.find((m) => m.target === target)
}

const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n))

/** `actual ≥ minimum` (or ≤ with `atMost`), or a failed check when the figure is missing. */
export function check(name: string, actual: number | undefined | null, bound: number, unit = '', atMost = false): CheckResult {
  const target = `${atMost ? '≤' : '≥'} ${bound}${unit}`
  if (actual === undefined || actual === null || !Number.isFinite(actual)) {
    return { name, target, actual: 'not measured', pass: false }
  }
  return { name, target, actual: `${Number(fmt(actual, 2))}${unit}`, pass: atMost ? actual <= bound : actual >= bound }
}

export function failures(m: Measurement): number {
  return m.load.errors + m.load.timeouts + m.load.non2xx
}
