import { describe, expect, it } from 'vitest'
import { hashString, prefixedHasher } from '../../src/domain/string-hash.js'

describe('prefixedHasher', () => {
  it('hashes a key under a prefix exactly as hashString hashes the whole string', () => {
    const reviews = prefixedHasher('reviews:')
    for (const isbn of ['9780441013593', '9780441013594', '', 'ünïcødé ✓']) {
      expect(reviews(isbn)).toBe(hashString(`reviews:${isbn}`))
    }
    expect(prefixedHasher('')('publisher:9780441013593')).toBe(hashString('publisher:9780441013593'))
  })

  it('tells keys apart that differ only in their last character', () => {
    const hash = prefixedHasher('reviews:')
    expect(hash('9780441013593')).not.toBe(hash('9780441013594'))
  })
})
