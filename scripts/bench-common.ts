/**
 * Shared parts of the messaging benchmarks (bench-messaging.ts, bench-latency.ts): the receiver child
 * process (bench-peer.ts) and its IPC, the sending messenger in this process, and small statistics.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ContentType, MSG_PROTOCOL, STORE_FILE } from '../src/constants.ts'
import { seal } from '../src/envelope/index.ts'
import { createIdentity } from '../src/identity/index.ts'
import { createMessenger, type Messenger } from '../src/messenger/index.ts'
import { createMessageClient, type MessageClient } from '../src/net/index.ts'
import { createStore, type OutgoingMessage, type Store } from '../src/store/index.ts'

export const BENCH_SINK_PROTOCOL = '/parley-bench/sink/1.0.0'
export const BENCH_ECHO_PROTOCOL = '/parley-bench/echo/1.0.0'
export const TEXT_BYTES = 200

export type PeerRequest =
  | { type: 'open-rate'; seconds: number }
  | { type: 'cpu-mark' }
  | { type: 'cpu-read' }
  | { type: 'stats' }
  | { type: 'store-times' }
  | { type: 'stop' }

export type PeerReply =
  | {
      type: 'ready'
      peerId: string
      addresses: string[]
      profile: string
      seq: number
      expiresAt: number
      storeDir: string
    }
  | { type: 'open-rate'; perSecond: number; cpuUsPerOpen: number; envelopeBytes: number }
  | { type: 'cpu-mark' }
  | { type: 'cpu-read'; cpuUs: number; wallUs: number }
  | { type: 'stats'; inbox: { received: number; duplicates: number; refused: number; commits: number } }
  | { type: 'store-times'; calls: Record<string, number[]> }
  | { type: 'stopped' }
  | { type: 'error'; message: string }

/** A 200-character ASCII text (= 200 bytes), different for each i. */
export function textOf(i: number): string {
  const head = `message ${i} `
  return head + 'x'.repeat(TEXT_BYTES - head.length)
}

/** The receiver child process and a request/reply channel to it. */
export interface Peer {
  child: ChildProcess
  ready: Extract<PeerReply, { type: 'ready' }>
  request<T extends PeerReply['type']>(req: PeerRequest, expect: T): Promise<Extract<PeerReply, { type: T }>>
  stop(): Promise<void>
}

export async function startPeer(dir: string): Promise<Peer> {
  const child = fork(fileURLToPath(new URL('./bench-peer.ts', import.meta.url)), [], {
    env: { ...process.env, PARLEY_BENCH_DIR: dir },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  const waiters: Array<(reply: PeerReply) => void> = []
  let failure: Error | undefined
  child.on('message', (reply: PeerReply) => {
    if (reply.type === 'error') failure = new Error(`receiver: ${reply.message}`)
    waiters.shift()?.(reply)
  })
  child.on('exit', (code, signal) => {
    failure ??= new Error(`receiver exited (${code ?? signal})`)
    for (const w of waiters.splice(0)) w({ type: 'error', message: failure.message })
  })
  const next = (): Promise<PeerReply> => new Promise((resolve) => waiters.push(resolve))
  const ready = await next()
  if (ready.type !== 'ready') throw new Error(`receiver did not start: ${JSON.stringify(ready)}`)
  const request = async <T extends PeerReply['type']>(
    req: PeerRequest,
    expect: T
  ): Promise<Extract<PeerReply, { type: T }>> => {
    if (failure !== undefined) throw failure
    const reply = next()
    child.send(req)
    const r = await reply
    if (r.type !== expect) throw new Error(`receiver answered ${JSON.stringify(r)} to ${req.type}`)
    return r as Extract<PeerReply, { type: T }>
  }
  return {
    child,
    ready,
    request,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      await request({ type: 'stop' }, 'stopped').catch(() => child.kill('SIGKILL'))
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())])
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  }
}

