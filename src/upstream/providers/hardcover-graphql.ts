import { invalidResponse, mapped, type MappingResult } from './mapping-result.js'
import { asArray, asRecord, readString, type JsonRecord } from './json-reading.js'

const MAX_DETAIL_MESSAGES = 3

/**
 * The `data` of a GraphQL answer. GraphQL servers answer 200 even when a query fails, with an
 * `errors` list instead of (or beside) `data`; a partial `data` next to errors is not trusted.
 * Hardcover's auth failure is no GraphQL document at all: `{"error": "Unable to verify token"}`.
 */
export function readGraphqlData(body: unknown): MappingResult<JsonRecord> {
  const record = asRecord(body)
  if (record === undefined) return invalidResponse('Hardcover answer is not a JSON object')
  const errors = asArray(record.errors)
  if (errors.length > 0) {
    const messages = errors.slice(0, MAX_DETAIL_MESSAGES).map((error) => readString(asRecord(error)?.message) ?? 'unnamed error')
    const more = errors.length > MAX_DETAIL_MESSAGES ? ` (+${errors.length - MAX_DETAIL_MESSAGES} more)` : ''
    return invalidResponse(`Hardcover GraphQL errors: ${messages.join('; ')}${more}`)
  }
  const error = readString(record.error)
  if (error !== undefined) return invalidResponse(`Hardcover refused the request: ${error}`)
  const data = asRecord(record.data)
  return data === undefined ? invalidResponse('Hardcover answer has no data') : mapped(data)
}
