import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino'

/**
 * A request's child logger that is made only when the request logs at an enabled level.
 * Fastify asks for a child per request, and pino serializes the child's bindings as it makes
 * it; at the default level most requests log nothing, so that was work for nothing on every
 * request (~6% of a cache hit's CPU). Lines that are written carry the same bindings.
 */
export function lazyChildLogger(parent: Logger, bindings: () => Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // A route's own log level (Fastify's `logLevel`) is rare: such children are made at once.
  if (options.level !== undefined) return parent.child(bindings(), options)
  return new LazyChildLogger(parent, bindings, options) as unknown as FastifyBaseLogger
}

class LazyChildLogger {
  private made: Logger | undefined

  constructor(
    private readonly parent: Logger,
    private readonly bindings: () => Bindings,
    private readonly options: ChildLoggerOptions
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level
  }

  set level(level: string) {
    this.real().level = level
  }

  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level)
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.real().child(bindings, options)
  }

  fatal(...args: unknown[]): void { this.write('fatal', args) }
  error(...args: unknown[]): void { this.write('error', args) }
  warn(...args: unknown[]): void { this.write('warn', args) }
  info(...args: unknown[]): void { this.write('info', args) }
  debug(...args: unknown[]): void { this.write('debug', args) }
  trace(...args: unknown[]): void { this.write('trace', args) }
  silent(): void {}

  private write(level: Level, args: unknown[]): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return
    const logger = this.real()
    ;(logger[level] as (...a: unknown[]) => void).apply(logger, args)
  }

  private real(): Logger {
    this.made ??= this.parent.child(this.bindings(), this.options)
    return this.made
  }
}
