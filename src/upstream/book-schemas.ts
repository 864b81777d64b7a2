import { Ajv, type ValidateFunction } from 'ajv'
import type { SourceName } from '../domain/sources.js'

// JSON Schemas of the upstream bodies (see api-contract.md). `removeAdditional` drops the
// fields we do not know, so an upstream cannot smuggle arbitrary data into our responses.
const stringList = { type: 'array', items: { type: 'string' }, maxItems: 100 }

/** The three book bodies, and the publisher API's search results. */
export type SectionShape = SourceName | 'search'

/** A list (search results, recommendations) of books named by ISBN, title and authors, plus `extra` fields. */
function bookList(extra: Record<string, object>): object {
  return {
    type: 'array',
    maxItems: 1000,
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['isbn', 'title', 'authors'],
      properties: { isbn: { type: 'string' }, title: { type: 'string' }, authors: stringList, ...extra }
    }
  }
}

const schemas: Record<SectionShape, object> = {
  search: {
    type: 'object',
    additionalProperties: false,
    required: ['results'],
    properties: {
      results: bookList({ publisher: { type: 'string' }, publishedDate: { type: 'string' } })
    }
  },
  publisher: {
    type: 'object',
    additionalProperties: false,
    required: ['isbn', 'title', 'authors', 'publisher', 'publishedDate'],
    properties: {
      isbn: { type: 'string' },
      title: { type: 'string' },
      subtitle: { type: 'string' },
      authors: stringList,
      publisher: { type: 'string' },
      publishedDate: { type: 'string' },
      pageCount: { type: 'integer', minimum: 0 },
      language: { type: 'string' },
      description: { type: 'string' },
      coverUrl: { type: 'string' }
    }
  },
  reviews: {
    type: 'object',
    additionalProperties: false,
    required: ['isbn', 'averageRating', 'ratingsCount', 'items'],
    properties: {
      isbn: { type: 'string' },
      averageRating: { type: 'number', minimum: 0, maximum: 5 },
      ratingsCount: { type: 'integer', minimum: 0 },
      items: {
        type: 'array',
        maxItems: 1000,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['author', 'rating', 'text', 'date'],
          properties: {
            author: { type: 'string' },
            rating: { type: 'number', minimum: 0, maximum: 5 },
            title: { type: 'string' },
            text: { type: 'string' },
            date: { type: 'string' }
          }
        }
      }
    }
  },
  recommendations: {
    type: 'object',
    additionalProperties: false,
    required: ['isbn', 'items'],
    properties: {
      isbn: { type: 'string' },
      items: bookList({ score: { type: 'number' } })
    }
  }
}

const ajv = new Ajv({ removeAdditional: 'all', allErrors: false })
const validators = Object.fromEntries(
  Object.entries(schemas).map(([source, schema]) => [source, ajv.compile(schema)])
) as Record<SectionShape, ValidateFunction>

export type SectionCheck =
  | { readonly ok: true; readonly section: Record<string, unknown> }
  | { readonly ok: false; readonly detail: string }

/**
 * Validates an upstream body and turns it into the BookView section: the same data without
 * the `isbn` field, which the BookView already carries at the top.
 */
export function toSection(source: SectionShape, body: unknown): SectionCheck {
  const validate = validators[source]
  if (!validate(body)) {
    const first = validate.errors?.[0]
    const where = first?.instancePath === '' ? 'body' : first?.instancePath
    return { ok: false, detail: `${where} ${first?.message ?? 'does not match the expected shape'}` }
  }
  const { isbn: _isbn, ...section } = body as Record<string, unknown>
  return { ok: true, section }
}
