import type { Dispatcher } from 'undici'

export type JsonBody =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly detail: string }

/**
 * Reads an upstream body into JSON without ever holding more than `maxBytes` of it: a body
 * announced or streamed larger than the limit is cut off, so a hostile or broken upstream
 * cannot grow our memory by its size.
 */
export async function readJsonBody(body: Dispatcher.ResponseData['body'], contentLength: string | string[] | undefined, maxBytes: number): Promise<JsonBody> {
  const announced = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN
  if (announced > maxBytes) {
    body.destroy()
    return { ok: false, detail: `body of ${announced} bytes exceeds the ${maxBytes}-byte limit` }
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) {
      body.destroy()
      return { ok: false, detail: `body exceeds the ${maxBytes}-byte limit` }
    }
    chunks.push(chunk)
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks, size).toString('utf8')) }
  } catch {
    return { ok: false, detail: 'body is not valid JSON' }
  }
}
