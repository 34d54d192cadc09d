import {
  type ComponentLogger,
  ConnectionFailedError,
  type CreateListenerOptions,
  type DialTransportOptions,
  ListenError,
  type Listener,
  type Logger,
  type MultiaddrConnection,
  type PeerId,
  StreamResetError,
  serviceCapabilities,
  type Transport,
  transportSymbol
} from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { Memory } from '@multiformats/multiaddr-matcher'
import { TypedEventEmitter } from 'main-event'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { Rng } from './rng.ts'

/** Conditions on every link (a link fault changes them for a while). */
export interface LinkConditions {
  latencyMs: number
  jitterMs: number
  /** Probability that a buffer is lost on the wire; as on TCP it is then retransmitted after a timeout. */
  loss: number
}

/** Lowest retransmission timeout (Linux TCP's RTO_MIN), doubled on each further loss of the same buffer. */
const RTO_MIN_MS = 200

interface ListenerEntry {
  peerId: PeerId
  onConnection(conn: MultiaddrConnection): void
}

/**
 * The network between simulated nodes in one process: the link model (latency, jitter, loss
 * with TCP-like retransmission, partitions) sits between every pair of connection ends, on the
 * same memory pipes @libp2p/memory uses. Bytes are counted as they are sent.
 */
export class SimNetwork {
  readonly listeners = new Map<string, ListenerEntry>()
  readonly connections = new Set<SimConnection>()
  conditions: LinkConditions
  /** Partition: group per PeerId string; links across groups are cut. */
  #groups: Map<string, number> | undefined
  bytesSent = 0
  readonly rng: Rng

  constructor(init: { conditions: LinkConditions; rng: Rng }) {
    this.conditions = { ...init.conditions }
    this.rng = init.rng
  }

  blocked(a: string, b: string): boolean {
    const g = this.#groups
    if (g === undefined) return false
    const ga = g.get(a)
    const gb = g.get(b)
    return ga !== undefined && gb !== undefined && ga !== gb
  }

  /** Cut the network into groups (PeerId → group), closing every connection across them; undefined heals. */
  setPartition(groups: Map<string, number> | undefined): void {
    this.#groups = groups
    if (groups === undefined) return
    for (const c of [...this.connections]) {
      if (this.blocked(c.localPeer, c.remotePeer)) c.abort(new ConnectionFailedError('network partition'))
    }
  }

  /** When a buffer sent now on this link arrives (never before the previous one). */
  arrival(previous: number): number {
    const { latencyMs, jitterMs, loss } = this.conditions
    let delay = latencyMs + (jitterMs > 0 ? this.rng.next() * jitterMs : 0)
    let rto = Math.max(RTO_MIN_MS, 2 * latencyMs)
    while (loss > 0 && this.rng.next() < loss && rto < 60_000) {
      delay += rto
      rto *= 2
    }
    return Math.max(previous, performance.now() + delay)
  }
}

type Pending = { at: number; run: () => void }

/** Called around each batch of sends that fall due together (a socket corks and uncorks). */
export interface LinkBatch {
  before(): void
  after(): void
}

/** What one end of a link sends, delivered after the link's delay, in order (FIFO, like TCP). */
export class LinkQueue {
  readonly #network: SimNetwork
  readonly #batch: LinkBatch | undefined
  #queue: Pending[] = []
  #timer: NodeJS.Timeout | undefined
  #flushing = false
  #last = 0

  constructor(network: SimNetwork, batch?: LinkBatch) {
    this.#network = network
    this.#batch = batch
  }

  push(run: () => void): void {
    const c = this.#network.conditions
    const at = c.latencyMs === 0 && c.jitterMs === 0 && c.loss === 0 ? this.#last : this.#network.arrival(this.#last)
    this.#last = at
    this.#queue.push({ at, run })
    this.#schedule()
  }

  get idle(): boolean {
    return this.#queue.length === 0
  }

  #schedule(): void {
    if (this.#flushing) return
    const head = this.#queue[0]
    if (head === undefined) return
    const wait = head.at - performance.now()
    if (wait <= 0) {
      if (this.#timer !== undefined) return
      this.#flushing = true
      queueMicrotask(() => this.#flush())
      return
    }
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#flush()
    }, wait)
  }

  #flush(): void {
    this.#flushing = false
    const now = performance.now()
    if (this.#queue.length > 0 && this.#queue[0]!.at <= now) {
      this.#batch?.before()
      try {
        while (this.#queue.length > 0 && this.#queue[0]!.at <= now) this.#queue.shift()!.run()
      } finally {
        this.#batch?.after()
      }
    }
    this.#schedule()
  }
}

/** One end of a simulated link. Data goes through the network's link model to the other end. */
export class SimConnection extends AbstractMultiaddrConnection {
  readonly network: SimNetwork
  readonly localPeer: string
  readonly remotePeer: string
  other?: SimConnection
  readonly #link: LinkQueue

