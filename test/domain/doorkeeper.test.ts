import { describe, expect, it } from 'vitest'
import { Doorkeeper } from '../../src/domain/doorkeeper.js'

const keys = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `reviews:${9780000000000 + from + i}`)

describe('Doorkeeper', () => {
  it('answers no to a key offered for the first time, yes to it offered again', () => {
    const doorkeeper = new Doorkeeper(1000)
    expect(doorkeeper.offer('reviews:9780441013593')).toBe(false)
    expect(doorkeeper.offer('reviews:9780441013593')).toBe(true)
    expect(doorkeeper.offer('publisher:9780441013593')).toBe(false)
  })

  it('admits few keys it never saw, with a full window behind it', () => {
    const doorkeeper = new Doorkeeper(10_000)
    for (const key of keys(0, 10_000)) doorkeeper.offer(key)
    const falseAdmissions = keys(1_000_000, 10_000).filter((key) => doorkeeper.offer(key)).length
    expect(falseAdmissions / 10_000).toBeLessThan(0.03)
  })

  it('remembers a key for at least one window of offers, and forgets it after two', () => {
    const doorkeeper = new Doorkeeper(1000)
    doorkeeper.offer('reviews:9780441013593')
    for (const key of keys(0, 999)) doorkeeper.offer(key)
    expect(doorkeeper.offer('reviews:9780441013593')).toBe(true)

    const forgetful = new Doorkeeper(1000)
    forgetful.offer('reviews:9780441013593')
    for (const key of keys(0, 2000)) forgetful.offer(key)
    expect(forgetful.offer('reviews:9780441013593')).toBe(false)
  })
})
