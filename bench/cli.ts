import { stopAll } from './processes.js'

/**
 * Runs a bench command: its exit code is what `main` returns; an error prints `failurePrefix`
 * and its message. Killed or interrupted, it stops the children first, or they would outlive it.
 */
export function runCli(main: () => Promise<number>, failurePrefix = ''): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping every started process`)
      void stopAll().finally(() => process.exit(130))
    })
  }
  main().then((code) => {
    process.exitCode = code
  }, (error: unknown) => {
    console.error(`${failurePrefix}${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  })
}

/** `--env KEY=VALUE` pairs (repeatable) as an environment object. */
export function parseEnvPairs(pairs: readonly string[] | undefined): Record<string, string> {
  return Object.fromEntries((pairs ?? []).map((pair) => {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got "${pair}"`)
    return [pair.slice(0, eq), pair.slice(eq + 1)]
  }))
}
