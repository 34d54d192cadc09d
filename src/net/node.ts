import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { ComponentLogger, ConnectionGater, PeerDiscovery, PeerId, PrivateKey, Transport } from '@libp2p/interface'
import { type KadDHT, type KadDHTInit, kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { memory } from '@libp2p/memory'
import { type Ping, ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import { createLibp2p, type Libp2p } from 'libp2p'
import { DHT_PROTOCOL } from '../constants.ts'
import type { RecordRules } from '../directory/index.ts'
import { createRecordRules } from '../directory/index.ts'
import { type NodeLimits, USER_LIMITS } from './limits.ts'
import { noiseCrypto } from './noise-crypto.ts'
import { ownPeerId } from './own-memory.ts'
import { GuardedDatastore } from './record-guard.ts'
import { type ConnectionTrimInit, startConnectionTrim } from './trim.ts'

export type ParleyServices = {
  identify: ReturnType<ReturnType<typeof identify>>
  ping: Ping
  dht: KadDHT
}
export type ParleyLibp2p = Libp2p<ParleyServices>

export interface ParleyNodeInit {
  /** The node's Ed25519 identity seed: its libp2p key, so its PeerId is the user's address. */
  seed: Uint8Array
  /** Listen multiaddrs. @default TCP and WS on all interfaces, ports chosen by the OS */
  listen?: string[]
  /** Multiaddrs (with /p2p/<id>) dialled at start to join the network. */
  bootstrap?: string[]
  /** Find peers on the LAN. @default true */
  mdns?: boolean
  /** More peer-discovery sources: like mDNS's, the peers they report are dialled while the node has few connections. */
  // biome-ignore lint/suspicious/noExplicitAny: libp2p's discovery factories take different component sets
  discovery?: Array<(components: any) => PeerDiscovery>
  /** `tcp` (TCP + WebSockets, production) or `memory` (simulation, tests). @default 'tcp' */
  transport?: 'tcp' | 'memory'
  /**
   * Transports to use instead of the built-in ones (the simulator's network with its link model).
   * `transport` still picks the default listen addresses.
   */
  // biome-ignore lint/suspicious/noExplicitAny: libp2p transport factories take their own component sets
  transports?: Array<(components: any) => Transport>
  /** Refuse connections (the simulator's partitions on TCP). */
  connectionGater?: ConnectionGater
  /** Extra latency per buffer on the memory transport (simulation). */
  memoryLatencyMs?: number
  /** @default USER_LIMITS */
  limits?: NodeLimits
  /** Record rules for `/parley/` keys (validators, selectors, the stale-PUT guard). @default createRecordRules() */
  rules?: RecordRules
  /** Serve the DHT to others (false = client only, e.g. a phone). @default true */
  dhtServer?: boolean
  /**
   * Keep private and loopback addresses in the DHT (LAN, tests, simulation). On the internet a
   * node should advertise only public addresses. @default true
   */
  allowPrivateAddresses?: boolean
  /** IPs/CIDRs exempt from the per-IP inbound connection rate limit (loopback tests). */
  allow?: string[]
  /** Simulation: no connection monitor or yamux keep-alive pings, faster DHT self-queries, no-op logger. */
  lean?: boolean
  /** Kad-DHT settings for simulations (src/sim/node-preset.ts); unset ones keep kad-dht's defaults. */
  dht?: DhtTuning
  /** Close idle connections above a watermark (simulation: src/sim/node-preset.ts). @default off */
  connectionTrim?: ConnectionTrimInit
  datastore?: Datastore
  logger?: ComponentLogger
  /** Start listening at once. @default true */
  start?: boolean
}

/** The Kad-DHT knobs a simulation may turn (each one's reason is in src/sim/node-preset.ts). */
export interface DhtTuning
  extends Pick<
    KadDHTInit,
    | 'kBucketSize'
    | 'prefixLength'
    | 'alpha'
    | 'disjointPaths'
    | 'querySelfInterval'
    | 'initialQuerySelfInterval'
    | 'allowQueryWithZeroPeers'
    | 'pingNewContactConcurrency'
    | 'pingNewContactMaxQueueSize'
    | 'pingOldContactConcurrency'
    | 'pingOldContactMaxQueueSize'
    | 'networkDialTimeout'
    | 'pingNewContactTimeout'
    | 'pingOldContactTimeout'
  > {
  /**
   * kad-dht's routing-table refresh: a random-key lookup for every common-prefix length, at start
   * and every 5 minutes. kad-dht has no option for it, so `false` replaces its start hook. @default true
   */
  tableRefresh?: boolean
  /**
   * kad-dht pings (and so dials) every peer a DHT reply names before it enters the routing table.
   * `false` takes named peers in unpinged; a full bucket still pings its oldest contacts before
   * evicting one. kad-dht has no option for it either. @default true
   */
  verifyNewContacts?: boolean
  /**
   * How often kad-dht recomputes which peers are its 20 closest and tags them keep-alive (its
   * default 5 s). kad-dht has no option for it either, so this sets its tagger's interval.
   */
  closestPeersTagIntervalMs?: number
}

const NOOP = Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {}, newScope: () => NOOP_LOGGER })
const NOOP_LOGGER = Object.assign(() => {}, NOOP) as unknown as ReturnType<ComponentLogger['forComponent']>
/** A logger that does nothing, not even check whether debug is on (simulation of many nodes). */
export const noopLogger: ComponentLogger = { forComponent: () => NOOP_LOGGER }

