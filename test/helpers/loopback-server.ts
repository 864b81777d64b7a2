import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface ListeningServer {
  readonly url: string
  /** Destroys every open connection (keep-alive ones included), then closes the listener. */
  close(): Promise<void>
}

/**
 * Listens on 127.0.0.1, port 0, remembering each connection: `server.close()` alone waits for
 * keep-alive sockets, and a fake left holding one would keep the test run from exiting.
 */
export async function listenOnLoopback(server: Server): Promise<ListeningServer> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
