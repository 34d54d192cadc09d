import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { Key } from 'interface-datastore'
import { MSG_PROTOCOL } from '../constants.ts'
import { createRecordRules, type RecordRules } from '../directory/index.ts'
import { createIdentity, type Identity } from '../identity/index.ts'
import { createMessenger, type Messenger, type MessengerInit } from '../messenger/index.ts'
import { GuardedDatastore } from '../net/index.ts'
import { statusRecordKind, type Trust } from '../registry/index.ts'
import { createStore, type Store } from '../store/index.ts'
import { seedNodeOptions, simulationStoreOptions } from './node-preset.ts'
import { deriveBytes } from './rng.ts'
import { type LinkConditions, SimNetwork, simTransport } from './simnet.ts'
import { simTcpTransport } from './simtcp.ts'

/** A DHT server that pretends to store records and keeps none (a misbehaving node). */
class DroppingDatastore extends GuardedDatastore {
  override async put(key: Key, val: Uint8Array): Promise<Key> {
    if (key.toString().startsWith('/dht/record/')) return key
    return super.put(key, val)
  }
}

export interface SimNode {
  index: number
  peerId: string
  identity: Identity
  store: Store
  messenger: Messenger | undefined
  /** Profile puts made by this node's earlier runs (a restart starts a new directory). */
  publishesBefore: number
  misbehaving: boolean
  /** Its listen address (memory or TCP), with /p2p/. */
  address?: string
}

export interface ClusterInit {
  seed: number | string
  /** Indices of the nodes this cluster runs (all of them in one process; a share with workers). */
  indices: number[]
  transport: 'memory' | 'tcp'
  link: LinkConditions
  misbehaving: ReadonlySet<number>
  /** The seed nodes: every joiner's first contact (see seedNodeOptions). */
  seeds: ReadonlySet<number>
  /** Settings for every node's messenger (the simulation preset). */
  nodeOptions: Partial<MessengerInit>
  /** Called for every message a node commits to its inbox. */
  onDelivered(index: number, id: string, at: number): void
  /** Trust and attestation for the verified-business part of a scenario. */
  trustFor?(index: number): Trust | undefined
  attestationFor?(index: number): Uint8Array | undefined
  rng: import('./rng.ts').Rng
}

/** The node identity of index `i`: derived from the seed, so the same seed gives the same PeerIds. */
export function simIdentity(seed: number | string, index: number): Identity {
  return createIdentity({ seed: deriveBytes(seed, `node/${index}`), now: 0 })
}

const peerIdCache = new Map<string, string>()
/** The PeerId of node i of a run, wherever it runs (derived from the seed). */
export function peerIdOfNode(seed: number | string, index: number): string {
  const key = `${String(seed)}/${index}`
  let p = peerIdCache.get(key)
  if (p === undefined) {
    p = simIdentity(seed, index).peerId
    peerIdCache.set(key, p)
  }
  return p
}

/**
 * The nodes of a simulation that live in this process: real messengers (the code `parley start`
 * runs) on the simulated network, each with its own in-memory store that survives a restart.
 */