/** Below this many connections a node dials the peers discovery reports to it. */
const DISCOVERY_DIAL_TARGET = 8

/** The libp2p key of an identity seed. */
export async function libp2pPrivateKey(seed: Uint8Array): Promise<PrivateKey> {
  return generateKeyPairFromSeed('Ed25519', seed)
}

/** Build a Parley libp2p node: transports, Noise, Yamux, Kad-DHT on /parley/kad/1.0.0, identify, ping, discovery. */
export async function createParleyNode(init: ParleyNodeInit): Promise<ParleyLibp2p> {
  const limits = init.limits ?? USER_LIMITS
  const rules = init.rules ?? createRecordRules()
  const transport = init.transport ?? 'tcp'
  const listen = init.listen ?? (transport === 'memory' ? [] : ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws'])
  // biome-ignore lint/suspicious/noExplicitAny: libp2p's discovery factories take different component sets
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  // @libp2p/bootstrap only accepts IP/DNS multiaddrs; memory and simulated addresses are dialled at start instead
  const dialAtStart = transport === 'tcp' && init.transports === undefined ? [] : (init.bootstrap ?? [])
  // peers mDNS (and init.discovery) report are dialled (below); peers the DHT names in replies are not
  let dialDiscovered: (id: PeerId) => void = () => {}
  // biome-ignore lint/suspicious/noExplicitAny: as above
  const dialling = (factory: (components: any) => PeerDiscovery) => (components: any) => {
    const discovery = factory(components)
    discovery.addEventListener('peer', (evt) => dialDiscovered(evt.detail.id))
    return discovery
  }
  if (init.bootstrap !== undefined && init.bootstrap.length > 0 && dialAtStart.length === 0) {
    // it dials the peers of its list itself
    peerDiscovery.push(bootstrap({ list: init.bootstrap, timeout: 0 }))
  }
  if (init.mdns !== false && transport === 'tcp') peerDiscovery.push(dialling(mdns({ interval: 10_000 })))
  for (const source of init.discovery ?? []) peerDiscovery.push(dialling(source))

  const { tableRefresh: _, verifyNewContacts: __, closestPeersTagIntervalMs: ___, ...tuning } = init.dht ?? {}
  const streamOptions = {
    maxReadBufferLength: limits.streamMaxReadBuffer,
    maxWriteBufferLength: limits.streamMaxWriteBuffer,
    inactivityTimeout: limits.streamInactivityTimeout
  }
  const node = await createLibp2p({
    privateKey: await libp2pPrivateKey(init.seed),
    datastore: init.datastore ?? new GuardedDatastore({ rules }),
    addresses: { listen },
    ...(init.connectionGater !== undefined ? { connectionGater: init.connectionGater } : {}),
    transports:
      init.transports !== undefined
        ? init.transports
        : transport === 'memory'
          ? [memory(init.memoryLatencyMs !== undefined ? { latency: init.memoryLatencyMs } : {})]
          : [
              tcp({
                maxConnections: limits.tcpMaxConnections,
                inboundSocketInactivityTimeout: limits.tcpSocketInactivityTimeout,
                outboundSocketInactivityTimeout: limits.tcpSocketInactivityTimeout
              }),
              webSockets()
            ],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [
      yamux({
        maxInboundStreams: limits.muxerMaxInboundStreams,
        maxOutboundStreams: limits.muxerMaxOutboundStreams,
        streamOptions,
        // yamux pings every connection every 30 s and never acts on a missed answer (it only logs
        // it); in a simulation those pings are load and traffic that measure nothing (node-preset.ts)
        ...(init.lean === true ? { enableKeepAlive: false } : {})
      })
    ],
    connectionManager: {
      maxConnections: limits.maxConnections,
      maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
      inboundConnectionThreshold: limits.inboundConnectionThreshold,
      maxParallelDials: limits.maxParallelDials,
      maxDialQueueLength: limits.maxDialQueueLength,
      maxPeerAddrsToDial: limits.maxPeerAddrsToDial,
      dialTimeout: limits.dialTimeout,
      inboundUpgradeTimeout: limits.inboundUpgradeTimeout,
      inboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeout,
      outboundStreamProtocolNegotiationTimeout: limits.protocolNegotiationTimeout,
      ...(init.allow !== undefined ? { allow: init.allow } : {})
    },
    // A saturating flood can starve the monitor's pings, and it then aborts a healthy connection
    // (notes/baselines.md: half of 60 s flood runs). Pings still run, but a miss no longer kills.
    connectionMonitor: init.lean === true ? { enabled: false } : { abortConnectionOnPingFailure: false },
    peerDiscovery,
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: init.dhtServer === false,
        peerInfoMapper: init.allowPrivateAddresses === false ? removePrivateAddressesMapper : passthroughMapper,
        validators: rules.dhtValidators,
        selectors: rules.dhtSelectors,
        ...(init.lean === true ? { initialQuerySelfInterval: 1_000, querySelfInterval: 10 * 60_000 } : {}),
        ...tuning
      })
    },
    ...(init.logger !== undefined ? { logger: init.logger } : init.lean === true ? { logger: noopLogger } : {}),
    start: false
  })
  // mDNS only reports peers; dial them while we know few, so a LAN needs no
  // configuration. Dials still in flight count: a burst of reports would otherwise dial them all.
  // Peers the DHT names in its replies are not dialled here: a responder could point our dials
  // anywhere, and lookups query the peers they hear of anyway.
  const discoveryDials = new Set<string>()
  dialDiscovered = (id) => {
    if (node.status === 'stopping' || node.status === 'stopped') return
    if (node.getConnections().length + discoveryDials.size >= DISCOVERY_DIAL_TARGET) return
    const key = id.toString()
    if (id.equals(node.peerId) || discoveryDials.has(key) || node.getConnections(id).length > 0) return
    discoveryDials.add(key)
    node
      .dial(id, { signal: AbortSignal.timeout(limits.dialTimeout) })
      .catch(() => {})
      .finally(() => discoveryDials.delete(key))
  }
  if (init.dht?.tableRefresh === false) disableTableRefresh(node.services.dht)
  if (init.dht?.verifyNewContacts === false) trustNewContacts(node.services.dht)
  if (init.dht?.closestPeersTagIntervalMs !== undefined)
    setClosestPeersTagInterval(node.services.dht, init.dht.closestPeersTagIntervalMs)
  refreshAnsweredContacts(node.services.dht)
  ownContactIds(node.services.dht)
  if (init.start ?? true) await node.start()

  if (dialAtStart.length > 0) {
    const dialBootstrap = (): void => {
      for (const a of dialAtStart) {
        node.dial(multiaddr(a), { signal: AbortSignal.timeout(limits.dialTimeout) }).catch(() => {})
      }
    }
    if (node.status === 'started') dialBootstrap()
    else node.addEventListener('start', dialBootstrap, { once: true })
  }

  // A node that lost every connection (or whose first bootstrap dials failed) is alone in the
  // world: dial the bootstrap list again, every 30 s, until it has a connection.
  if (init.bootstrap !== undefined && init.bootstrap.length > 0) {
    const list = init.bootstrap
    const rejoin = setInterval(() => {
      if (node.status !== 'started' || node.getConnections().length > 0) return
      for (const a of list) node.dial(multiaddr(a), { signal: AbortSignal.timeout(limits.dialTimeout) }).catch(() => {})
    }, 30_000)
    rejoin.unref()
    node.addEventListener('stop', () => clearInterval(rejoin), { once: true })
  }

  if (init.connectionTrim !== undefined) {
    const trim = init.connectionTrim
    let stopTrim: (() => void) | undefined
    const begin = (): void => {
      stopTrim ??= startConnectionTrim(node, trim)
    }
    if (node.status === 'started') begin()
    node.addEventListener('start', begin)
    node.addEventListener('stop', () => {
      stopTrim?.()
      stopTrim = undefined
    })
  }

  return node as ParleyLibp2p
}

