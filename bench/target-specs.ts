import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Source } from './latency.js'

// The things a scenario can measure: our service and the baselines (a) ceiling,
// (b) naive, (d) mercurius and (e) minimal. Baseline (c), the latency-bound limit, is computed, not run.

export const TARGET_NAMES = ['ours', 'ceiling', 'naive', 'mercurius', 'minimal'] as const
export type TargetName = (typeof TARGET_NAMES)[number]

/** How our service is started: the built output for real runs, tsx where dist/ may not exist. */
export type ServiceMode = 'dist' | 'tsx'

export interface TargetLaunch {
  readonly serviceMode: ServiceMode
  /** Checkout whose dist/ (or src/) is our service; default this one. bench:ab points it at another commit. */
  readonly serviceRoot?: string
  /** The Node.js executable; default the harness's own (the pinned runtime). bench:ab compares runtimes with it. */
  readonly nodePath?: string
  /** Directory for `--cpu-prof`, when the target is being profiled. */
  readonly profileDir?: string
}

export interface TargetSpec {
  readonly name: TargetName
  readonly label: string
  /** `graphql` targets are driven with a POST of the book query instead of GET /books/{isbn}. */
  readonly api: 'rest' | 'graphql'
  /** Node arguments after the harness's own flags. */
  nodeArgs(launch: TargetLaunch): string[]
}

const root = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url))
const inService = (serviceRoot: string | undefined, path: string): string => serviceRoot === undefined ? root(path) : join(serviceRoot, path)
const cpuProf = (profileDir: string | undefined): string[] => profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
const bench = (file: string) => ({ profileDir }: TargetLaunch): string[] => [...cpuProf(profileDir), '--import', 'tsx', root(`bench/targets/${file}`)]

/**
 * The Node flags of the service's `npm start` (`node --flag… dist/server.js`): the heap sizing
 * the service ships with (README, Performance), read from the measured checkout's package.json.
 */
export function startFlags(serviceRoot: string | undefined): string[] {
  const manifest = JSON.parse(readFileSync(inService(serviceRoot, 'package.json'), 'utf8')) as { scripts?: { start?: string } }
  const words = (manifest.scripts?.start ?? '').trim().split(/\s+/)
  if (words[0] !== 'node') throw new Error(`npm start should run node, got "${manifest.scripts?.start ?? ''}"`)
  return words.slice(1).filter((word) => word.startsWith('--'))
}

export const TARGETS: Readonly<Record<TargetName, TargetSpec>> = {
  ours: {
    name: 'ours',
    label: 'book-aggregator',
    api: 'rest',
    nodeArgs: ({ serviceMode, serviceRoot, profileDir }) => [
      // As that checkout's `npm start` runs it, so bench:ab compares runtime flags too.
      ...startFlags(serviceRoot),
      ...cpuProf(profileDir),
      ...(serviceMode === 'dist' ? [inService(serviceRoot, 'dist/server.js')] : ['--import', 'tsx', inService(serviceRoot, 'src/server.ts')])
    ]
  },
  ceiling: { name: 'ceiling', label: '(a) ceiling: bare Fastify, no upstreams', api: 'rest', nodeArgs: bench('ceiling.ts') },
  naive: { name: 'naive', label: '(b) naive: sequential awaits', api: 'rest', nodeArgs: bench('naive.ts') },
  mercurius: { name: 'mercurius', label: '(d) GraphQL BFF: Fastify + Mercurius', api: 'graphql', nodeArgs: bench('mercurius.ts') },
  minimal: { name: 'minimal', label: '(e) minimal: Fastify + undici, Promise.all', api: 'rest', nodeArgs: bench('minimal.ts') }
}

/** The environment every target gets: production mode, the mock as upstreams, a free port. */
/**
 * Service settings every scenario starts from. The load generator is ONE client sending
 * thousands of requests a second, so the per-client rate limit would measure the limiter's
 * 429s: it stays on (its cost is part of the hot path) with a limit no run can reach.
 */
export const BENCH_SERVICE_ENV: Readonly<Record<string, string>> = { RATE_LIMIT_MAX: '100000000' }

export function targetEnv(port: number, urls: Record<Source, string>, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLISHER_API_URL: urls.publisher,
    REVIEWS_API_URL: urls.reviews,
    RECOMMENDATIONS_API_URL: urls.recommendations,
    ...extra
  }
  // The service's default log level (info) is part of what is measured; an inherited one is
  // not. Nor is a shared Redis (CI exports REDIS_URL for its tests: the bench's load would then
  // share a rate-limit counter with them), nor flags a test runner may have put in NODE_OPTIONS.
  if (extra.LOG_LEVEL === undefined) delete env.LOG_LEVEL
  if (extra.REDIS_URL === undefined) delete env.REDIS_URL
  delete env.NODE_OPTIONS
  return env
}
