import { describe, expect, it } from 'vitest'
import { completePublisherSection } from '../../../src/upstream/providers/publisher-section.js'

describe('completePublisherSection', () => {
  it('adds the ISO date and leaves optional fields absent rather than undefined', () => {
    expect(completePublisherSection({ title: 'T', authors: [], publisher: 'P', publishedDate: 'Oct 1988', pageCount: undefined }, 'x'))
      .toStrictEqual({ status: 'ok', data: { title: 'T', authors: [], publisher: 'P', publishedDate: 'Oct 1988', publishedDateIso: '1988-10' } })
  })

  it('names every missing required field', () => {
    expect(completePublisherSection({ authors: ['A'] }, 'the record'))
      .toEqual({ status: 'invalid_response', detail: 'the record has no title, no publisher, no publish date' })
    expect(completePublisherSection({ title: 'T', authors: [], publisher: 'P' }, 'the record'))
      .toEqual({ status: 'invalid_response', detail: 'the record has no publish date' })
  })
})
