import { describe, expect, it } from 'vitest'
import { normalizePublishDate, readIsoDate } from '../../../src/upstream/providers/publish-date.js'

describe('readIsoDate', () => {
  it.each<[string, string]>([
    ['October 1, 1988', '1988-10-01'], // the recorded Fantastic Mr. Fox edition
    ['September 6, 2006', '2006-09-06'],
    ['July 28, 2008', '2008-07-28'],
    ['Oct. 1, 1988', '1988-10-01'],
    ['Sept 1st, 1988', '1988-09-01'],
    ['1 Oct 1988', '1988-10-01'],
    ['1st October 1988', '1988-10-01'],
    ['Oct 1988', '1988-10'],
    ['October, 1988', '1988-10'],
    ['10/1988', '1988-10'],
    ['1988', '1988'],
    ['2004-05', '2004-05'],
    ['1988-10-01', '1988-10-01'],
    ['2023-10-18T17:29:19.393223', '2023-10-18'], // Hardcover's reviewed_at
    ['2024-02-29', '2024-02-29']
  ])('reads %j as %j', (text, iso) => {
    expect(readIsoDate(text)).toBe(iso)
  })

  it.each<[string, string]>([
    ['c1988', '1988'],
    ['[1992?]', '1992'],
    ['Summer 1988', '1988'],
    ['01/10/1988', '1988'], // day and month order unknown: only the year is sure
    ['February 30, 1988', '1988'],
    ['2023-02-29', '2023'],
    ['1st ed. 1970', '1970']
  ])('keeps only the sure year of %j', (text, iso) => {
    expect(readIsoDate(text)).toBe(iso)
  })

  it.each(['', 'n.d.', 'unknown', '1988-1990', '1988, repr. 1990', '0000', '12345'])('reads no date from %j', (text) => {
    expect(readIsoDate(text)).toBeUndefined()
  })
})

describe('normalizePublishDate', () => {
  it('keeps the text as given and adds the ISO date', () => {
    expect(normalizePublishDate(' October 1, 1988 ')).toEqual({ publishedDate: 'October 1, 1988', publishedDateIso: '1988-10-01' })
  })

  it('has no publishedDateIso member when no date can be read', () => {
    expect(normalizePublishDate('n.d.')).toStrictEqual({ publishedDate: 'n.d.' })
  })
})