export function createCluster(init: ClusterInit) {
  const network = new SimNetwork({ conditions: init.link, rng: init.rng })
  const rules: RecordRules = createRecordRules({ status: statusRecordKind })
  const nodes = new Map<number, SimNode>()
  /** Partition groups by PeerId, for the connection gater on TCP. */
  let groups: Map<string, number> | undefined

  for (const index of init.indices) {
    const identity = simIdentity(init.seed, index)
    nodes.set(index, {
      index,
      peerId: identity.peerId,
      identity,
      store: createStore({ path: ':memory:', ...simulationStoreOptions() }),
      messenger: undefined,
      publishesBefore: 0,
      misbehaving: init.misbehaving.has(index)
    })
  }

  const blocked = (a: string, b: string): boolean => {
    if (groups === undefined) return false
    const ga = groups.get(a)
    const gb = groups.get(b)
    return ga !== undefined && gb !== undefined && ga !== gb
  }

  const gaterFor = (self: string): ConnectionGater => ({
    denyDialPeer: async (peer: PeerId) => blocked(self, peer.toString()),
    denyInboundEncryptedConnection: async (peer: PeerId) => blocked(self, peer.toString()),
    denyOutboundEncryptedConnection: async (peer: PeerId) => blocked(self, peer.toString())
  })

  /** Start node `index`; `publish: false` holds its profile back until its directory is started. */
  const start = async (index: number, bootstrap: string[], options: { publish?: boolean } = {}): Promise<SimNode> => {
    const node = nodes.get(index)!
    if (node.messenger !== undefined) return node
    const trust = init.trustFor?.(index)
    const attestation = init.attestationFor?.(index)
    const datastore = node.misbehaving ? new DroppingDatastore({ rules }) : new GuardedDatastore({ rules })
    const messenger = await createMessenger({
      ...(init.seeds.has(index) ? seedNodeOptions(init.nodeOptions) : init.nodeOptions),
      identity: node.identity,
      store: node.store,
      name: `n${index}`,
      datastore,
      bootstrap,
      mdns: false,
      ...(options.publish === false ? { publishOnStart: false } : {}),
      ...(trust !== undefined ? { trust } : {}),
      ...(attestation !== undefined ? { attestation } : {}),
      ...(init.transport === 'memory'
        ? { transport: 'memory' as const, transports: [simTransport(network)], listen: [`/memory/sim-${index}`] }
        : {
            transport: 'tcp' as const,
            transports: [simTcpTransport(network)],
            listen: ['/ip4/127.0.0.1/tcp/0'],
            allow: ['/ip4/127.0.0.1/ipcidr/32'],
            connectionGater: gaterFor(node.peerId)
          })
    })
    messenger.addEventListener('message-received', (evt) => {
      // the commit time, not the event's: the event waits for the sender's badge to be checked
      const committed = evt.detail.message.receivedAt
      init.onDelivered(index, evt.detail.message.id, committed === null ? Date.now() : Date.parse(committed))
    })
    await messenger.start()
    if (node.misbehaving) {
      // a black hole: takes every message and never acks it
      await messenger.node.handle(
        MSG_PROTOCOL,
        async (stream) => {
          for await (const _ of stream) {
            // read and drop
          }
        },
        { force: true, maxInboundStreams: 4, maxOutboundStreams: 4 }
      )
    }
    node.messenger = messenger
    node.address = messenger.addresses()[0]
    return node
  }

  return {
    network,
    nodes,
    start,
    /** Stop a node, keeping its store (churn). */
    async stop(index: number): Promise<void> {
      const node = nodes.get(index)
      if (node?.messenger === undefined) return
      const m = node.messenger
      node.messenger = undefined
      node.publishesBefore += m.directory.publishes
      await m.stop()
    },
    /** Cut the network into groups by node index (undefined heals it). */
    partition(byIndex: number[] | undefined): void {
      if (byIndex === undefined) {
        groups = undefined
        network.setPartition(undefined)
        return
      }
      const map = new Map<string, number>()
      // every node of the run, including those in other worker processes (the gater needs them)
      byIndex.forEach((group, i) => {
        map.set(peerIdOfNode(init.seed, i), group)
      })
      groups = map
      network.setPartition(map)
      if (init.transport === 'tcp') {
        for (const node of nodes.values()) {
          for (const c of node.messenger?.node.getConnections() ?? []) {
            if (blocked(node.peerId, c.remotePeer.toString())) c.abort(new Error('network partition'))
          }
        }
      }
    },
    setLink(conditions: LinkConditions): void {
      network.conditions = { ...conditions }
    },
    async stopAll(): Promise<void> {
      await Promise.allSettled(
        [...nodes.values()].map(async (n) => {
          const m = n.messenger
          n.messenger = undefined
          await m?.stop()
        })
      )
      for (const n of nodes.values()) n.store.close()
    }
  }
}

export type Cluster = ReturnType<typeof createCluster>
