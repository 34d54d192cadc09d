/** Real libp2p nodes and messengers on loopback for the in-process network tests. */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Ping, ping } from '@libp2p/ping'
import { multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import { createLibp2p } from 'libp2p'
import { MSG_PROTOCOL, STORE_FILE } from '../../src/constants.ts'
import { createRecordRules, type RecordRules } from '../../src/directory/index.ts'
import { seal } from '../../src/envelope/index.ts'
import { createIdentity, type Identity } from '../../src/identity/index.ts'
import { type BackoffPolicy, createMessenger, type Messenger } from '../../src/messenger/index.ts'
import {
  createMessageClient,
  createParleyNode,
  GuardedDatastore,
  type MessageClient,
  type NodeLimits,
  noopLogger,
  type ParleyLibp2p,
  type ParleyNodeInit
} from '../../src/net/index.ts'
import { createStore, type Store } from '../../src/store/index.ts'

let plainCounter = 0
/** A plain libp2p peer on the memory transport (Noise with its own crypto, Yamux, ping; no DHT). */
export async function plainPeer(): Promise<Libp2p<{ ping: Ping }>> {
  return createLibp2p({
    addresses: { listen: [`/memory/plain-peer-${process.pid}-${++plainCounter}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    services: { ping: ping() },
    logger: noopLogger
  })
}

/** Every test peer is 127.0.0.1: exempt it from libp2p's per-IP inbound rate limit (notes/libp2p-v3.md G1). */
export const LOOPBACK_ALLOW = ['/ip4/127.0.0.1/ipcidr/32']
export const LOOPBACK_TCP = ['/ip4/127.0.0.1/tcp/0']

/** Poll until `check` returns something truthy; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  { timeoutMs = 15_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {}
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export interface TestNode {
  node: ParleyLibp2p
  /** The node's datastore: a GuardedDatastore unless the test passed another one. */
  datastore: Datastore
  /** The same object when it is a GuardedDatastore (honest nodes), to read DHT records back. */
  guard?: GuardedDatastore
  rules: RecordRules
  seed: Uint8Array
  peerId: string
  /** Full listen multiaddrs with /p2p/<id>. */
  addrs: string[]
}

export interface TestNodeInit {
  transport?: 'tcp' | 'memory'
  bootstrap?: string[]
  /** Another datastore (an evil node that runs no guard). */
  datastore?: Datastore
  seed?: Uint8Array
  dhtServer?: boolean
  limits?: NodeLimits
  listen?: string[]
  discovery?: ParleyNodeInit['discovery']
  dht?: ParleyNodeInit['dht']
  connectionTrim?: ParleyNodeInit['connectionTrim']
  lean?: boolean
}

let memoryCounter = 0

/** One started Parley libp2p node on loopback TCP (or the memory transport), mDNS off. */
export async function startNode(init: TestNodeInit = {}): Promise<TestNode> {
  const rules = createRecordRules()
  const guard = init.datastore === undefined ? new GuardedDatastore({ rules }) : undefined
  const datastore = init.datastore ?? guard!
  const seed = init.seed ?? new Uint8Array(randomBytes(32))
  const transport = init.transport ?? 'tcp'
  const listen =
    init.listen ?? (transport === 'memory' ? [`/memory/parley-test-${process.pid}-${++memoryCounter}`] : LOOPBACK_TCP)
  const node = await createParleyNode({
    seed,
    transport,
    listen,
    mdns: false,
    allow: LOOPBACK_ALLOW,
    rules,
    datastore,
    ...(init.bootstrap !== undefined ? { bootstrap: init.bootstrap } : {}),
    ...(init.dhtServer !== undefined ? { dhtServer: init.dhtServer } : {}),
    ...(init.limits !== undefined ? { limits: init.limits } : {}),
    ...(init.discovery !== undefined ? { discovery: init.discovery } : {}),
    ...(init.dht !== undefined ? { dht: init.dht } : {}),
    ...(init.connectionTrim !== undefined ? { connectionTrim: init.connectionTrim } : {}),
    ...(init.lean !== undefined ? { lean: init.lean } : {})
  })
  const peerId = node.peerId.toString()
  return {
    node,
    datastore,
    ...(guard !== undefined ? { guard } : {}),
    rules,
    seed,
    peerId,
    addrs: fullAddrs(node)
  }
}

/** A node's listen multiaddrs as strings ending in /p2p/<id>. */
export function fullAddrs(node: ParleyLibp2p): string[] {
  const self = node.peerId.toString()
  return node.getMultiaddrs().map((ma) => {
    const s = ma.toString()
    return s.includes('/p2p/') ? s : `${s}/p2p/${self}`
  })
}

/** How many peers a node's Kad-DHT routing table holds (not in kad-dht's public interface). */
export function routingTableSize(node: ParleyLibp2p): number {
  return (node.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
}

/**
 * `n` DHT server nodes where every node but the first knows only the first (bootstrap). Resolves
 * once every routing table holds at least `minPeers` peers (default: everyone), found through the DHT.
 */
export async function startDhtNetwork(
  n: number,
  init: Omit<TestNodeInit, 'bootstrap'> & { minPeers?: number; timeoutMs?: number } = {}
): Promise<TestNode[]> {
  const { minPeers = n - 1, timeoutMs = 60_000, ...nodeInit } = init
  const first = await startNode(nodeInit)
  const rest = await Promise.all(
    Array.from({ length: n - 1 }, () => startNode({ ...nodeInit, bootstrap: first.addrs }))
  )
  const nodes = [first, ...rest]
  try {
    await waitForRoutingTables(nodes, minPeers, timeoutMs, first.addrs)
  } catch (err) {
    await stopNodes(nodes)
    throw err
  }
  return nodes
}

/**
 * Wait until every routing table holds `minPeers` peers. Two nudges for a loaded machine: a node
 * left with no connection at all is dialled to `bootstrap` again (@libp2p/bootstrap dials once and
 * never retries), and a node still short of peers looks itself up again (kad-dht's own self-query
 * runs 1 s after start and then only every 5 minutes).
 */
export async function waitForRoutingTables(
  nodes: TestNode[],
  minPeers: number,
  timeoutMs = 60_000,
  bootstrap: string[] = []
): Promise<void> {
  let lastNudge = Date.now()
  const lookingUp = new Set<TestNode>()
  const selfLookup = (t: TestNode): void => {
    if (lookingUp.has(t)) return
    lookingUp.add(t)
    void (async () => {
      for await (const _ of t.node.services.dht.getClosestPeers(t.node.peerId.toMultihash().bytes, {
        signal: AbortSignal.timeout(10_000)
      })) {
        // drain: the lookup adds what it finds to the routing table
      }
    })()
      .catch(() => {})
      .finally(() => lookingUp.delete(t))
  }
  const sizes = (): string => nodes.map((t) => routingTableSize(t.node)).join(',')
  try {
    await waitFor(
      () => {
        if (Date.now() - lastNudge > 3_000) {
          lastNudge = Date.now()
          for (const t of nodes) {
            if (bootstrap.length > 0) redialIfAlone(t.node, bootstrap)
            if (routingTableSize(t.node) < minPeers && t.node.getConnections().length > 0) selfLookup(t)
          }
        }
        return nodes.every((t) => routingTableSize(t.node) >= minPeers)
      },
      `routing tables of ${minPeers} peers`,
      { timeoutMs, intervalMs: 100 }
    )
  } catch (err) {
    throw new Error(`${(err as Error).message} (have ${sizes()})`)
  }
}

/** Dial the bootstrap addresses again if `node` has no connection at all (see waitForRoutingTables). */
export function redialIfAlone(node: ParleyLibp2p, bootstrap: string[]): void {
  if (node.getConnections().length > 0) return
  const self = node.peerId.toString()
  for (const a of bootstrap) {
    if (a.endsWith(`/p2p/${self}`)) continue
    node.dial(multiaddr(a), { signal: AbortSignal.timeout(10_000) }).catch(() => {})
  }
}

export async function stopNodes(nodes: Array<TestNode | undefined>): Promise<void> {
  await Promise.allSettled(nodes.map((t) => t?.node.stop()))
}

/** A temporary folder; `cleanup()` removes it. */
export function tempFolder(prefix = 'parley-net-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix))
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) }
}

export interface TestMessenger {
  messenger: Messenger
  store: Store
  identity: Identity
  /** Its home folder (the store file lives there). */
  dir: string
  peerId: string
  /** The bootstrap addresses it was started with. */
  bootstrap: string[]
  addrs(): string[]
}

export interface TestMessengerInit {
  identity?: Identity
  /** Reuse a home folder (a restart); a new temporary one otherwise (registered for cleanup). */
  dir?: string
  name?: string
  bootstrap?: string[]
  listen?: string[]
  transport?: 'tcp' | 'memory'
  rateLimit?: { perSecond: number; burst: number }
  backoff?: BackoffPolicy
  giveUpMs?: number
  limits?: NodeLimits
  /** MessengerInit's, to measure or test the path without it. */
  askRecipient?: boolean
  /** MessengerInit's, to measure or test the path without it. */
  askKnownRecipientAtOnce?: boolean
}

/**
 * Messengers on loopback with their stores in temporary folders. `stopAll()` stops every
 * messenger started through this fleet, closes the stores and removes the folders.
 */
export function messengerFleet() {
  const started: TestMessenger[] = []
  const folders: Array<{ cleanup(): void }> = []
  const nodes: TestNode[] = []

  return {
    async start(init: TestMessengerInit = {}): Promise<TestMessenger> {
      let dir = init.dir
      if (dir === undefined) {
        const f = tempFolder('parley-messenger-')
        folders.push(f)
        dir = f.path
      }
      const identity = init.identity ?? createIdentity()
      const store = createStore({
        path: join(dir, STORE_FILE),
        ...(init.giveUpMs !== undefined ? { giveUpMs: init.giveUpMs } : {})
      })
      let messenger: Messenger
      try {
        messenger = await createMessenger({
          identity,
          store,
          mdns: false,
          allow: LOOPBACK_ALLOW,
          listen:
            init.listen ??
            (init.transport === 'memory' ? [`/memory/parley-m-${process.pid}-${++memoryCounter}`] : LOOPBACK_TCP),
          ...(init.transport !== undefined ? { transport: init.transport } : {}),
          ...(init.name !== undefined ? { name: init.name } : {}),
          ...(init.bootstrap !== undefined ? { bootstrap: init.bootstrap } : {}),
          ...(init.rateLimit !== undefined ? { rateLimit: init.rateLimit } : {}),
          ...(init.backoff !== undefined ? { backoff: init.backoff } : {}),
          ...(init.limits !== undefined ? { limits: init.limits } : {}),
          ...(init.askRecipient !== undefined ? { askRecipient: init.askRecipient } : {}),
          ...(init.askKnownRecipientAtOnce !== undefined
            ? { askKnownRecipientAtOnce: init.askKnownRecipientAtOnce }
            : {})
        })
        await messenger.start()
      } catch (err) {
        store.close()
        throw err
      }
      const t: TestMessenger = {
        messenger,
        store,
        identity,
        dir,
        peerId: identity.peerId,
        bootstrap: init.bootstrap ?? [],
        addrs: () => messenger.addresses()
      }
      started.push(t)
      return t
    },
    /** A plain node in the same cleanup (a bootstrap / DHT server). */
    async node(init: TestNodeInit = {}): Promise<TestNode> {
      const t = await startNode(init)
      nodes.push(t)
      return t
    },
    async dhtNetwork(n: number, init: Parameters<typeof startDhtNetwork>[1] = {}): Promise<TestNode[]> {
      const net = await startDhtNetwork(n, init)
      nodes.push(...net)
      return net
    },
    /** Stop one messenger and close its store (its folder stays for a restart). */
    async stop(t: TestMessenger): Promise<void> {
      await t.messenger.stop()
      t.store.close()
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled(started.map((t) => t.messenger.stop()))
      for (const t of started) t.store.close()
      started.length = 0
      await stopNodes(nodes)
      nodes.length = 0
      for (const f of folders.splice(0)) f.cleanup()
    }
  }
}

export type MessengerFleet = ReturnType<typeof messengerFleet>

/** Whether `from` has a connection to `to`. */
export function connectedTo(from: TestMessenger, to: TestMessenger): boolean {
  return from.messenger.node.getConnections(peerIdFromString(to.peerId)).length > 0
}

/**
 * Close from's connections to `to` and make from forget it (addresses and tags), so nothing but the
 * code under test connects them again: libp2p redials a peer tagged keep-alive at once, and kad-dht
 * tags its closest peers so. Throws if someone connects them again within 300 ms.
 */
export async function partFrom(from: TestMessenger, to: TestMessenger): Promise<void> {
  const id = peerIdFromString(to.peerId)
  const peer = await from.messenger.node.peerStore.get(id)
  const tags = Object.fromEntries([...peer.tags.keys()].map((name) => [name, undefined]))
  await from.messenger.node.peerStore.merge(id, { tags })
  await from.messenger.node.hangUp(id)
  await waitFor(() => !connectedTo(from, to), 'the two apart')
  await from.messenger.node.peerStore.delete(id)
  await sleep(300)
  if (connectedTo(from, to)) throw new Error(`${from.peerId} was connected to ${to.peerId} again by someone else`)
}

/**
 * Wait until a messenger's DHT knows `minPeers` peers, then publish its profile until at least one
 * server stored it (a profile published before the routing table fills reaches nobody).
 */
export async function goOnline(t: TestMessenger, minPeers = 1): Promise<void> {
  let lastRedial = Date.now()
  await waitFor(
    () => {
      if (Date.now() - lastRedial > 3_000) {
        lastRedial = Date.now()
        redialIfAlone(t.messenger.node, t.bootstrap)
      }
      return routingTableSize(t.messenger.node) >= minPeers
    },
    `${minPeers} DHT peers for ${t.peerId}`,
    { timeoutMs: 30_000 }
  )
  await waitFor(async () => (await t.messenger.publishProfile()).acks > 0, `a stored profile for ${t.peerId}`, {
    intervalMs: 200
  })
}

/** A message client on `from`'s node that dials `to` at its listen address (no directory involved). */
export function directClient(from: ParleyLibp2p, to: () => string[]): MessageClient {
  return createMessageClient({
    openStream: (_peerId, signal) => from.dialProtocol(multiaddr(to()[0]!), MSG_PROTOCOL, { signal })
  })
}

/** Seal a text from `sender` to `recipient` with the recipient's current encryption key. */
export function sealText(
  sender: Identity,
  recipient: Pick<Identity, 'peerId' | 'currentEncryptionKey'>,
  text: string,
  options: { createdAt?: number; to?: string } = {}
): { id: string; bytes: Uint8Array } {
  const sealed = seal({
    sender,
    recipient: options.to ?? recipient.peerId,
    encryptionKey: recipient.currentEncryptionKey(),
    body: new TextEncoder().encode(text),
    createdAt: options.createdAt ?? Date.now()
  })
  return { id: Buffer.from(sealed.messageId).toString('hex'), bytes: sealed.bytes }
}

/** Incoming messages a store holds (any sender). */
export function incomingCount(store: Store, from?: string): number {
  return store
    .listMessages({ limit: 1000, ...(from !== undefined ? { peer: from } : {}) })
    .filter((m) => m.direction === 'in').length
}

/** Wait until `node` has no connection left to `peerId` (a stopped peer's close takes a few ms to arrive). */
export async function waitDisconnected(node: ParleyLibp2p, peerId: string): Promise<void> {
  await waitFor(
    () => node.getConnections().every((c) => c.remotePeer.toString() !== peerId),
    `the connection to ${peerId} to close`
  )
}

/**
 * Make `node` refuse inbound connections from `peerId` (as if it sat behind a NAT): it can still
 * dial out, but the peer cannot connect to it, so `node` has to find the peer itself. Swaps a
 * method of libp2p's connection gater, which is read on every connection.
 */
export function refuseInboundFrom(node: ParleyLibp2p, peerId: string): void {
  const gater = (node as unknown as { components: { connectionGater: Record<string, unknown> } }).components
    .connectionGater
  const previous = gater.denyInboundEncryptedConnection as ((peer: { toString(): string }) => unknown) | undefined
  gater.denyInboundEncryptedConnection = async (peer: { toString(): string }) =>
    peer.toString() === peerId || (await previous?.call(gater, peer)) === true
}
