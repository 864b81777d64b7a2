import { afterEach } from 'vitest'

/**
 * What a test starts (fakes, apps, servers), closed after each test, the last started first so
 * an app is closed before the fake it talks to. Returns the function that registers a close.
 */
export function closeAfterEach(): (close: () => Promise<void>) => void {
  const closers: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close()
  })
  return (close) => {
    closers.push(close)
  }
}
