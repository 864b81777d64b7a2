import { describe, expect, it } from 'vitest'
import { asRecord, firstOf, readCount, readRating, readString, readStringList, withoutUndefined } from '../../../src/upstream/providers/json-reading.js'

describe('json-reading', () => {
  it('asRecord accepts plain objects only', () => {
    expect(asRecord({ a: 1 })).toEqual({ a: 1 })
    for (const value of [null, [], 'x', 1, undefined]) expect(asRecord(value)).toBeUndefined()
  })

  it('readString trims and treats blanks as missing', () => {
    expect(readString('  Puffin ')).toBe('Puffin')
    for (const value of ['', '  ', 42, null]) expect(readString(value)).toBeUndefined()
  })

  it('readCount takes integers ≥ 0, and > 0 when asked', () => {
    expect(readCount(96)).toBe(96)
    expect(readCount(0)).toBe(0)
    expect(readCount(0, { positive: true })).toBeUndefined()
    for (const value of [-1, 1.5, '96', Number.NaN, Infinity]) expect(readCount(value)).toBeUndefined()
  })

  it('readRating takes numbers (and numeric strings, as Hasura may send) on the 0–5 scale', () => {
    expect(readRating(4.5)).toBe(4.5)
    expect(readRating('3.5')).toBe(3.5)
    for (const value of [5.01, -0.5, '', ' ', 'four', null, Number.NaN]) expect(readRating(value)).toBeUndefined()
  })

  it('readStringList and firstOf skip malformed entries', () => {
    expect(readStringList(['a', 1, ' ', null, 'b '])).toEqual(['a', 'b'])
    expect(readStringList('a')).toEqual([])
    expect(firstOf([1, 'x', 'y'], readString)).toBe('x')
    expect(firstOf(undefined, readString)).toBeUndefined()
  })

  it('withoutUndefined leaves absent what is undefined', () => {
    expect(withoutUndefined({ a: 1, b: undefined, c: null })).toStrictEqual({ a: 1, c: null })
  })
})
