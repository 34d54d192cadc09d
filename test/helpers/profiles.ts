/** Profile records for the directory tests: genuine ones, and forgeries of every kind a DHT server must refuse. */
import { Libp2pRecord } from '@libp2p/record'
import { Key } from 'interface-datastore'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { encodeCanonical } from '../../src/codec/index.ts'
import { SIG_TYPE_PROFILE } from '../../src/constants.ts'
import { signTyped } from '../../src/crypto/index.ts'
import {
  createDirectory,
  createProfileRecord,
  type Directory,
  type ProfileContent,
  ProfileRecord,
  SignedProfile
} from '../../src/directory/index.ts'
import { createIdentity, type Identity, peerIdBytesFromPublicKey } from '../../src/identity/index.ts'
import type { TestNode } from './p2p.ts'

export const HOUR = 60 * 60 * 1000
export const DAY = 24 * HOUR

export interface ProfileOptions {
  seq: number
  issuedAt?: number
  expiresAt?: number
  content?: Partial<ProfileContent>
}

/** A genuine signed profile of `identity` (1 h old, expiring in 23 h unless told). */
export function signedProfile(identity: Identity, options: ProfileOptions, now = Date.now()): Uint8Array {
  const issuedAt = options.issuedAt ?? now - HOUR
  const expiresAt = options.expiresAt ?? now + 23 * HOUR
  return createProfileRecord(
    identity,
    { addresses: ['/ip4/127.0.0.1/tcp/4001'], ...options.content },
    { seq: options.seq, issuedAt, expiresAt }
  )
}

/** A well-formed profile that says it is `victim`'s but carries `signer`'s signature. */
export function profileSignedByAnother(victim: Identity, signer: Identity, seq: number, now = Date.now()): Uint8Array {
  const record = ProfileRecord.encode({
    peer: peerIdBytesFromPublicKey(victim.publicKey),
    seq,
    issuedAt: now - HOUR,
    expiresAt: now + 23 * HOUR,
    encryptionKey: victim.currentEncryptionKey().signed,
    addresses: ['/ip4/127.0.0.1/tcp/6666']
  })
  return SignedProfile.encode({ record, signature: signTyped(signer.signer, SIG_TYPE_PROFILE, record) })
}

/** A genuine record with one signature bit flipped. */
export function withBadSignature(signed: Uint8Array): Uint8Array {
  const s = SignedProfile.decode(signed)
  const signature = Uint8Array.from(s.signature)
  signature[10]! ^= 0x01
  return SignedProfile.encode({ record: s.record, signature })
}

/**
 * A correctly signed, fresh profile over the 8 KiB cap (big attestation, business and addresses).
 * The schema's encoder refuses such a record, so the outer map is put together by hand.
 */
export function oversizedProfile(identity: Identity, seq: number, now = Date.now()): Uint8Array {
  const record = ProfileRecord.encode({
    peer: peerIdBytesFromPublicKey(identity.publicKey),
    seq,
    issuedAt: now - HOUR,
    expiresAt: now + 23 * HOUR,
    encryptionKey: identity.currentEncryptionKey().signed,
    addresses: Array.from({ length: 16 }, (_, i) => `/dns4/${'a'.repeat(230)}.example/tcp/${4000 + i}`),
    attestation: new Uint8Array(4096).fill(7),
    business: new Uint8Array(2048).fill(9)
  })
  const signature = signTyped(identity.signer, SIG_TYPE_PROFILE, record)
  return encodeCanonical(
    new Map<number, unknown>([
      [0, 1],
      [1, record],
      [2, signature]
    ])
  )
}

/** The datastore key kad-dht keeps a record under. */
export function dhtRecordKey(key: Uint8Array): Key {
  return new Key(`/dht/record/${uint8ArrayToString(key, 'base32')}`, false)
}

/** Write a record straight into a node's datastore, as if it had been PUT there earlier. */
export async function plantRecord(node: TestNode, key: Uint8Array, value: Uint8Array): Promise<void> {
  await node.datastore.put(dhtRecordKey(key), new Libp2pRecord(key, value, new Date()).serialize())
}

/** What a DHT put did: servers asked, servers that stored it (acks), refusals. */
export interface PutOutcome {
  asked: number
  acks: number
  errors: number
}

/** Run a kad-dht put to the end and count what happened. */
export async function dhtPut(node: TestNode, key: Uint8Array, value: Uint8Array): Promise<PutOutcome> {
  const asked = new Set<string>()
  let acks = 0
  let errors = 0
  for await (const ev of node.node.services.dht.put(key, value, { signal: AbortSignal.timeout(30_000) })) {
    if (ev.name === 'SEND_QUERY' && ev.messageName === 'PUT_VALUE') asked.add(ev.to.toString())
    else if (ev.name === 'PEER_RESPONSE' && ev.messageName === 'PUT_VALUE') acks++
    else if (ev.name === 'QUERY_ERROR') errors++
  }
  return { asked: asked.size, acks, errors }
}

/**
 * A directory on a test node, publishing as the node itself (its identity comes from the node's
 * seed) and reading through its DHT. `seq` counts up from `firstSeq`.
 */
export function nodeDirectory(
  t: TestNode,
  options: { name?: string; firstSeq?: number; identity?: Identity; settleMs?: number; quorum?: number } = {}
): { directory: Directory; identity: Identity } {
  const identity = options.identity ?? createIdentity({ seed: t.seed })
  let seq = (options.firstSeq ?? 1) - 1
  const directory = createDirectory({
    dht: t.node.services.dht,
    identity,
    content: () => ({
      addresses: t.node.getMultiaddrs().map((ma) => ma.toString()),
      ...(options.name !== undefined ? { name: options.name } : {})
    }),
    nextSeq: () => ++seq,
    ...(options.settleMs !== undefined ? { settleMs: options.settleMs } : {}),
    ...(options.quorum !== undefined ? { quorum: options.quorum } : {}),
    ...(t.guard !== undefined ? { localRecord: (key: Uint8Array) => t.guard!.getRecord(key) } : {})
  })
  return { directory, identity }
}
