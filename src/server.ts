import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

// The only place that reads the process environment (through loadConfig), listens and
// handles signals; everything else is built by buildApp and testable without a port.
async function main(): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`book-aggregator: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }

  const app = await buildApp(config)
  closeWithGrace({ delay: config.requestDeadlineMs + 2000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an unexpected error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ host: config.host, port: config.port })
}

void main()