  constructor(init: {
    network: SimNetwork
    localPeer: string
    remotePeer: string
    remoteAddr: Multiaddr
    direction: 'inbound' | 'outbound'
    log: Logger
  }) {
    super({ remoteAddr: init.remoteAddr, direction: init.direction, log: init.log })
    this.network = init.network
    this.localPeer = init.localPeer
    this.remotePeer = init.remotePeer
    this.#link = new LinkQueue(init.network)
    this.network.connections.add(this)
    this.addEventListener('close', () => {
      this.network.connections.delete(this)
    })
  }

  #toRemote(run: () => void): void {
    this.#link.push(run)
  }

  sendData(data: Uint8ArrayList): { sentBytes: number; canSendMore: boolean } {
    const bytes = data.subarray()
    this.network.bytesSent += bytes.byteLength
    const other = this.other
    this.#toRemote(() => {
      if (other !== undefined && other.status === 'open') other.onData(bytes)
    })
    return { sentBytes: bytes.byteLength, canSendMore: true }
  }

  sendReset(): void {
    const other = this.other
    this.#toRemote(() => other?.abort(new StreamResetError('remote reset')))
  }

  async sendClose(): Promise<void> {
    const other = this.other
    this.#toRemote(() => other?.onTransportClosed())
  }

  sendPause(): void {
    // read backpressure is not modelled (as in @libp2p/memory)
  }

  sendResume(): void {}
}

class SimListener
  extends TypedEventEmitter<{ listening: CustomEvent; close: CustomEvent; error: CustomEvent<Error> }>
  implements Listener
{
  #addr: Multiaddr | undefined
  readonly #network: SimNetwork
  readonly #peerId: PeerId
  readonly #options: CreateListenerOptions
  readonly #shutdown = new AbortController()

  constructor(network: SimNetwork, peerId: PeerId, options: CreateListenerOptions) {
    super()
    this.#network = network
    this.#peerId = peerId
    this.#options = options
  }

  async listen(ma: Multiaddr): Promise<void> {
    const value = ma.getComponents()[0]?.value
    const address = `/memory/${value ?? `sim-${this.#peerId.toString()}`}`
    if (this.#network.listeners.has(address)) throw new ListenError(`address ${address} already in use`)
    this.#network.listeners.set(address, {
      peerId: this.#peerId,
      onConnection: (conn) => {
        this.#options.upgrader
          .upgradeInbound(conn, { signal: this.#shutdown.signal })
          .catch((err: Error) => conn.abort(err))
      }
    })
    this.#addr = multiaddr(address)
    queueMicrotask(() => this.safeDispatchEvent('listening'))
  }

  getAddrs(): Multiaddr[] {
    return this.#addr === undefined ? [] : [this.#addr]
  }

  updateAnnounceAddrs(): void {}

  async close(): Promise<void> {
    if (this.#addr !== undefined) this.#network.listeners.delete(this.#addr.toString())
    this.#shutdown.abort()
    queueMicrotask(() => this.safeDispatchEvent('close'))
  }
}

interface SimTransportComponents {
  peerId: PeerId
  logger: ComponentLogger
}

class SimTransport implements Transport {
  readonly [transportSymbol] = true as const
  readonly [Symbol.toStringTag] = '@parley/sim'
  readonly [serviceCapabilities]: string[] = ['@libp2p/transport']
  readonly #network: SimNetwork
  readonly #components: SimTransportComponents
  readonly #log: Logger

  constructor(components: SimTransportComponents, network: SimNetwork) {
    this.#components = components
    this.#network = network
    this.#log = components.logger.forComponent('parley:sim:transport')
  }

  async dial(ma: Multiaddr, options: DialTransportOptions): Promise<import('@libp2p/interface').Connection> {
    options.signal?.throwIfAborted()
    const address = ma.toString().split('/p2p/')[0]!
    const entry = this.#network.listeners.get(address)
    if (entry === undefined) throw new ConnectionFailedError(`no simulated node listens at ${address}`)
    const local = this.#components.peerId.toString()
    const remote = entry.peerId.toString()
    if (this.#network.blocked(local, remote)) throw new ConnectionFailedError('no route to host (network partition)')
    const dialer = new SimConnection({
      network: this.#network,
      localPeer: local,
      remotePeer: remote,
      remoteAddr: multiaddr(`${address}/p2p/${remote}`),
      direction: 'outbound',
      log: this.#log
    })
    const listener = new SimConnection({
      network: this.#network,
      localPeer: remote,
      remotePeer: local,
      remoteAddr: multiaddr(`${address}-in/p2p/${local}`),
      direction: 'inbound',
      log: this.#log
    })
    dialer.other = listener
    listener.other = dialer
    entry.onConnection(listener)
    try {
      return await options.upgrader.upgradeOutbound(dialer, options)
    } catch (err) {
      dialer.abort(err as Error)
      throw err
    }
  }

  createListener(options: CreateListenerOptions): Listener {
    return new SimListener(this.#network, this.#components.peerId, options)
  }

  listenFilter(multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter((ma) => Memory.exactMatch(ma))
  }

  dialFilter(multiaddrs: Multiaddr[]): Multiaddr[] {
    return this.listenFilter(multiaddrs)
  }
}

/** A libp2p transport factory on this simulated network. */
export function simTransport(network: SimNetwork): (components: SimTransportComponents) => Transport {
  return (components) => new SimTransport(components, network)
}
