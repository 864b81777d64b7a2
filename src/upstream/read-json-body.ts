import { createHash } from 'node:crypto'
import type { Dispatcher } from 'undici'

export type JsonBody =
  | {
    readonly ok: true
    readonly value: unknown
    /** Digest of the raw body: ETags are built from it without re-serializing the data. */
    readonly digest: string
  }
  | { readonly ok: false; readonly detail: string }

/**
 * Reads an upstream body into JSON without ever holding more than `maxBytes` of it: a body
 * announced or streamed larger than the limit is cut off, so a hostile or broken upstream
 * cannot grow our memory by its size. Plain stream events, not an async iterator: this runs
 * three times per request.
 */
export function readJsonBody(body: Dispatcher.ResponseData['body'], contentLength: string | string[] | undefined, maxBytes: number): Promise<JsonBody> {
  const announced = typeof contentLength === 'string' ? Number(contentLength) : Number.NaN
  if (announced > maxBytes) {
    discard(body)
    return Promise.resolve({ ok: false, detail: `body of ${announced} bytes exceeds the ${maxBytes}-byte limit` })
  }
  return new Promise<JsonBody>((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const stop = (): void => {
      body.off('data', onData).off('end', onEnd).off('error', onError)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > maxBytes) {
        stop()
        discard(body)
        resolve({ ok: false, detail: `body exceeds the ${maxBytes}-byte limit` })
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      stop()
      const raw = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)
      try {
        const value: unknown = JSON.parse(raw.toString('utf8'))
        resolve({ ok: true, value, digest: createHash('sha1').update(raw).digest('base64url') })
      } catch {
        resolve({ ok: false, detail: 'body is not valid JSON' })
      }
    }
    const onError = (error: Error): void => {
      stop()
      reject(error)
    }
    body.on('data', onData).on('end', onEnd).on('error', onError)
  })
}

/**
 * Stops reading and closes the upstream connection. Destroying an unfinished body makes it
 * emit an abort error; nobody waits for it any more, and an error event nobody listens to
 * would crash the process.
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', ignore)
  body.destroy()
}

function ignore(): void {}
