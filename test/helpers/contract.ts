import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { parse } from 'yaml'
import { expect } from 'vitest'

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>
  components: Record<string, Record<string, unknown>>
}
interface ResponseObject {
  $ref?: string
  content?: Record<string, { schema: object }>
  headers?: Record<string, unknown>
}

const document = parse(readFileSync(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as OpenApiDocument
const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats.default(ajv)
ajv.addSchema({ ...document, $id: 'openapi.yaml' })

export interface ContractResponse {
  readonly statusCode: number
  readonly headers: Record<string, unknown>
  readonly body: string
  /** Needed to check compressed bodies (inject responses have it). */
  readonly rawPayload?: Buffer
}

/** The body as text, decompressed when the response says br or gzip. */
export function decodedBody(response: ContractResponse): string {
  const encoding = response.headers['content-encoding']
  if (response.rawPayload === undefined || encoding === undefined) return response.body
  if (encoding === 'br') return brotliDecompressSync(response.rawPayload).toString('utf8')
  if (encoding === 'gzip') return gunzipSync(response.rawPayload).toString('utf8')
  throw new Error(`unexpected content-encoding ${String(encoding)}`)
}

/**
 * Asserts that a response is one the contract promises: the route, method and status are
 * declared, and the body validates against the declared schema for its media type.
 */
export function expectMatchesContract(route: string, method: string, response: ContractResponse): void {
  const operation = document.paths[route]?.[method.toLowerCase()]
  expect(operation, `${method} ${route} is not in openapi.yaml`).toBeDefined()
  const status = String(response.statusCode)
  // An exact status wins over its range (`4XX`), as OpenAPI specifies.
  const key = operation?.responses[status] !== undefined ? status : `${status[0]}XX`
  let pointer = ['paths', route, method.toLowerCase(), 'responses', key]
  let declared = operation?.responses[key]
  expect(declared, `${method} ${route} does not declare status ${status}`).toBeDefined()
  if (declared?.$ref !== undefined) {
    pointer = declared.$ref.replace(/^#\//, '').split('/').map(unescapePointer)
    declared = at(pointer) as ResponseObject
  }
  const mediaType = String(response.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
  if (response.statusCode === 304 || declared?.content === undefined) {
    expect(response.body).toBe('')
    return
  }
  expect(declared.content[mediaType], `${method} ${route} ${status} does not declare ${mediaType}`).toBeDefined()
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) return
  // Validating in place keeps the schema's own $refs resolvable against the whole document.
  const schemaPointer = [...pointer, 'content', mediaType, 'schema'].map(escapePointer).join('/')
  const validate = ajv.compile({ $ref: `openapi.yaml#/${schemaPointer}` })
  const body = decodedBody(response)
  const valid = validate(JSON.parse(body))
  expect(validate.errors ?? [], `${method} ${route} ${status} body: ${body.slice(0, 500)}`).toEqual([])
  expect(valid).toBe(true)
}

function at(pointer: readonly string[]): unknown {
  return pointer.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document)
}

const escapePointer = (key: string): string => encodeURIComponent(key.replace(/~/g, '~0').replace(/\//g, '~1'))
const unescapePointer = (key: string): string => decodeURIComponent(key).replace(/~1/g, '/').replace(/~0/g, '~')
