import { describe, expect, it } from 'vitest'
import { rotated } from '../../bench/harness.js'

describe('rotated (the order of a repeated run\'s rounds)', () => {
  it('starts each round one target further on, so every target is first once in as many rounds', () => {
    const targets = ['ours', 'mercurius', 'minimal']
    expect([0, 1, 2, 3].map((round) => rotated(targets, round))).toEqual([
      ['ours', 'mercurius', 'minimal'],
      ['mercurius', 'minimal', 'ours'],
      ['minimal', 'ours', 'mercurius'],
      ['ours', 'mercurius', 'minimal']
    ])
    expect(targets).toEqual(['ours', 'mercurius', 'minimal'])
  })

  it('leaves an empty list empty', () => {
    expect(rotated([], 2)).toEqual([])
  })
})