/** The sending side: a real messenger in this process, connected to the receiver, with its profile cached. */
export interface Sender {
  messenger: Messenger
  store: Store
  /** Time in the sender's store writes (enqueueOutgoing, markSent) and outbox reads. */
  storeTimes: StoreTimes
  /** The receiver's PeerId. */
  to: string
  /** A message client of our own (not the messenger's outbox) for pre-sealed envelopes. */
  client: MessageClient
  /** Seal n 200-byte texts to the receiver (fresh ids, so none is a duplicate). */
  sealMany(n: number, from: number): Uint8Array[]
  /** Seal one and describe it as the outbox row sendText would commit. */
  sealOutgoing(i: number): OutgoingMessage & { id: string }
  stop(): Promise<void>
}

export async function startSender(peer: Peer, dir: string): Promise<Sender> {
  const store = createStore({ path: join(dir, STORE_FILE), synchronous: 'full' })
  const storeTimes = timeStore(store, ['enqueueOutgoing', 'markSent', 'outboxFor'])
  const identity = createIdentity()
  const messenger = await createMessenger({
    identity,
    store,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    allow: ['/ip4/127.0.0.1/ipcidr/32']
  })
  await messenger.start()
  const to = peer.ready.peerId
  // the receiver's signed profile, as if resolved from the DHT before (so sendText hits the cache)
  store.putPeerRecord({
    peerId: to,
    record: new Uint8Array(Buffer.from(peer.ready.profile, 'base64')),
    seq: peer.ready.seq,
    expiresAt: peer.ready.expiresAt,
    fetchedAt: Date.now()
  })
  const profile = await messenger.resolve(to)
  if (profile === undefined) throw new Error('could not load the receiver profile')
  await messenger.node.dial(multiaddr(peer.ready.addresses[0]!), { signal: AbortSignal.timeout(10_000) })
  const remote = peerIdFromString(to)
  const client = createMessageClient({
    openStream: (_peerId, signal) => messenger.node.dialProtocol(remote, MSG_PROTOCOL, { signal }),
    ackTimeoutMs: 120_000
  })
  const utf8 = new TextEncoder()
  return {
    messenger,
    store,
    storeTimes,
    to,
    client,
    sealMany(n, from) {
      return Array.from(
        { length: n },
        (_, i) =>
          seal({
            sender: identity,
            recipient: to,
            encryptionKey: profile.encryptionKey,
            body: utf8.encode(textOf(from + i)),
            contentType: ContentType.text
          }).bytes
      )
    },
    sealOutgoing(i) {
      const text = textOf(i)
      const body = utf8.encode(text)
      const sealed = seal({
        sender: identity,
        recipient: to,
        encryptionKey: profile.encryptionKey,
        body,
        contentType: ContentType.text
      })
      return {
        id: Buffer.from(sealed.messageId).toString('hex'),
        from: identity.peerId,
        to,
        contentType: ContentType.text,
        body,
        text,
        createdAt: sealed.createdAt,
        envelope: sealed.bytes
      }
    },
    async stop() {
      client.closeAll()
      await messenger.stop()
      store.close()
    }
  }
}

/** Temp folder for both stores (put it on the disk a node's home would live on: fsync cost matters). */
export function benchDir(base?: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(base ?? tmpdir(), 'parley-bench-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Time spent in some store methods (wrapped in place: the messenger calls them through the same object). */
export interface StoreTimes {
  /** Per method: the duration of each call in ms since the last reset. */
  calls: Record<string, number[]>
  reset(): void
}

export function timeStore(store: Store, methods: Array<keyof Store>): StoreTimes {
  const calls: Record<string, number[]> = {}
  for (const name of methods) {
    calls[name] = []
    const original = (store[name] as (...args: unknown[]) => unknown).bind(store)
    Object.assign(store, {
      [name]: (...args: unknown[]) => {
        const t0 = process.hrtime.bigint()
        try {
          return original(...args)
        } finally {
          calls[name]!.push(Number(process.hrtime.bigint() - t0) / 1e6)
        }
      }
    })
  }
  return {
    calls,
    reset() {
      for (const name of methods) calls[name] = []
    }
  }
}

export function median(xs: number[]): number {
  return quantile(xs, 0.5)
}

/** Nearest-rank quantile. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!
}

export function machine(): string {
  const c = cpus()
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}, node ${process.version}`
}

export const fmt = {
  rate: (x: number): string => `${Math.round(x).toLocaleString('en-US')}/s`,
  ms: (x: number): string => `${x < 10 ? x.toFixed(2) : x.toFixed(1)} ms`,
  ratio: (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-')
}
