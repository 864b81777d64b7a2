import { SOURCES, type Source } from './latency.js'

// Fault injection for the mock upstream (the soak's "mix of faults"), declared per source and
// passed to the mock in MOCK_FAULTS (JSON). A source without a spec behaves exactly as before:
// every call is answered 200 after its latency. Each call draws one fate:
//   - flapping, in a failing phase: every call fails (a status such as 503, or a TCP reset);
//   - otherwise, by share: hang (never answered; released when the client closes the socket),
//     error (an error status after the usual latency), slow (answered after slowMs instead of
//     the usual latency), or a normal answer.

export interface FlapSpec {
  /** The cycle starts healthy when the mock starts: healthyMs of normal service… */
  readonly healthyMs: number
  /** …then failingMs where every call fails, and again. */
  readonly failingMs: number
  /** How a failing call fails: an HTTP status, a TCP reset, or either at random. Default mixed. */
  readonly failWith?: 'status' | 'reset' | 'mixed'
  /** Status of failing calls answered with a status. Default 503. */
  readonly status?: number
}

export interface FaultSpec {
  /** % of calls answered after slowMs instead of the latency distribution. */
  readonly slowPercent?: number
  readonly slowMs?: number
  /** % of calls answered with one of errorStatuses (drawn uniformly; default 500 and 503). */
  readonly errorPercent?: number
  readonly errorStatuses?: readonly number[]
  /** % of calls never answered, until the client gives up and closes the socket. */
  readonly hangPercent?: number
  readonly flap?: FlapSpec
}

export type FaultsBySource = Readonly<Partial<Record<Source, FaultSpec>>>

/** What the mock did with a call, counted per source in `/__stats` (`outcomes`). */
export const FAULT_OUTCOMES = ['ok', 'slow', 'error', 'hang', 'flap_error', 'flap_reset'] as const
export type FaultOutcome = (typeof FAULT_OUTCOMES)[number]

export type FaultDecision =
  | { readonly outcome: 'ok' }
  | { readonly outcome: 'slow'; readonly delayMs: number }
  | { readonly outcome: 'error' | 'flap_error'; readonly status: number }
  | { readonly outcome: 'hang' }
  | { readonly outcome: 'flap_reset' }

const OK: FaultDecision = { outcome: 'ok' }
const DEFAULT_ERROR_STATUSES: readonly number[] = [500, 503]

/** Whether a flapping source is in a failing phase `elapsedMs` after the mock started. */
export function isFlapFailing(flap: FlapSpec, elapsedMs: number): boolean {
  return elapsedMs % (flap.healthyMs + flap.failingMs) >= flap.healthyMs
}

/** One call's fate; `random` is injectable for tests. */
export function drawFault(spec: FaultSpec | undefined, elapsedMs: number, random: () => number = Math.random): FaultDecision {
  if (spec === undefined) return OK
  const { flap } = spec
  if (flap !== undefined && isFlapFailing(flap, elapsedMs)) {
    const failWith = flap.failWith ?? 'mixed'
    const reset = failWith === 'reset' || (failWith === 'mixed' && random() < 0.5)
    return reset ? { outcome: 'flap_reset' } : { outcome: 'flap_error', status: flap.status ?? 503 }
  }
  const roll = random() * 100
  const hang = spec.hangPercent ?? 0
  const error = hang + (spec.errorPercent ?? 0)
  const slow = error + (spec.slowPercent ?? 0)
  if (roll < hang) return { outcome: 'hang' }
  if (roll < error) {
    const statuses = spec.errorStatuses ?? DEFAULT_ERROR_STATUSES
    return { outcome: 'error', status: statuses[Math.floor(random() * statuses.length)] ?? 500 }
  }
  if (roll < slow) return { outcome: 'slow', delayMs: spec.slowMs ?? 0 }
  return OK
}

const isShare = (n: unknown): boolean => n === undefined || (typeof n === 'number' && n >= 0 && n <= 100)
const isMs = (n: unknown): boolean => n === undefined || (typeof n === 'number' && Number.isFinite(n) && n >= 0)
const isStatus = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599

function isFlapSpec(value: unknown): value is FlapSpec {
  if (typeof value !== 'object' || value === null) return false
  const { healthyMs, failingMs, failWith, status } = value as Record<string, unknown>
  return typeof healthyMs === 'number' && typeof failingMs === 'number' && healthyMs >= 0 && failingMs > 0 &&
    (failWith === undefined || failWith === 'status' || failWith === 'reset' || failWith === 'mixed') &&
    (status === undefined || isStatus(status))
}

export function isFaultSpec(value: unknown): value is FaultSpec {
  if (typeof value !== 'object' || value === null) return false
  const v = value as Record<string, unknown>
  const shares = [v.slowPercent, v.errorPercent, v.hangPercent]
  if (!shares.every(isShare) || !isMs(v.slowMs)) return false
  if (shares.reduce((sum: number, n) => sum + ((n as number | undefined) ?? 0), 0) > 100) return false
  if (v.errorStatuses !== undefined && !(Array.isArray(v.errorStatuses) && v.errorStatuses.length > 0 && v.errorStatuses.every(isStatus))) return false
  return v.flap === undefined || isFlapSpec(v.flap)
}

/** MOCK_FAULTS: unset or empty means no faults anywhere (every existing scenario). */
export function parseFaults(raw: string | undefined): FaultsBySource {
  if (raw === undefined || raw.trim() === '') return {}
  const parsed: unknown = JSON.parse(raw)
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`MOCK_FAULTS: not an object: ${raw}`)
  for (const [source, spec] of Object.entries(parsed)) {
    if (!(SOURCES as readonly string[]).includes(source)) throw new Error(`MOCK_FAULTS: unknown source "${source}"`)
    if (!isFaultSpec(spec)) throw new Error(`MOCK_FAULTS: bad spec for ${source}: ${JSON.stringify(spec)}`)
  }
  return parsed as FaultsBySource
}

export function describeFault(spec: FaultSpec | undefined): string {
  if (spec === undefined) return 'none'
  const parts: string[] = []
  if ((spec.slowPercent ?? 0) > 0) parts.push(`${spec.slowPercent}% slow (${spec.slowMs ?? 0} ms)`)
  if ((spec.errorPercent ?? 0) > 0) parts.push(`${spec.errorPercent}% errors (${(spec.errorStatuses ?? DEFAULT_ERROR_STATUSES).join('/')})`)
  if ((spec.hangPercent ?? 0) > 0) parts.push(`${spec.hangPercent}% hangs`)
  if (spec.flap !== undefined) {
    const how = spec.flap.failWith ?? 'mixed'
    const fail = how === 'reset' ? 'resets' : how === 'status' ? `${spec.flap.status ?? 503}` : `${spec.flap.status ?? 503} or resets`
    parts.push(`flapping ${spec.flap.healthyMs / 1000} s healthy / ${spec.flap.failingMs / 1000} s all failing (${fail})`)
  }
  return parts.length === 0 ? 'none' : parts.join(', ')
}

/** The soak's mix (issue 8): 10% slow, 5% errors, 1% hangs everywhere; reviews flaps. */
export const BASE_FAULTS: FaultSpec = { slowPercent: 10, slowMs: 300, errorPercent: 5, errorStatuses: [500, 503], hangPercent: 1 }

export function soakFaults(flap: FlapSpec = { healthyMs: 5000, failingMs: 5000, failWith: 'mixed', status: 503 }): FaultsBySource {
  return { publisher: BASE_FAULTS, reviews: { ...BASE_FAULTS, flap }, recommendations: BASE_FAULTS }
}