/** The DHT settings a node runs with, as read back from its kad-dht. */
export interface DhtSettings {
  alpha: number
  disjointPaths: number
  verifyNewContacts: boolean
}

/** Accepts every contact: stands in for kad-dht's ping when `verifyNewContacts` is false. */
const trustEveryContact = async (): Promise<boolean> => true

/** How many contacts the node's DHT routing table holds (0 if kad-dht's internals moved). */
export function routingTableSize(node: ParleyLibp2p): number {
  const size = (node.services.dht as unknown as { routingTable?: { size?: unknown } }).routingTable?.size
  return typeof size === 'number' ? size : 0
}

/**
 * Read the DHT settings from the running kad-dht itself (not from the options it was given), so a
 * report says what the nodes actually used. Throws if kad-dht's internals moved.
 */
export function dhtSettings(node: ParleyLibp2p): DhtSettings {
  const dht = node.services.dht as unknown as {
    queryManager?: { alpha?: unknown; disjointPaths?: unknown }
    routingTable?: { kb?: { verify?: unknown } }
  }
  const { alpha, disjointPaths } = dht.queryManager ?? {}
  const verify = dht.routingTable?.kb?.verify
  if (typeof alpha !== 'number' || typeof disjointPaths !== 'number' || typeof verify !== 'function') {
    throw new Error(
      'kad-dht has no queryManager.alpha/disjointPaths or routingTable.kb.verify: cannot read its settings'
    )
  }
  return { alpha, disjointPaths, verifyNewContacts: verify !== trustEveryContact }
}

