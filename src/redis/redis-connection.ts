import { Redis } from 'ioredis'

export type RedisState = 'connecting' | 'up' | 'degraded'

export interface RedisLogger {
  info(fields: object, message: string): void
  warn(fields: object, message: string): void
}

/**
 * One shared ioredis client (cache and rate limiter) that fails fast: no offline queue, no
 * per-command retries, a short command timeout. A Redis that is down or slow must cost a
 * cache miss, never a slow or failed answer; its state is logged once per change.
 */
export class RedisConnection {
  readonly client: Redis
  private current: RedisState = 'connecting'

  constructor(url: string, commandTimeoutMs: number, private readonly log: RedisLogger) {
    this.client = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: commandTimeoutMs,
      connectTimeout: 1000,
      // Keep trying in the background, at most every two seconds.
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000)
    })
    this.client.on('ready', () => this.become('up'))
    this.client.on('error', (error: Error) => this.become('degraded', error.message))
    this.client.on('close', () => this.become('degraded', 'connection closed'))
  }

  get state(): RedisState {
    return this.current
  }

  /** A failed or timed-out command marks Redis degraded until the connection is ready again. */
  reportFailure(error: unknown): void {
    this.become('degraded', error instanceof Error ? error.message : String(error))
  }

  async close(): Promise<void> {
    this.client.removeAllListeners('close')
    await this.client.quit().catch(() => this.client.disconnect())
  }

  private become(state: RedisState, reason?: string): void {
    if (state === this.current) return
    const previous = this.current
    this.current = state
    if (state === 'up') this.log.info({ redis: state, previous }, 'redis is up')
    else this.log.warn({ redis: state, previous, reason }, 'redis is degraded: serving without the shared cache')
  }
}
