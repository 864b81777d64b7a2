import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// The project pins one Node.js (.nvmrc) and brings it itself as the `node` devDependency, whose
// binary npm puts first on the PATH of every script. A machine that silently runs the suite on its
// own, older node (a missing devDependency, a PATH that puts the system's first) fails here.

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')
const pinned = read('.nvmrc').trim().replace(/^v/, '')
const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> }

describe('the pinned runtime', () => {
  it('runs this suite', () => {
    // eslint-disable-next-line no-console -- the CI log must show which runtime ran the suite
    console.log(`tests run on Node.js ${process.version} (${process.execPath})`)
    expect(process.version).toBe(`v${pinned}`)
  })

  it('is the version package.json installs and its engines field allows', () => {
    expect(pkg.devDependencies.node).toBe(pinned)
    const minimumMajor = Number(/^>=\s*(\d+)/.exec(pkg.engines.node)?.[1])
    expect(Number(pinned.split('.')[0])).toBeGreaterThanOrEqual(minimumMajor)
  })

  it('is the version the Docker image ships', () => {
    const images = [...read('Dockerfile').matchAll(/^FROM node:(\S+?)-/gm)].map((m) => m[1])
    expect(images.length).toBeGreaterThan(0)
    for (const image of images) expect(image).toBe(pinned)
  })
})