/** Let peers named in DHT replies into the routing table without a ping first (see DhtTuning). */
function trustNewContacts(dht: KadDHT): void {
  const table = (dht as unknown as { routingTable?: { kb?: { verify?: unknown } } }).routingTable
  if (table?.kb === undefined || typeof table.kb.verify !== 'function') {
    throw new Error('kad-dht has no routingTable.kb.verify: cannot turn new-contact pings off')
  }
  table.kb.verify = trustEveryContact
}

/** A routing-table entry, as kad-dht's k-bucket holds it. */
interface BucketContact {
  lastPing: number
}

/**
 * A full bucket pings its oldest contacts before it takes a new one, and drops those that do not
 * answer (Kademlia's eviction rule). kad-dht does not mark the ones that answered as seen, so once
 * its 10-minute threshold has passed they are pinged again at the next contact the bucket meets,
 * and the next: every peer a DHT reply names costs up to three pings (each a dial and identify when
 * no connection is open). Kademlia counts an answer as contact, so this does: a contact that
 * answered is not pinged again for another 10 minutes.
 */
function refreshAnsweredContacts(dht: KadDHT): void {
  type Ping = (contacts: BucketContact[], options?: unknown) => AsyncGenerator<BucketContact>
  const kb = (dht as unknown as { routingTable?: { kb?: { ping?: Ping } } }).routingTable?.kb
  const ping = kb?.ping
  if (kb === undefined || typeof ping !== 'function') {
    throw new Error('kad-dht has no routingTable.kb.ping: cannot mark answered contacts as seen')
  }
  kb.ping = async function* (contacts, options) {
    const evicted = new Set<BucketContact>()
    for await (const contact of ping(contacts, options)) {
      evicted.add(contact)
      yield contact
    }
    // every ping has ended (a failed one was yielded): the others answered
    const now = Date.now()
    for (const contact of contacts) if (!evicted.has(contact)) contact.lastPing = now
  }
}

/**
 * A routing-table contact keeps a PeerId over bytes of its own (`ownPeerId`): one decoded from a
 * DHT reply or a handshake is a view into that message, and a contact can stay for hours. Done as
 * a contact enters a bucket (kad-dht's `onAdd`, right after the push), not at every `add`: kad-dht
 * offers the table every peer each DHT reply names, and most are there already or turned away.
 */
function ownContactIds(dht: KadDHT): void {
  type OnAdd = (contact: { peerId: PeerId }, ...rest: unknown[]) => Promise<void>
  const kb = (dht as unknown as { routingTable?: { kb?: { onAdd?: OnAdd } } }).routingTable?.kb
  const onAdd = kb?.onAdd
  if (kb === undefined || typeof onAdd !== 'function') {
    throw new Error('kad-dht has no routingTable.kb.onAdd: cannot give contacts their own PeerIds')
  }
  kb.onAdd = (contact, ...rest) => {
    contact.peerId = ownPeerId(contact.peerId)
    return onAdd(contact, ...rest)
  }
}

/** Set how often kad-dht re-tags its closest peers, before the node starts (see DhtTuning). */
function setClosestPeersTagInterval(dht: KadDHT, ms: number): void {
  if (!(ms >= 1_000)) throw new RangeError(`closestPeersTagIntervalMs must be at least 1000, not ${ms}`)
  const tagger = (dht as unknown as { routingTable?: { closestPeerTagger?: { refreshInterval?: unknown } } })
    .routingTable?.closestPeerTagger
  if (tagger === undefined || typeof tagger.refreshInterval !== 'number') {
    throw new Error('kad-dht has no routingTable.closestPeerTagger.refreshInterval: cannot set how often it tags')
  }
  tagger.refreshInterval = ms
}

/** Stop kad-dht's routing-table refresh before the node starts (it has no option for it). */
function disableTableRefresh(dht: KadDHT): void {
  const refresh = (dht as unknown as { routingTableRefresh?: { afterStart?: unknown } }).routingTableRefresh
  // fail loudly if kad-dht's internals moved, rather than silently simulating something else
  if (refresh === undefined || typeof refresh.afterStart !== 'function') {
    throw new Error('kad-dht has no routingTableRefresh.afterStart: cannot turn the table refresh off')
  }
  refresh.afterStart = () => {}
}
