/**
 * What one libp2p connection costs in CPU, the unit a simulation of N nodes pays for over and over
 * (issue #5, "Scale": forming a network is connections, and they all share one thread).
 *
 *   npm run bench:connection-cost -- [pairs]        (default 100 pairs)
 *
 * Two networks of 2 × pairs nodes on the memory transport, in this process:
 *  - baseline: bare libp2p (memory transport, Noise, Yamux, nothing else);
 *  - parley:   createParleyNode with the simulator's settings (identify, ping, Kad-DHT server).
 * Every node first makes one connection and the network settles (the first connection also starts
 * a node's DHT self-query); then each of `pairs` nodes dials one node it has no connection to, all
 * at once. Reported: CPU milliseconds (user + system of this process, both ends of the connection)
 * per connection until the dials resolve, and until 5 s later (identify, routing-table updates,
 * peer-store writes that follow a new connection).
 * The process runs with a simulation's settings (tuneSimulationProcess), for both networks: Errors
 * without stack traces unless PARLEY_DEBUG is set (`PARLEY_DEBUG=1 npm run bench:connection-cost`
 * shows what the stacks cost).
 */
import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { Libp2p } from '@libp2p/interface'
import { memory } from '@libp2p/memory'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createParleyNode, noopLogger } from '../src/net/index.ts'
import { simulationNodeOptions, tuneSimulationProcess } from '../src/sim/node-preset.ts'

tuneSimulationProcess()
const PAIRS = Number(process.argv[2] ?? '100')
const run = `${process.pid}`

const cpuMs = (): number => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

function fullAddr(n: Libp2p): Multiaddr {
  const a = n.getMultiaddrs()[0]!.toString()
  return multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${n.peerId.toString()}`)
}

async function bare(i: number, tag: string): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: [`/memory/cost-${run}-${tag}-${i}`] },
    transports: [memory()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false },
    logger: noopLogger
  })
}

async function parley(i: number, tag: string): Promise<Libp2p> {
  const preset = simulationNodeOptions()
  return createParleyNode({
    seed: new Uint8Array(randomBytes(32)),
    transport: 'memory',
    listen: [`/memory/cost-${run}-${tag}-${i}`],
    mdns: false,
    lean: true,
    ...(preset.dht !== undefined ? { dht: preset.dht } : {}),
    ...(preset.limits !== undefined ? { limits: preset.limits } : {})
  })
}

async function measure(
  tag: string,
  make: (i: number, tag: string) => Promise<Libp2p>
): Promise<{ dial: number; settled: number }> {
  const nodes: Libp2p[] = []
  for (let i = 0; i < 2 * PAIRS; i++) nodes.push(await make(i, tag))
  await Promise.all(nodes.map((n) => (n.status === 'started' ? undefined : n.start())))
  // first connections: i -> PAIRS + i
  await Promise.all(Array.from({ length: PAIRS }, (_, i) => nodes[i]!.dial(fullAddr(nodes[PAIRS + i]!))))
  await sleep(8_000)
  globalThis.gc?.()
  // measured: i -> PAIRS + (i + 1) % PAIRS, a peer it has no connection to
  const c0 = cpuMs()
  await Promise.all(
    Array.from({ length: PAIRS }, (_, i) => nodes[i]!.dial(fullAddr(nodes[PAIRS + ((i + 1) % PAIRS)]!)))
  )
  const c1 = cpuMs()
  await sleep(5_000)
  const c2 = cpuMs()
  await Promise.all(nodes.map((n) => n.stop()))
  return { dial: (c1 - c0) / PAIRS, settled: (c2 - c0) / PAIRS }
}

const base = await measure('bare', bare)
const ours = await measure('parley', parley)
const f = (x: number): string => x.toFixed(1)
console.log(
  `bench-connection-cost: ${PAIRS} new connections at once, memory transport, CPU ms per connection (both ends)`
)
console.log(`baseline (libp2p: Noise + Yamux only)      dial ${f(base.dial)}  settled ${f(base.settled)}`)
console.log(`parley node (identify, ping, Kad-DHT, sim) dial ${f(ours.dial)}  settled ${f(ours.settled)}`)
console.log(`ratio parley/baseline settled ${(ours.settled / base.settled).toFixed(2)}`)
