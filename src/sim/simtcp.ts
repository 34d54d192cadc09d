import { connect, createServer, type Server, type Socket } from 'node:net'
import {
  type ComponentLogger,
  ConnectionFailedError,
  type CreateListenerOptions,
  type DialTransportOptions,
  type Listener,
  type Logger,
  type PeerId,
  serviceCapabilities,
  type Transport,
  transportSymbol
} from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { TCP } from '@multiformats/multiaddr-matcher'
import { TypedEventEmitter } from 'main-event'
import type { Uint8ArrayList } from 'uint8arraylist'
import { LinkQueue, type SimNetwork } from './simnet.ts'

/**
 * Real TCP on loopback with the simulator's link model in front of every write: each end holds
 * back what it sends by the link's latency (and TCP-like retransmission delays for loss), so a
 * round trip pays both ways. Partitions across processes are enforced by the connection gater.
 */
class SimTcpConnection extends AbstractMultiaddrConnection {
  readonly #socket: Socket
  readonly #link: LinkQueue
  readonly #network: SimNetwork

  constructor(init: {
    socket: Socket
    network: SimNetwork
    remoteAddr: Multiaddr
    direction: 'inbound' | 'outbound'
    log: Logger
  }) {
    super({ remoteAddr: init.remoteAddr, direction: init.direction, log: init.log })
    this.#socket = init.socket
    this.#network = init.network
    // Everything due at once goes out in one writev: libp2p sends a burst as many small writes
    // (at 5,000 nodes, 90 bytes a write on average), and each was a system call and a segment.
    this.#link = new LinkQueue(init.network, {
      before: () => this.#socket.cork(),
      after: () => this.#socket.uncork()
    })
    this.#socket.setNoDelay(true)
    this.#socket.on('data', (buf: Buffer) => this.onData(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)))
    this.#socket.on('end', () => this.onTransportClosed())
    this.#socket.on('error', (err) => this.abort(err))
    this.#socket.on('close', () => {
      if (this.status === 'open') this.onTransportClosed()
    })
  }

  sendData(data: Uint8ArrayList): { sentBytes: number; canSendMore: boolean } {
    const bytes = data.subarray()
    this.#network.bytesSent += bytes.byteLength
    this.#link.push(() => {
      if (!this.#socket.destroyed) this.#socket.write(bytes)
    })
    return { sentBytes: bytes.byteLength, canSendMore: true }
  }

  sendReset(): void {
    this.#socket.resetAndDestroy()
  }

  async sendClose(): Promise<void> {
    this.#link.push(() => this.#socket.end())
  }

  sendPause(): void {
    this.#socket.pause()
  }

  sendResume(): void {
    this.#socket.resume()
  }
}

function hostPort(ma: Multiaddr): { host: string; port: number } {
  const c = ma.getComponents()
  const host = c.find((x) => x.name === 'ip4' || x.name === 'ip6')?.value
  const port = Number(c.find((x) => x.name === 'tcp')?.value)
  if (host === undefined || !Number.isInteger(port))
    throw new ConnectionFailedError(`not a TCP address: ${ma.toString()}`)
  return { host, port }
}

class SimTcpListener
  extends TypedEventEmitter<{ listening: CustomEvent; close: CustomEvent; error: CustomEvent<Error> }>
  implements Listener
{
  #server: Server | undefined
  #addr: Multiaddr | undefined
  readonly #network: SimNetwork
  readonly #options: CreateListenerOptions
  readonly #log: Logger
  readonly #sockets = new Set<Socket>()
  readonly #shutdown = new AbortController()

  constructor(network: SimNetwork, options: CreateListenerOptions, log: Logger) {
    super()
    this.#network = network
    this.#options = options
    this.#log = log
  }

  async listen(ma: Multiaddr): Promise<void> {
    const { host, port } = hostPort(ma)
    const server = createServer((socket) => {
      this.#sockets.add(socket)
      socket.on('close', () => this.#sockets.delete(socket))
      const conn = new SimTcpConnection({
        socket,
        network: this.#network,
        remoteAddr: multiaddr(`/ip4/${socket.remoteAddress ?? host}/tcp/${socket.remotePort ?? 0}`),
        direction: 'inbound',
        log: this.#log
      })
      this.#options.upgrader
        .upgradeInbound(conn, { signal: this.#shutdown.signal })
        .catch((err: Error) => conn.abort(err))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve())
    })
    this.#server = server
    const address = server.address()
    const bound = typeof address === 'object' && address !== null ? address.port : port
    this.#addr = multiaddr(`/ip4/${host}/tcp/${bound}`)
    queueMicrotask(() => this.safeDispatchEvent('listening'))
  }

  getAddrs(): Multiaddr[] {
    return this.#addr === undefined ? [] : [this.#addr]
  }

  updateAnnounceAddrs(): void {}

  async close(): Promise<void> {
    this.#shutdown.abort()
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => (this.#server === undefined ? resolve() : this.#server.close(() => resolve())))
    queueMicrotask(() => this.safeDispatchEvent('close'))
  }
}

class SimTcpTransport implements Transport {
  readonly [transportSymbol] = true as const
  readonly [Symbol.toStringTag] = '@parley/sim-tcp'
  readonly [serviceCapabilities]: string[] = ['@libp2p/transport']
  readonly #network: SimNetwork
  readonly #log: Logger

  constructor(components: { logger: ComponentLogger; peerId: PeerId }, network: SimNetwork) {
    this.#network = network
    this.#log = components.logger.forComponent('parley:sim:tcp')
  }

  async dial(ma: Multiaddr, options: DialTransportOptions): Promise<import('@libp2p/interface').Connection> {
    options.signal?.throwIfAborted()
    const { host, port } = hostPort(ma)
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port })
      const onAbort = (): void => {
        s.destroy()
        reject(new ConnectionFailedError('dial aborted'))
      }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      s.once('connect', () => {
        options.signal?.removeEventListener('abort', onAbort)
        resolve(s)
      })
      s.once('error', (err) => {
        options.signal?.removeEventListener('abort', onAbort)
        reject(new ConnectionFailedError(err.message))
      })
    })
    const conn = new SimTcpConnection({
      socket,
      network: this.#network,
      remoteAddr: ma,
      direction: 'outbound',
      log: this.#log
    })
    try {
      return await options.upgrader.upgradeOutbound(conn, options)
    } catch (err) {
      conn.abort(err as Error)
      throw err
    }
  }

  createListener(options: CreateListenerOptions): Listener {
    return new SimTcpListener(this.#network, options, this.#log)
  }

  listenFilter(multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter((ma) => TCP.exactMatch(ma))
  }

  dialFilter(multiaddrs: Multiaddr[]): Multiaddr[] {
    return this.listenFilter(multiaddrs)
  }
}

/** A libp2p TCP transport with the simulator's link model. */
export function simTcpTransport(
  network: SimNetwork
): (components: { logger: ComponentLogger; peerId: PeerId }) => Transport {
  return (components) => new SimTcpTransport(components, network)
}
