import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import demoPage from '../../src/plugins/demo-page.js'

// Debian's chromium (`apt-get install chromium`); .ci/run installs it. Playwright never downloads
// a browser of its own here: playwright-core drives this one through executablePath.
const CHROMIUM = '/usr/bin/chromium'
const HAS_CHROMIUM = existsSync(CHROMIUM)
// eslint-disable-next-line no-console -- the skip must say why, in the test output
if (!HAS_CHROMIUM) console.warn(`${CHROMIUM} not found: skipping the demo page browser test (apt-get install chromium)`)

// As root, in a sandbox, with no network beyond loopback: no sandbox, no GPU, and none of the
// background connections Chromium would otherwise keep trying to make.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'
]
const SCREENSHOT = fileURLToPath(new URL('./__screenshots__/demo.png', import.meta.url))

// A fresh-clone CI run once spent more than the suite's 15 s hook timeout starting the browser
// while the benchmark tests loaded both cores: starting it gets its own, generous bound.
const BROWSER_START_TIMEOUT_MS = 60_000

const DUNE = '9780441013593'
const DUNE_MESSIAH = '9780441172719'

describe.skipIf(!HAS_CHROMIUM)('demo page at GET / in headless Chromium (demo mode)', () => {
  let app: FastifyInstance | undefined
  let browser: Browser | undefined
  let page: Page
  let baseUrl: string
  const pageErrors: string[] = []

  beforeAll(async () => {
    app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }))
    if (!app.hasRoute({ method: 'GET', url: '/' })) await app.register(demoPage)
    baseUrl = await app.listen({ port: 0, host: '127.0.0.1' })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: BROWSER_START_TIMEOUT_MS - 10_000 })
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, colorScheme: 'light' })
    // Anything off this host (the demo catalog's cover URLs) fails at once, as it would offline,
    // instead of waiting on DNS: the page must hide the broken cover, not show it.
    const origin = new URL(baseUrl).origin
    await context.route((url) => url.origin !== origin, (route) => route.abort('internetdisconnected'))
    page = await context.newPage()
    page.setDefaultTimeout(8_000)
    page.on('pageerror', (error) => pageErrors.push(error.message))
  }, BROWSER_START_TIMEOUT_MS)

  afterAll(async () => {
    try {
      await browser?.close()
    } finally {
      await app?.close()
    }
  })

  /** Waits for the SSE stream to finish with the book shown and the banner in the given state. */
  async function bookShown(title: string, banner: 'complete' | 'partial' | 'failed' = 'complete'): Promise<void> {
    await page.locator(`#banner[data-kind="${banner}"]`).waitFor()
    await page.locator('#card-publisher .book-title', { hasText: new RegExp(`^${title}$`) }).waitFor()
  }

  it('searches "dune", opens Dune and fills all three sections from the event stream', async () => {
    await page.goto(baseUrl, { waitUntil: 'domcontentloaded' })
    expect(await page.title()).toContain('Book aggregator')

    await page.fill('#q', 'dune')
    await page.press('#q', 'Enter')
    const result = page.locator('a.result', { has: page.locator('.result-title', { hasText: /^Dune$/ }) })
    await result.waitFor()
    expect(await page.locator('#results-heading').textContent()).toMatch(/books? match “dune”/)
    await result.click()

    await bookShown('Dune')
    expect(new URL(page.url()).hash).toBe(`#isbn=${DUNE}`)
    expect(await page.locator('#banner').textContent()).toContain('Complete')
    expect(await page.locator('.card .badge').allTextContents()).toEqual(['ok', 'ok', 'ok'])
    for (const timing of await page.locator('.card .timing').allTextContents()) expect(timing).toMatch(/^\d[\d,]* ms$/)

    expect(await page.locator('#card-publisher .book-authors').textContent()).toBe('by Frank Herbert')
    expect(await page.locator('#card-reviews .review').count()).toBeGreaterThanOrEqual(1)
    expect(await page.locator('#card-reviews .rating-value').textContent()).toMatch(/^\d\.\d$/)
    expect(await page.locator('#card-recommendations .rec-title').allTextContents()).toContain('Dune Messiah')

    // The cover URL is unreachable: the <img> is dropped and the drawn cover stays.
    await expect.poll(() => page.locator('#card-publisher img.cover-img').count()).toBe(0)
    await expect(page.locator('#card-publisher .cover').isVisible()).resolves.toBe(true)

    mkdirSync(new URL('./__screenshots__/', import.meta.url), { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
  })

  it('a recommendation loads that book, and the back button returns to the previous one', async () => {
    await page.locator('#card-recommendations a.rec', { hasText: 'Dune Messiah' }).click()
    await bookShown('Dune Messiah')
    expect(new URL(page.url()).hash).toBe(`#isbn=${DUNE_MESSIAH}`)
    expect(await page.locator('.card .badge').allTextContents()).toEqual(['ok', 'ok', 'ok'])
    expect(await page.title()).toContain('Dune Messiah')

    await page.goBack()
    await bookShown('Dune')
    expect(new URL(page.url()).hash).toBe(`#isbn=${DUNE}`)
  })

  it('takes a hyphenated ISBN typed into the search box, and catches a wrong check digit before asking', async () => {
    await page.fill('#q', '978-0-441-01359-4')
    await page.press('#q', 'Enter')
    await page.locator('#message[data-kind="error"]', { hasText: 'check digit' }).waitFor()
    expect(new URL(page.url()).hash).toBe(`#isbn=${DUNE}`)

    await page.fill('#q', '0-441-17271-7')
    await page.press('#q', 'Enter')
    await bookShown('Dune Messiah')
    expect(await page.locator('#card-publisher [data-fact="isbn13"]').textContent()).toBe(DUNE_MESSIAH)
  })

  it('shows a friendly card for a book that does not exist', async () => {
    await page.goto(`${baseUrl}#isbn=9780000000002`, { waitUntil: 'domcontentloaded' })
    await page.locator('#problem .problem-title', { hasText: 'Book not found' }).waitFor()
    expect(await page.locator('#banner').getAttribute('data-kind')).toBe('failed')
    expect(await page.locator('#card-publisher .badge').textContent()).toBe('not found')
  })

  it('raised no script errors', () => {
    expect(pageErrors).toEqual([])
  })
})
