/* A TCP port free on 127.0.0.1 right now (the OS picks it), for servers started on loopback. */
import net from 'node:net'

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * The first of `count` consecutive ports all free on 127.0.0.1 right now, for a command that
 * takes one port and the ones after it (`npm run cluster`). A lone free port's neighbours are
 * often taken by other loopback servers' OS-chosen ports, so each candidate run is checked.
 */
export async function freePortRun(count: number, attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i += 1) {
    const first = await freePort()
    if (first + count - 1 > 65535) continue
    const rest = Array.from({ length: count - 1 }, (_, k) => first + 1 + k)
    if ((await Promise.all(rest.map(isFree))).every(Boolean)) return first
  }
  throw new Error(`no run of ${count} free ports found on 127.0.0.1`)
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}
