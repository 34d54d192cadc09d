/**
 * What the peer store's reads and writes cost. A Kad-DHT server reads it 21 times for every request
 * it answers (the key's peer and the 20 closest peers' addresses), the asking node merges the 20
 * peers of every reply into it, and a dial reads it once.
 *
 *   npm run bench:peer-store -- [peers] [ops]        (default 300 peers, 20,000 operations a round)
 *
 * One libp2p peer store (libp2p's own, in a started node) holding `peers` peers with an address
 * and five protocols each. Rounds of `ops` operations of each kind, alternating, in this process:
 *  - baseline: the way @libp2p/peer-store 12.0.28 does it unpatched, each under a mortice lock made
 *    for the operation and dropped after it (a read under a read lock; a merge under a write lock);
 *  - parley:   `peerStore.get` and `peerStore.merge` with Parley's patch (a small per-peer lock in
 *    place of mortice; a read of a peer no one writes takes none).
 * The merges change nothing (the same address again), as most merges of a DHT reply's peers do.
 * Reported: microseconds per operation, medians of 5 rounds, and the ratio baseline / parley.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import mortice from 'mortice'
import { noopLogger } from '../src/net/index.ts'
import { tuneSimulationProcess } from '../src/sim/node-preset.ts'

const PEERS = Number(process.argv[2] ?? '300')
const OPS = Number(process.argv[3] ?? '20000')
const ROUNDS = 5
const PROTOCOLS = [
  '/ipfs/id/1.0.0',
  '/ipfs/ping/1.0.0',
  '/parley/kad/1.0.0',
  '/parley/msg/1.0.0',
  '/parley/profile/1.0.0'
]

/** The peer store's inner store, to use it under mortice locks the way the unpatched package does. */
interface InnerStore {
  load(peerId: PeerId): Promise<unknown>
  merge(peerId: PeerId, data: { multiaddrs: Multiaddr[] }): Promise<unknown>
}

tuneSimulationProcess() // as in a simulation: Errors without stacks, the capped heap
const node = await createLibp2p({
  addresses: { listen: [`/memory/bench-peer-store-${process.pid}`] },
  transports: [memory()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionMonitor: { enabled: false },
  logger: noopLogger
})
const peerStore = node.peerStore
const inner = (peerStore as unknown as { store: InnerStore }).store
const peers: PeerId[] = []
const addresses: Multiaddr[] = []
for (let i = 0; i < PEERS; i++) {
  peers.push(peerIdFromPrivateKey(await generateKeyPair('Ed25519')))
  addresses.push(multiaddr(`/memory/bench-peer-store-${i}`))
  await peerStore.merge(peers[i]!, { multiaddrs: [addresses[i]!], protocols: PROTOCOLS })
}

/** Microseconds per operation over OPS operations, peer after peer (op gets the peer's index). */
async function timed(op: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now()
  for (let k = 0; k < OPS; k++) await op(k % PEERS)
  return ((performance.now() - started) / OPS) * 1000
}

/** An operation under a mortice lock made for it, as @libp2p/peer-store 12.0.28 takes one. */
async function underMortice<T>(id: PeerId, write: boolean, op: () => Promise<T>): Promise<T> {
  const lock = mortice({ name: id.toString(), singleProcess: true })
  const release = await (write ? lock.writeLock() : lock.readLock())
  try {
    return await op()
  } finally {
    release()
    lock.finalize()
  }
}
const kinds = {
  'read, baseline': (i: number) => underMortice(peers[i]!, false, () => inner.load(peers[i]!)),
  'read, parley': (i: number) => peerStore.get(peers[i]!),
  'merge, baseline': (i: number) =>
    underMortice(peers[i]!, true, () => inner.merge(peers[i]!, { multiaddrs: [addresses[i]!] })),
  'merge, parley': (i: number) => peerStore.merge(peers[i]!, { multiaddrs: [addresses[i]!] })
}
const runs = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]))
await timed(kinds['read, parley']) // warm up
for (let r = 0; r < ROUNDS; r++) {
  for (const [kind, op] of Object.entries(kinds)) runs.get(kind)!.push(await timed(op))
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const us = (kind: string): number => median(runs.get(kind)!)
console.log(`peer store of ${PEERS} peers, ${OPS} operations a round, median of ${ROUNDS} rounds`)
for (const op of ['read', 'merge']) {
  const [base, parley] = [us(`${op}, baseline`), us(`${op}, parley`)]
  console.log(
    `  ${op.padEnd(5)}  baseline (mortice) ${base.toFixed(1).padStart(6)} µs   parley ${parley.toFixed(1).padStart(6)} µs   ${(base / parley).toFixed(2)}x`
  )
}
await node.stop()
